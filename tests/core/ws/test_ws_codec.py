"""The Rust WebSocket codec through its Python binding: properties (hypothesis) and
cross-checks against the `websockets` library's frame code."""

from __future__ import annotations

import itertools
import struct

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from pacai._core import (
    FrameDecoder,
    WebSocketHandshakeError,
    WebSocketProtocolError,
    encode_binary,
    encode_close,
    encode_frame,
    encode_text,
    parse_upgrade_request,
    websocket_accept,
)

TEXT, BINARY, CLOSE, PING, PONG = 1, 2, 8, 9, 10
LIMIT = 65536


def client_frame(opcode: int, payload: bytes, *, fin: bool = True, mask: bytes = b"\x01\x02\x03\x04") -> bytes:
    """A masked frame as a client sends it."""
    head = bytearray([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head.append(0x80 | n)
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes(head) + mask + masked


def decode_in_chunks(
    stream: bytes, cuts: list[int], limit: int = LIMIT
) -> tuple[list[tuple[int, str | bytes]], int | None]:
    """Feeds the stream cut at the given offsets; returns the frames and the close code of
    the violation, if any."""
    decoder = FrameDecoder(limit)
    frames: list[tuple[int, str | bytes]] = []
    bounds = [0, *sorted(c % (len(stream) + 1) for c in cuts), len(stream)]
    raised: int | None = None
    for start, end in itertools.pairwise(bounds):
        try:
            frames += decoder.feed(stream[start:end])
        except WebSocketProtocolError as exc:
            raised = exc.code
            break
    code = decoder.error.code if decoder.error is not None else None
    # Raised only once nothing was left to return, and always the remembered error.
    assert raised in (None, code)
    return frames, code


# A message is (opcode, payload, fragment sizes); control frames go between fragments.
messages = st.lists(
    st.one_of(
        st.tuples(st.just(TEXT), st.text(max_size=300)),
        st.tuples(st.just(BINARY), st.binary(max_size=300)),
    ),
    max_size=8,
)


@st.composite
def valid_streams(draw: st.DrawFn) -> tuple[bytes, list[tuple[int, str | bytes]]]:
    stream = b""
    expected: list[tuple[int, str | bytes]] = []
    for opcode, body in draw(messages):
        raw = body.encode() if isinstance(body, str) else body
        cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=4)))
        pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=False)]
        for i, piece in enumerate(pieces):
            mask = draw(st.binary(min_size=4, max_size=4))
            stream += client_frame(opcode if i == 0 else 0, piece, fin=i == len(pieces) - 1, mask=mask)
            if i < len(pieces) - 1 and draw(st.booleans()):
                ping = draw(st.binary(max_size=125))
                stream += client_frame(PING, ping)
                expected.append((PING, ping))
        expected.append((opcode, body))
    return stream, expected


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(valid_streams(), st.lists(st.integers(min_value=0), max_size=30))
def test_valid_streams_decode_to_the_original_messages_in_any_chunking(
    case: tuple[bytes, list[tuple[int, str | bytes]]], cuts: list[int]
) -> None:
    stream, expected = case
    assert decode_in_chunks(stream, cuts) == (expected, None)


@settings(max_examples=500)
@given(st.binary(max_size=400), st.lists(st.integers(min_value=0), max_size=20))
@example(b"\x82\xff" + struct.pack("!Q", 1 << 62) + b"mask", [])
@example(b"\x82\xff" + struct.pack("!Q", 1 << 63) + b"mask", [3])
def test_random_bytes_fail_only_with_a_protocol_error(data: bytes, cuts: list[int]) -> None:
    frames, code = decode_in_chunks(data, cuts)
    assert code in (None, 1002, 1007, 1009)
    # The chunking never changes the outcome.
    assert decode_in_chunks(data, []) == (frames, code)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    valid_streams(),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=4),
    st.lists(st.integers(min_value=0), max_size=10),
)
def test_corrupted_streams_fail_cleanly(
    case: tuple[bytes, list[tuple[int, str | bytes]]],
    flips: list[tuple[int, int]],
    cuts: list[int],
) -> None:
    stream, _ = case
    if not stream:
        return
    corrupted = bytearray(stream)
    for position, value in flips:
        corrupted[position % len(corrupted)] = value
    frames, code = decode_in_chunks(bytes(corrupted), cuts, limit=1000)
    assert code in (None, 1002, 1007, 1009)
    assert decode_in_chunks(bytes(corrupted), [], limit=1000) == (frames, code)


