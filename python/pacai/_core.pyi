"""Type stub for the Rust extension module `pacai._core` (checked by mypy.stubtest)."""

from typing import final

__version__: str
build_profile: str

# --- canonical JSON (rust/canonical) ---
def canonicalize_json(data: bytes) -> bytes:
    """Canonical (RFC 8785) bytes of a JSON document; ValueError if it is not JSON or holds
    a number that cannot be represented exactly."""

def is_canonical_json(data: bytes) -> bool:
    """True when the bytes are already canonical JSON."""

# --- jwt (rust/jwt) ---

# --- rate limits (rust/ratelimit) ---

# --- websocket (rust/ws) ---
@final
class WebSocketProtocolError(ValueError):
    """The peer violated RFC 6455; close the connection with `code` (1002, 1007 or 1009)."""

    def __new__(cls, code: int, reason: str) -> WebSocketProtocolError: ...
    @property
    def code(self) -> int: ...
    @property
    def reason(self) -> str:
        """Short ASCII text, safe to put in the close frame."""

@final
class WebSocketHandshakeError(ValueError):
    """An upgrade request that cannot be accepted: answer with HTTP `status` (400 malformed,
    405 not GET, 426 unsupported Sec-WebSocket-Version)."""

    def __new__(cls, status: int, reason: str) -> WebSocketHandshakeError: ...
    @property
    def status(self) -> int: ...
    @property
    def reason(self) -> str: ...

@final
class FrameDecoder:
    """Incremental decoder for the frames one client sends (one per connection)."""

    def __new__(cls, max_message_size: int = 65536) -> FrameDecoder: ...
    def feed(self, data: bytes) -> list[tuple[int, str | bytes]]:
        """Decodes a chunk (any chunking); returns `(opcode, payload)` for each message
        (reassembled from fragments) and control frame it completes, in order: text (1) as
        `str`, binary (2), close (8), ping (9), pong (10) as `bytes`. Frames completed
        before a violation are returned first; WebSocketProtocolError is raised when the
        decoder has failed and there is nothing to return. Bytes after a close frame are
        ignored."""

    @property
    def error(self) -> WebSocketProtocolError | None:
        """The violation that stopped the decoder, or None."""

    @property
    def closed(self) -> bool:
        """True once a close frame was decoded."""

    @property
    def max_message_size(self) -> int: ...
    @property
    def buffered(self) -> int:
        """Bytes of unfinished frames and messages held in memory."""

@final
class UpgradeRequest:
    """A validated WebSocket upgrade request."""

    @property
    def method(self) -> str: ...
    @property
    def target(self) -> str:
        """Path and query as sent."""

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        """Every header in order, names lower-cased."""

    @property
    def subprotocols(self) -> list[str]: ...
    @property
    def accept(self) -> str:
        """The Sec-WebSocket-Accept value for the 101 response."""

def parse_upgrade_request(head: bytes) -> UpgradeRequest:
    """Parses and validates an HTTP/1.1 upgrade request head (request line and headers);
    raises WebSocketHandshakeError."""

def websocket_accept(key: str) -> str:
    """Sec-WebSocket-Accept for a key; ValueError unless it is base64 of exactly 16 bytes."""

def encode_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """One unmasked server frame; ValueError for an unknown opcode or a fragmented or
    oversized (> 125 bytes) control frame. Text payloads must be UTF-8 (not checked)."""

def encode_text(text: str) -> bytes:
    """A whole text message as one frame."""

def encode_binary(data: bytes) -> bytes:
    """A whole binary message as one frame."""

def encode_close(code: int, reason: str = "") -> bytes:
    """A close frame; the reason is cut to 123 bytes at a character boundary. ValueError
    for a code that may not be sent (outside 1000-1003, 1007-1014, 3000-4999)."""

# --- signatures and licences (rust/sign) ---

# --- world generation (rust/worldgen) ---
