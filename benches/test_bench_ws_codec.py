"""WebSocket frame codec: pacai's Rust decoder/encoder beside the `websockets` library's
frame code (`Frame.parse` over a `StreamReader`, `Frame.serialize`), which uvicorn's default
WebSocket implementation runs. Both sides produce the same thing: whole messages with text
decoded to `str` (decode), wire bytes for a server frame (encode)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from pytest_benchmark.fixture import BenchmarkFixture
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from pacai._core import FrameDecoder, encode_binary, encode_text

# (name, number of messages, payload size): chat-sized, 1 KiB and 64 KiB messages.
CASES = [("64B x100", 100, 64), ("1KiB x100", 100, 1024), ("64KiB x4", 4, 65536)]


def messages(count: int, size: int) -> list[str]:
    return [("é" + "x" * (size - 2)) for _ in range(count)]


def client_stream(texts: list[str]) -> bytes:
    # Masked, as a client sends them.
    return b"".join(Frame(Opcode.TEXT, t.encode()).serialize(mask=True) for t in texts)


def decode_with_websockets(stream: bytes) -> list[str]:
    reader = StreamReader()
    reader.feed_data(stream)
    out = []
    while reader.buffer:
        parser = Frame.parse(reader.read_exact, mask=True, max_size=1 << 20)
        try:
            next(parser)
        except StopIteration as done:
            frame: Frame = done.value
            out.append(frame.data.decode())
    return out


def decode_with_pacai(stream: bytes) -> list[str]:
    decoder = FrameDecoder(1 << 20)
    return [payload for _, payload in decoder.feed(stream)]  # type: ignore[misc]


@pytest.mark.benchmark(group="ws-decode")
@pytest.mark.parametrize(("case", "count", "size"), CASES)
@pytest.mark.parametrize("impl", ["pacai", "websockets"])
def test_decode(benchmark: BenchmarkFixture, impl: str, case: str, count: int, size: int) -> None:
    texts = messages(count, size)
    stream = client_stream(texts)
    decode: Callable[[bytes], list[str]] = decode_with_pacai if impl == "pacai" else decode_with_websockets
    benchmark.extra_info["messages"] = count
    assert benchmark(decode, stream) == texts


def encode_with_websockets(texts: list[str]) -> list[bytes]:
    return [Frame(Opcode.TEXT, t.encode()).serialize(mask=False) for t in texts]


def encode_with_pacai(texts: list[str]) -> list[bytes]:
    return [encode_text(t) for t in texts]


@pytest.mark.benchmark(group="ws-encode")
@pytest.mark.parametrize(("case", "count", "size"), CASES)
@pytest.mark.parametrize("impl", ["pacai", "websockets"])
def test_encode(benchmark: BenchmarkFixture, impl: str, case: str, count: int, size: int) -> None:
    texts = messages(count, size)
    encode = encode_with_pacai if impl == "pacai" else encode_with_websockets

    def fresh() -> tuple[tuple[list[str]], dict[str, object]]:
        # New str objects each round: CPython caches a str's UTF-8 form once asked for it,
        # which would flatter the second and later rounds; real messages are new strings.
        return ([(t + ".")[:-1] for t in texts],), {}

    benchmark.extra_info["messages"] = count
    frames = benchmark.pedantic(encode, setup=fresh, rounds=2000 // count, warmup_rounds=2)
    assert frames == encode_with_websockets(texts)


@pytest.mark.benchmark(group="ws-encode")
@pytest.mark.parametrize("impl", ["pacai", "websockets"])
def test_encode_binary_64kib(benchmark: BenchmarkFixture, impl: str) -> None:
    data = os.urandom(65536)
    if impl == "pacai":
        frame = benchmark(encode_binary, data)
    else:
        frame = benchmark(lambda: Frame(Opcode.BINARY, data).serialize(mask=False))
    assert frame == Frame(Opcode.BINARY, data).serialize(mask=False)