def test_feed_returns_frames_before_a_violation_then_raises() -> None:
    decoder = FrameDecoder()
    stream = client_frame(TEXT, b"first") + client_frame(TEXT, b"\xff")
    assert decoder.feed(stream) == [(TEXT, "first")]
    assert decoder.error is not None
    assert (decoder.error.code, decoder.error.reason) == (1007, "invalid UTF-8 in text message")
    with pytest.raises(WebSocketProtocolError) as raised:
        decoder.feed(b"")
    assert raised.value.code == 1007
    assert isinstance(raised.value, ValueError)


def test_a_header_claiming_2_to_the_62_bytes_allocates_nothing() -> None:
    decoder = FrameDecoder(max_message_size=2**64 - 1)
    header = b"\x82\xff" + struct.pack("!Q", 1 << 62) + b"mask"
    assert decoder.feed(header + b"x" * 100) == []
    assert decoder.buffered == 100
    with pytest.raises(WebSocketProtocolError) as raised:
        FrameDecoder().feed(header)
    assert raised.value.code == 1009


def test_close_frames_and_bytes_after_them() -> None:
    decoder = FrameDecoder()
    out = decoder.feed(client_frame(CLOSE, b"\x03\xe8bye") + client_frame(TEXT, b"late"))
    assert out == [(CLOSE, b"\x03\xe8bye")]
    assert decoder.closed


# --- cross-checks with the websockets library ---


def parse_with_websockets(data: bytes, *, mask: bool) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=mask)
    try:
        next(parser)
    except StopIteration as done:
        frame: Frame = done.value
        return frame
    raise AssertionError("incomplete frame")


@given(st.text(max_size=70000))
@settings(max_examples=50)
def test_encoded_text_parses_with_websockets(text: str) -> None:
    frame = parse_with_websockets(encode_text(text), mask=False)
    assert (frame.opcode, frame.fin, frame.data.decode()) == (Opcode.TEXT, True, text)


@given(st.binary(max_size=70000), st.booleans())
@settings(max_examples=50)
def test_encoded_frames_parse_with_websockets(data: bytes, fin: bool) -> None:
    frame = parse_with_websockets(encode_frame(BINARY, data, fin), mask=False)
    assert (frame.opcode, frame.fin, frame.data) == (Opcode.BINARY, fin, data)
    assert encode_binary(data) == encode_frame(BINARY, data)


@given(st.text(max_size=3000), st.sampled_from([Opcode.TEXT, Opcode.BINARY]))
@settings(max_examples=100)
def test_frames_websockets_sends_as_a_client_decode(text: str, opcode: Opcode) -> None:
    data = text.encode()
    wire = Frame(opcode, data).serialize(mask=True)
    [(got_opcode, payload)] = FrameDecoder().feed(wire)
    assert got_opcode == opcode
    assert payload == (text if opcode == Opcode.TEXT else data)


def test_encode_close() -> None:
    frame = parse_with_websockets(encode_close(4001, "é" * 100), mask=False)
    assert frame.opcode == Opcode.CLOSE
    assert len(frame.data) == 2 + 122
    for code in (999, 1005, 1006, 1015, 2000, 5000):
        with pytest.raises(ValueError, match="cannot be sent"):
            encode_close(code)
    with pytest.raises(ValueError, match="at most 125"):
        encode_frame(PING, b"x" * 126)
    with pytest.raises(ValueError, match="fragmented"):
        encode_frame(PING, b"", fin=False)
    with pytest.raises(ValueError, match="unknown opcode"):
        encode_frame(3, b"")


def test_handshake() -> None:
    assert websocket_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    with pytest.raises(ValueError, match="Sec-WebSocket-Key"):
        websocket_accept("c2hvcnQ=")
    head = (
        b"GET /chat?room=1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: pacai.v5\r\n\r\n"
    )
    request = parse_upgrade_request(head)
    assert (request.method, request.target, request.subprotocols) == (
        "GET",
        "/chat?room=1",
        ["pacai.v5"],
    )
    assert request.accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert (b"host", b"x") in request.headers
    with pytest.raises(WebSocketHandshakeError) as raised:
        parse_upgrade_request(head.replace(b"Version: 13", b"Version: 8"))
    assert (raised.value.status, isinstance(raised.value, ValueError)) == (426, True)


@given(st.binary(max_size=600))
def test_random_request_heads_never_crash(head: bytes) -> None:
    status = None
    try:
        parse_upgrade_request(head)
    except WebSocketHandshakeError as exc:
        status = exc.status
    assert status in (None, 400, 405, 426)
