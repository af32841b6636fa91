"""pacai's protocol against a raw socket: every RFC 6455 violation gets the close code of
CONTRACT §6.5 and the app sees `websocket.disconnect` with it; bad handshakes get an HTTP
error, not a crash; keepalive, app failures, shutdown and back-pressure."""

from __future__ import annotations

import signal
import struct
import threading
import time
import uuid
from collections.abc import Callable

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.integration.ws.conftest import Server
from tests.integration.ws.rawclient import RawClient, client_frame, http_exchange

TEXT, BINARY, CLOSE, PING, PONG, CONT = 1, 2, 8, 9, 10, 0


def close_payload(code: int, reason: bytes = b"") -> bytes:
    return struct.pack("!H", code) + reason


VIOLATIONS: dict[str, tuple[bytes, int]] = {
    "unmasked text": (client_frame(TEXT, b"hello", masked=False), 1002),
    "unmasked ping": (client_frame(PING, b"", masked=False), 1002),
    **{f"rsv{bit} text": (client_frame(TEXT, b"x", rsv=1 << (3 - bit)), 1002) for bit in (1, 2, 3)},
    "rsv1 ping": (client_frame(PING, b"x", rsv=4), 1002),
    "rsv3 binary": (client_frame(BINARY, b"x", rsv=1), 1002),
    **{f"opcode {op}": (client_frame(op, b"payload"), 1002) for op in (*range(3, 8), *range(11, 16))},
    "fragmented ping": (client_frame(PING, b"ab", fin=False) + client_frame(CONT, b"cd"), 1002),
    "fragmented close": (client_frame(CLOSE, close_payload(1000), fin=False), 1002),
    "126-byte ping": (client_frame(PING, b"p" * 126), 1002),
    "continuation without start": (client_frame(CONT, b"orphan"), 1002),
    "text inside a fragmented message": (
        client_frame(TEXT, b"a", fin=False) + client_frame(TEXT, b"b"),
        1002,
    ),
    "length with the high bit set": (
        b"\x82\xff" + struct.pack("!Q", 1 << 63) + b"mask",
        1002,
    ),
    "invalid UTF-8": (client_frame(TEXT, "κόσμε".encode() + b"\xed\xa0\x80edited"), 1007),
    "invalid UTF-8 split across fragments": (
        client_frame(TEXT, "κόσμε".encode() + b"\xf4", fin=False) + client_frame(CONT, b"\x90\x80\x80"),
        1007,
    ),
    "truncated UTF-8 at the end": (client_frame(TEXT, b"abc\xe2\x82"), 1007),
    "1-byte close payload": (client_frame(CLOSE, b"\x03"), 1002),
    **{
        f"close code {code}": (client_frame(CLOSE, close_payload(code)), 1002)
        for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)
    },
    "close reason not UTF-8": (client_frame(CLOSE, close_payload(1000, b"\xff\xfe")), 1007),
    "message over the limit": (client_frame(BINARY, b"x" * 65537), 1009),
    "fragmented message over the limit": (
        client_frame(TEXT, b"a" * 40000, fin=False) + client_frame(CONT, b"b" * 25537),
        1009,
    ),
    # Only the header: the limit is enforced before the payload arrives.
    "header declaring 2^62 bytes": (b"\x82\xff" + struct.pack("!Q", 1 << 62) + b"mask", 1009),
}


@pytest.mark.parametrize("name", list(VIOLATIONS))
def test_violation_closes_with_the_contract_code(pacai_server: Server, name: str) -> None:
    stream, expected = VIOLATIONS[name]
    conn_id = uuid.uuid4().hex
    client = RawClient(pacai_server.port, f"/echo?id={conn_id}")
    try:
        client.send(client_frame(TEXT, b"echoed"))
        assert client.read_frame() == (True, TEXT, b"echoed")
        # A valid message in the same segment as the violation still reaches the app.
        client.send(client_frame(TEXT, b"before") + stream)
        code, _ = client.read_close()
        assert code == expected
        assert client.at_eof()
    finally:
        client.close()
    seen = pacai_server.app_disconnect(conn_id)
    assert (seen["code"], seen["received"]) == (expected, 2)


