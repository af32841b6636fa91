"""A minimal WebSocket client over a raw socket, able to send frames no library would."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def client_frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    masked: bool = True,
    length: int | None = None,
) -> bytes:
    """A client frame; `length` overrides the declared payload length."""
    n = len(payload) if length is None else length
    head = bytearray([(0x80 if fin else 0) | (rsv << 4) | opcode])
    mask_bit = 0x80 if masked else 0
    if n < 126:
        head.append(mask_bit | n)
    elif n < 65536:
        head += bytes([mask_bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", n)
    if not masked:
        return bytes(head) + payload
    mask = os.urandom(4)
    return bytes(head) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def http_exchange(port: int, request: bytes, timeout: float = 5.0) -> tuple[int, bytes]:
    """Sends a raw request; returns the status code and the whole response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except TimeoutError:
            pass
    return int(data.split(b" ", 2)[1]), data


class RawClient:
    def __init__(self, port: int, target: str = "/echo", timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16))
        self.sock.sendall(
            b"GET " + target.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            assert chunk, "connection closed during the handshake"
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101 "), head
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        fields = (line.partition(b":") for line in head.split(b"\r\n")[1:])
        self.headers = {name.strip().lower(): value.strip() for name, _, value in fields}
        assert self.headers[b"sec-websocket-accept"] == accept

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the server")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def read_frame(self) -> tuple[bool, int, bytes]:
        b0, b1 = self._read(2)
        assert b1 & 0x80 == 0, "server frames are never masked"
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self._read(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", self._read(8))
        return bool(b0 & 0x80), b0 & 0x0F, self._read(n)

    def read_close(self) -> tuple[int | None, bytes]:
        """Skips data frames until the server's close frame; returns its code and reason."""
        while True:
            _, opcode, payload = self.read_frame()
            if opcode == 8:
                if not payload:
                    return None, b""
                return struct.unpack("!H", payload[:2])[0], payload[2:]

    def at_eof(self, timeout: float = 5.0) -> bool:
        """True when the server closes the TCP connection (FIN or reset) within `timeout`
        seconds with nothing left unread; False when more bytes come instead. A connection
        still open after `timeout` raises TimeoutError: silence is not a close."""
        if self.buffer:
            return False
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except TimeoutError:
            raise TimeoutError(f"the server left the TCP connection open for {timeout} s") from None

    def close(self) -> None:
        self.sock.close()
