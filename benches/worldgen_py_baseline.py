"""Pure-Python heightmap of pacai's world generator: the benchmark baseline.

A straightforward re-implementation, from the Rust module docs, of the `terrain` stream
(ChaCha20 keystream keyed by SHA-256 of seed and label, RFC 8439) and the fixed-point
octave gradient noise that fills `world.heightmap`. The unit tests check that it
reproduces the Rust output exactly, which also shows the documented algorithm is complete.
"""

from __future__ import annotations

import hashlib
import struct

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF
ONE = 1 << 16
GRADIENTS = ((1, 1), (-1, 1), (1, -1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1))
HEIGHT_OCTAVES = 6


def _rotl(v: int, c: int) -> int:
    return ((v << c) & MASK32) | (v >> (32 - c))


def _quarter(s: list[int], a: int, b: int, c: int, d: int) -> None:
    s[a] = (s[a] + s[b]) & MASK32
    s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & MASK32
    s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & MASK32
    s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & MASK32
    s[b] = _rotl(s[b] ^ s[c], 7)


def chacha20_block(key: list[int], counter: int, nonce: list[int]) -> list[int]:
    """RFC 8439 §2.3: 16 little-endian keystream words."""
    init = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574, *key, counter, *nonce]
    s = list(init)
    for _ in range(10):
        _quarter(s, 0, 4, 8, 12)
        _quarter(s, 1, 5, 9, 13)
        _quarter(s, 2, 6, 10, 14)
        _quarter(s, 3, 7, 11, 15)
        _quarter(s, 0, 5, 10, 15)
        _quarter(s, 1, 6, 11, 12)
        _quarter(s, 2, 7, 8, 13)
        _quarter(s, 3, 4, 9, 14)
    return [(a + b) & MASK32 for a, b in zip(s, init, strict=True)]


class Stream:
    """The generator's per-purpose keystream reader."""

    def __init__(self, seed: int, label: str) -> None:
        digest = hashlib.sha256(b"pacai-worldgen/stream\0" + seed.to_bytes(8, "little") + label.encode()).digest()
        self.key = list(struct.unpack("<8I", digest))
        self.counter = 0
        self.words: list[int] = []

    def next_u32(self) -> int:
        if not self.words:
            self.words = chacha20_block(self.key, self.counter, [0, 0, 0])
            self.counter += 1
        return self.words.pop(0)

    def next_u64(self) -> int:
        lo = self.next_u32()
        return lo | (self.next_u32() << 32)


def lattice_hash(key: int, ix: int, iy: int) -> int:
    h = key ^ (((ix & MASK64) * 0x9E3779B97F4A7C15) & MASK64)
    h ^= ((iy & MASK64) * 0xC2B2AE3D27D4EB4F) & MASK64
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & MASK64
    h ^= h >> 33
    return h


def fade(t: int) -> int:
    t2 = (t * t) >> 16
    t3 = (t2 * t) >> 16
    inner = ((t * (6 * t - 15 * ONE)) >> 16) + 10 * ONE
    return (t3 * inner) >> 16


def _lerp(a: int, b: int, t: int) -> int:
    return a + (((b - a) * t) >> 16)


def _cell(coord: int, offset: int, wavelength: int) -> tuple[int, int]:
    p = 2 * (coord + offset) + 1
    span = 2 * wavelength
    return p // span, ((p % span) << 16) // span


def _dot(key: int, ix: int, iy: int, dx: int, dy: int) -> int:
    gx, gy = GRADIENTS[lattice_hash(key, ix, iy) >> 61]
    return gx * dx + gy * dy


def octaves(base: int, count: int, stream: Stream) -> list[tuple[int, int, int, int, int]]:
    """(key, wavelength, offset_x, offset_y, amplitude) per octave."""
    out = []
    wavelength = max(base, 2)
    for o in range(count):
        key = stream.next_u64()
        offsets = stream.next_u64()
        out.append((key, wavelength, offsets & 0xFFFF, (offsets >> 16) & 0xFFFF, 4096 >> o))
        if wavelength <= 2:
            break
        wavelength //= 2
    return out


def heightmap(seed: int, width: int, height: int) -> list[list[int]]:
    """Rows of heights 0..255, as in `world.heightmap`."""
    stream = Stream(seed, "terrain")
    base = max(max(width, height) // 3, 8)
    raw = [0] * (width * height)
    for key, wl, ox, oy, amp in octaves(base, HEIGHT_OCTAVES, stream):
        for y in range(height):
            cy, fy = _cell(y, oy, wl)
            v = fade(fy)
            for x in range(width):
                cx, fx = _cell(x, ox, wl)
                n00 = _dot(key, cx, cy, fx, fy)
                n10 = _dot(key, cx + 1, cy, fx - ONE, fy)
                n01 = _dot(key, cx, cy + 1, fx, fy - ONE)
                n11 = _dot(key, cx + 1, cy + 1, fx - ONE, fy - ONE)
                u = fade(fx)
                value = _lerp(_lerp(n00, n10, u), _lerp(n01, n11, u), v)
                raw[y * width + x] += (value * amp) >> 12
    lo, hi = min(raw), max(raw)
    span = hi - lo
    flat = [127 if span == 0 else (r - lo) * 255 // span for r in raw]
    return [flat[y * width : (y + 1) * width] for y in range(height)]