def test_invalid_utf8_fails_before_the_message_ends(pacai_server: Server) -> None:
    client = RawClient(pacai_server.port)
    try:
        # No FIN will ever come; the impossible sequence is enough.
        client.send(client_frame(TEXT, b"abc\xc0\xaf", fin=False))
        assert client.read_close()[0] == 1007
    finally:
        client.close()


def test_an_open_connection_is_not_taken_for_a_closed_one(pacai_server: Server) -> None:
    """The check the tests above rely on can fail: a server that keeps the socket open."""
    client = RawClient(pacai_server.port)
    try:
        with pytest.raises(TimeoutError):
            client.at_eof(timeout=0.5)
    finally:
        client.close()


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1011, 1012, 1013, 1014, 3000, 4999])
def test_valid_close_codes_are_echoed(pacai_server: Server, code: int) -> None:
    conn_id = uuid.uuid4().hex
    client = RawClient(pacai_server.port, f"/echo?id={conn_id}")
    try:
        client.send(client_frame(CLOSE, close_payload(code, "done ✓".encode())))
        assert client.read_close() == (code, "done ✓".encode())
        assert client.at_eof()
    finally:
        client.close()
    seen = pacai_server.app_disconnect(conn_id)
    assert (seen["code"], seen["reason"]) == (code, "done ✓")


def test_empty_close_is_answered_with_an_empty_close(pacai_server: Server) -> None:
    conn_id = uuid.uuid4().hex
    client = RawClient(pacai_server.port, f"/echo?id={conn_id}")
    try:
        client.send(client_frame(CLOSE))
        assert client.read_close() == (None, b"")
    finally:
        client.close()
    assert pacai_server.app_disconnect(conn_id)["code"] == 1005


def test_control_frames_between_fragments(pacai_server: Server) -> None:
    client = RawClient(pacai_server.port)
    try:
        client.send(
            client_frame(TEXT, b"one ", fin=False)
            + client_frame(PING, b"p1")
            + client_frame(CONT, b"two", fin=False)
            + client_frame(PONG, b"unsolicited")
            + client_frame(CONT, b" three")
        )
        assert client.read_frame() == (True, PONG, b"p1")
        assert client.read_frame() == (True, TEXT, b"one two three")
    finally:
        client.close()


def test_byte_by_byte_delivery(pacai_server: Server) -> None:
    client = RawClient(pacai_server.port)
    try:
        client.sock.setsockopt(6, 1, 1)  # TCP_NODELAY: one segment per byte
        for byte in client_frame(TEXT, "slow ✓".encode(), fin=False) + client_frame(CONT, b"!"):
            client.send(bytes([byte]))
        assert client.read_frame() == (True, TEXT, "slow ✓!".encode())
    finally:
        client.close()


HANDSHAKE = (
    b"GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ((b"Sec-WebSocket-Version: 13\r\n", b""), 400),
        ((b"Sec-WebSocket-Version: 13", b"Sec-WebSocket-Version: 8"), 426),
        ((b"Sec-WebSocket-Version: 13", b"Sec-WebSocket-Version: 14"), 426),
        ((b"dGhlIHNhbXBsZSBub25jZQ==", b"c2hvcnQ="), 400),
        ((b"dGhlIHNhbXBsZSBub25jZQ==", b"not base64 at all!!!!!!!"), 400),
        ((b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", b""), 400),
        ((b"GET", b"POST"), 405),
    ],
)
def test_bad_handshakes_get_an_http_error(pacai_server: Server, change: tuple[bytes, bytes], status: int) -> None:
    got, response = http_exchange(pacai_server.port, HANDSHAKE.replace(*change))
    assert got == status
    if status == 426:
        assert b"sec-websocket-version: 13\r\n" in response.lower()
    # The server is still serving.
    with connect(pacai_server.url()) as ws:
        ws.send("alive")
        assert ws.recv() == "alive"
    assert "Traceback" not in pacai_server.log()


def test_the_rfc_handshake_accept_value(pacai_server: Server) -> None:
    got, response = http_exchange(pacai_server.port, HANDSHAKE, timeout=0.5)
    assert got == 101
    assert b"sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in response.lower().replace(
        b"s3pplmbitxaq9kygzzhzrbk+xoo=", b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    )


def test_an_app_exception_closes_with_1011(pacai_server: Server) -> None:
    client = RawClient(pacai_server.port)
    try:
        client.send(client_frame(TEXT, b"raise"))
        assert client.read_close()[0] == 1011
    finally:
        client.close()


def test_an_app_that_returns_closes_with_1000(pacai_server: Server) -> None:
    client = RawClient(pacai_server.port)
    try:
        client.send(client_frame(TEXT, b"return"))
        assert client.read_close()[0] == 1000
    finally:
        client.close()


PING_INTERVAL, PING_TIMEOUT = 0.3, 0.4
# §6.5 closes a silent peer one ping interval plus one ping timeout after it connected (here
# 0.7 s, with these settings); 5 s more of slack for a loaded machine, still far below the
# 40 s of the default settings the server would use if it ignored these.
SILENT_PEER_CLOSED_WITHIN = PING_INTERVAL + PING_TIMEOUT + 5.0


def test_a_peer_that_does_not_answer_pings_is_closed(make_server: Callable[..., Server]) -> None:
    server = make_server("pacai", "--ping-interval", str(PING_INTERVAL), "--ping-timeout", str(PING_TIMEOUT))
    conn_id = uuid.uuid4().hex
    client = RawClient(server.port, f"/echo?id={conn_id}")
    try:
        started = time.monotonic()
        fin, opcode, payload = client.read_frame()
        assert (fin, opcode, len(payload)) == (True, PING, 4)
        assert client.read_close()[0] == 1011
        assert time.monotonic() - started < SILENT_PEER_CLOSED_WITHIN
    finally:
        client.close()
    seen = server.app_disconnect(conn_id)
    assert (seen["code"], seen["reason"]) == (1011, "keepalive ping timeout")

    # A client that answers (the websockets library does) stays connected.
    with connect(server.url()) as ws:
        time.sleep(1.5)
        ws.send("still here")
        assert ws.recv() == "still here"


def test_shutdown_closes_with_1012(make_server: Callable[..., Server]) -> None:
    server = make_server("pacai")
    client = RawClient(server.port)
    try:
        client.send(client_frame(TEXT, b"hi"))
        assert client.read_frame() == (True, TEXT, b"hi")
        server.process.send_signal(signal.SIGTERM)
        assert client.read_close()[0] == 1012
    finally:
        client.close()
    # uvicorn re-raises the signal once it has shut down.
    assert server.process.wait(timeout=10) in (0, -signal.SIGTERM)


def test_a_slow_reader_does_not_block_other_connections(pacai_server: Server) -> None:
    with connect(pacai_server.url("/flood"), max_size=None, max_queue=1) as flooded:
        # The flooding client is not reading; the server's buffers are full.
        time.sleep(0.5)
        done = threading.Event()

        def echo_meanwhile() -> None:
            with connect(pacai_server.url()) as ws:
                ws.send("unaffected")
                assert ws.recv() == "unaffected"
                done.set()

        worker = threading.Thread(target=echo_meanwhile)
        worker.start()
        worker.join(5)
        assert done.is_set()
        received = [flooded.recv(timeout=10) for _ in range(201)]
        assert received[-1] == "flood done"
        assert sum(len(m) for m in received[:-1]) == 200 * 262144


def test_behind_uvicorns_h11_http_protocol(make_server: Callable[..., Server]) -> None:
    server = make_server("pacai", "--http", "h11")
    conn_id = uuid.uuid4().hex
    with connect(server.url(conn_id=conn_id)) as ws:
        ws.send("over h11")
        assert ws.recv() == "over h11"
        ws.send(b"x" * 65537)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1009
    assert server.app_disconnect(conn_id)["code"] == 1009
