"""A uvicorn WebSocket protocol on pacai's Rust codec (`pacai._core`), CONTRACT §6.1 and §6.5:
`uvicorn.Config(app, ws=PacaiWebSocketProtocol)`. It serves ASGI apps like uvicorn's own
implementations while the framing runs in Rust; `PacaiWebSocketProtocol` says where it
differs."""

from __future__ import annotations

import asyncio
import collections
import email.utils
import logging
import os
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import unquote

from uvicorn.logging import TRACE_LOG_LEVEL
from uvicorn.protocols.utils import (
    ClientDisconnected,
    get_client_addr,
    get_local_addr,
    get_path_with_query_string,
    get_remote_addr,
    is_ssl,
)

from pacai._core import (
    FrameDecoder,
    WebSocketHandshakeError,
    WebSocketProtocolError,
    encode_binary,
    encode_close,
    encode_frame,
    encode_text,
    parse_upgrade_request,
)

if TYPE_CHECKING:
    from uvicorn._types import (
        ASGIReceiveEvent,
        ASGISendEvent,
        WebSocketAcceptEvent,
        WebSocketCloseEvent,
        WebSocketDisconnectEvent,
        WebSocketResponseBodyEvent,
        WebSocketResponseStartEvent,
        WebSocketScope,
        WebSocketSendEvent,
    )
    from uvicorn.config import Config
    from uvicorn.server import ServerState

__all__ = ["PacaiWebSocketProtocol"]

TEXT, BINARY, CLOSE, PING, PONG = 1, 2, 8, 9, 10

# The HTTP layer hands over a request head it already parsed; anything this large is not
# a head uvicorn would have accepted.
MAX_HEAD_SIZE = 64 * 1024

# Queued output past this size is written at once instead of at the end of the loop turn.
FLUSH_SIZE = 64 * 1024

HANDSHAKE_EXTRA_HEADERS = {
    405: [(b"allow", b"GET")],
    426: [(b"sec-websocket-version", b"13"), (b"upgrade", b"websocket")],
}


def _status_line(status: int) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {status} {phrase}\r\n".encode("latin-1")


def _check_header(name: bytes, value: bytes) -> None:
    if any(c in name for c in b"\r\n: \t") or not name:
        raise RuntimeError(f"Invalid HTTP header name {name!r}.")
    if b"\r" in value or b"\n" in value or b"\x00" in value:
        raise RuntimeError(f"Invalid HTTP header value for {name!r}.")


class PacaiWebSocketProtocol(asyncio.Protocol):
    """One WebSocket connection handed over by uvicorn's HTTP protocol.

    Like uvicorn's `websockets-sansio` and `wsproto` (same scope and events, same handling
    of `ws_max_size`, `ws_ping_interval`, `ws_ping_timeout`, default headers, denials and
    shutdown), but: the decoder returns whole messages (one Python step per message, not per
    frame); received messages wait in a deque and reading pauses only when `ws_max_queue`
    wait for the app; frames are built in one allocation and a send waits only while the
    transport's buffer is over its high-water mark. No extension is negotiated (clients fall
    back to uncompressed frames); an RFC 6455 violation closes with 1002, 1007 or 1009 and
    the app receives `websocket.disconnect` with the same code.

    Where it deliberately differs: a TCP connection lost without a close frame is 1006 (RFC
    6455 §7.1.5), not 1005; an app that returns (or raises) after accepting without closing
    makes the server send a close with 1000 (or 1011) instead of dropping the connection;
    `receive()` after the disconnect returns the disconnect again instead of waiting
    forever, and `websocket.disconnect` is queued once per connection.
    """

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()  # pragma: no cover

        self.config = config
        # Typed loosely on purpose: the app must return None, and run_asgi checks it.
        self.app = cast("Callable[..., Awaitable[object]]", config.loaded_app)
        self.loop = _loop or asyncio.get_event_loop()
        self.logger = logging.getLogger("uvicorn.error")
        self.root_path = config.root_path
        self.asgi_version = config.asgi_version
        self.app_state = app_state

        # Shared server state
        self.connections = server_state.connections
        self.tasks = server_state.tasks
        self.default_headers = server_state.default_headers

        # Connection state
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.server: tuple[str, int | None] | None = None
        self.client: tuple[str, int] | None = None
        self.scheme: Literal["wss", "ws"] = "ws"
        self.scope: WebSocketScope | None = None

        # Handshake state
        self.head = bytearray()
        self.accept_key = ""
        self.handshake_complete = False
        # (status, headers, body so far) once the app started a denial response.
        self.initial_response: tuple[int, list[tuple[bytes, bytes]], bytes] | None = None

        # WebSocket state
        self.decoder = FrameDecoder(config.ws_max_size)
        self.close_sent = False
        self.closed_by_app = False
        self.disconnected = False
        self.disconnect_event: WebSocketDisconnectEvent | None = None
        self.close_timer: asyncio.TimerHandle | None = None
        self.close_timeout = 10.0

        # Messages for the app, and the receive() calls waiting for one.
        self.inbox: collections.deque[ASGIReceiveEvent] = collections.deque()
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self.max_queue = max(1, config.ws_max_queue)
        self.read_paused = False
        self.writable = asyncio.Event()
        self.writable.set()

        # Frames written during one event-loop turn go out in one transport write.
        self.outgoing: list[bytes] = []
        self.outgoing_size = 0

        # Keepalive state
        self.ping_interval = config.ws_ping_interval
        self.ping_timeout = config.ws_ping_timeout
        self.ping_timer: asyncio.TimerHandle | None = None
        self.pong_timer: asyncio.TimerHandle | None = None
        self.pending_ping_payload: bytes | None = None
        self.ping_sent_at = 0.0
        self.last_ping_rtt = 0.0

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.connections.add(self)  # type: ignore[arg-type]
        self.transport = cast("asyncio.Transport", transport)
        self.server = get_local_addr(self.transport)
        self.client = get_remote_addr(self.transport)
        self.scheme = "wss" if is_ssl(self.transport) else "ws"
        if self.logger.level <= TRACE_LOG_LEVEL:
            self.logger.log(TRACE_LOG_LEVEL, "%sWebSocket connection made", self._prefix())

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop_keepalive()
        # No close frame was exchanged: 1006, abnormal closure (RFC 6455 §7.1.5).
        self.deliver_disconnect(1006)
        self.connections.discard(self)
        if self.logger.level <= TRACE_LOG_LEVEL:
            self.logger.log(TRACE_LOG_LEVEL, "%sWebSocket connection lost", self._prefix())
        self.handshake_complete = True
        self.disconnected = True
        # asyncio never calls resume_writing() for a transport lost while paused.
        self.writable.set()
        # Wake every receive() still waiting; they see the disconnect.
        while self.waiters:
            self.deliver_wakeup()
        if self.close_timer is not None:
            self.close_timer.cancel()
            self.close_timer = None
        self.outgoing.clear()
        if exc is None:
            self.transport.close()

    def eof_received(self) -> None:
        pass

    def pause_writing(self) -> None:
        """The transport's write buffer is over its high-water mark."""
        self.writable.clear()

    def resume_writing(self) -> None:
        """The transport's write buffer drained below its low-water mark."""
        self.writable.set()

    def data_received(self, data: bytes) -> None:
        if self.close_sent and self.transport.is_closing():
            return
        if self.scope is None:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                if len(self.head) > MAX_HEAD_SIZE:
                    self.send_plain_response(400, "Request head too large")
                    self.close_transport()
                return
            head, data = bytes(self.head[: end + 4]), bytes(self.head[end + 4 :])
            self.head = bytearray()
            if not self.handle_upgrade_request(head) or not data:
                return
        self.handle_frames(data)

    # Output

    def write(self, data: bytes) -> None:
        """Queues bytes for the transport; they are written together at the end of this
        event-loop turn, or at once past FLUSH_SIZE so the transport's flow control
        (pause_writing) still sees every byte promptly."""
        if self.transport.is_closing():
            return
        if len(data) >= FLUSH_SIZE:
            self.flush()
            self.transport.write(data)
            return
        if not self.outgoing:
            self.loop.call_soon(self.flush)
        self.outgoing.append(data)
        self.outgoing_size += len(data)
        if self.outgoing_size >= FLUSH_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.outgoing:
            return
        data = self.outgoing[0] if len(self.outgoing) == 1 else b"".join(self.outgoing)
        self.outgoing.clear()
        self.outgoing_size = 0
        if not self.transport.is_closing():
            self.transport.write(data)

    def close_transport(self) -> None:
        self.flush()
        self.transport.close()

    def abort_transport(self) -> None:
        """After the close handshake timed out: drop the connection even with unsent data
        (transport.close() would wait for a peer that never reads)."""
        self.flush()
        self.transport.abort()

    # Handshake

    def handle_upgrade_request(self, head: bytes) -> bool:
        try:
            request = parse_upgrade_request(head)
        except WebSocketHandshakeError as exc:
            self.logger.info('%s - "WebSocket upgrade" %d %s', self._peer(), exc.status, exc.reason)
            self.send_plain_response(exc.status, exc.reason, HANDSHAKE_EXTRA_HEADERS.get(exc.status, []))
            self.close_sent = True
            self.close_transport()
            return False

        self.accept_key = request.accept
        raw_path, _, query_string = request.target.partition("?")
        self.scope = {
            "type": "websocket",
            "asgi": {"version": self.asgi_version, "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": self.scheme,
            "server": self.server,
            "client": self.client,
            "root_path": self.root_path,
            "path": self.root_path + unquote(raw_path),
            "raw_path": self.root_path.encode("ascii") + raw_path.encode("ascii"),
            "query_string": query_string.encode("ascii"),
            "headers": request.headers,
            "subprotocols": request.subprotocols,
            "state": self.app_state.copy(),
            "extensions": {"websocket.http.response": {}},
        }
        self.deliver({"type": "websocket.connect"})
        task = self.loop.create_task(self.run_asgi())
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)
        return True

    def send_plain_response(
        self, status: int, text: str, extra_headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        body = text.encode("utf-8")
        headers = [
            *self.default_headers,
            *(extra_headers or []),
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"connection", b"close"),
        ]
        self.write_response(status, headers, body)

    def write_response(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        out = [_status_line(status)]
        for name, value in headers:
            out += [name, b": ", value, b"\r\n"]
        out += [b"\r\n", body]
        if not self.transport.is_closing():
            self.write(b"".join(out))

    def send_500_response(self) -> None:
        if self.initial_response is not None or self.handshake_complete:
            return
        self.send_plain_response(500, "Internal Server Error")
        self.close_sent = True

    # Frames

    def handle_frames(self, data: bytes) -> None:
        try:
            frames = self.decoder.feed(data)
        except WebSocketProtocolError as exc:
            self.fail(exc.code, exc.reason)
            return
        for opcode, payload in frames:
            if opcode == TEXT:
                if not self.close_sent:
                    self.deliver({"type": "websocket.receive", "text": cast("str", payload)})
            elif opcode == BINARY:
                if not self.close_sent:
                    self.deliver({"type": "websocket.receive", "bytes": cast("bytes", payload)})
            elif opcode == PING:
                if not self.close_sent and not self.transport.is_closing():
                    self.write(encode_frame(PONG, cast("bytes", payload)))
            elif opcode == PONG:
                self.handle_pong(cast("bytes", payload))
            elif opcode == CLOSE:
                self.handle_close(cast("bytes", payload))
        error = self.decoder.error
        if error is not None:
            self.fail(error.code, error.reason)
        elif len(self.inbox) >= self.max_queue and not self.read_paused and not self.transport.is_closing():
            self.read_paused = True
            self.transport.pause_reading()

    def handle_close(self, payload: bytes) -> None:
        if self.close_sent:
            # The peer answered our close frame: the closing handshake is complete.
            if self.close_timer is not None:
                self.close_timer.cancel()
                self.close_timer = None
            self.close_transport()
            return
        if len(payload) >= 2:
            code = int.from_bytes(payload[:2], "big")
            reason = payload[2:].decode("utf-8")
            reply = encode_close(code, reason)
        else:
            code, reason, reply = 1005, "", encode_frame(CLOSE, b"")
        self.deliver_disconnect(code, reason)
        self.close_sent = True
        self.stop_keepalive()
        if not self.transport.is_closing():
            self.write(reply)
            self.close_transport()

    def fail(self, code: int, reason: str) -> None:
        """Fails the connection (RFC 6455 §7.1.7): close frame with `code`, then TCP close."""
        if self.logger.isEnabledFor(logging.DEBUG):
            self.logger.debug("%sWebSocket closed with %d: %s", self._prefix(), code, reason)
        self.stop_keepalive()
        self.deliver_disconnect(code, reason)
        if not self.close_sent and not self.transport.is_closing():
            self.write(encode_close(code, reason))
        self.close_sent = True
        self.close_transport()

    # Keepalive, as uvicorn's implementations do it.

    def start_keepalive(self) -> None:
        if self.ping_interval is not None and self.ping_interval > 0:
            self.schedule_ping()

    def stop_keepalive(self) -> None:
        if self.ping_timer is not None:
            self.ping_timer.cancel()
            self.ping_timer = None
        if self.pong_timer is not None:
            self.pong_timer.cancel()
            self.pong_timer = None
        self.pending_ping_payload = None

    def schedule_ping(self) -> None:
        interval = self.ping_interval or 0.0
        delay = max(0.0, interval - self.last_ping_rtt)
        self.ping_timer = self.loop.call_later(delay, self.send_keepalive_ping)

    def send_keepalive_ping(self) -> None:
        self.ping_timer = None
        if self.close_sent or self.transport.is_closing():
            return
        # A random payload identifies this ping, so stale or unsolicited pongs are ignored.
        self.pending_ping_payload = os.urandom(4)
        self.ping_sent_at = self.loop.time()
        self.write(encode_frame(PING, self.pending_ping_payload))
        if self.ping_timeout is not None:
            self.pong_timer = self.loop.call_later(self.ping_timeout, self.keepalive_timeout)
        else:
            self.schedule_ping()

    def handle_pong(self, payload: bytes) -> None:
        if self.pending_ping_payload is None or payload != self.pending_ping_payload:
            return
        self.last_ping_rtt = self.loop.time() - self.ping_sent_at
        self.pending_ping_payload = None
        if self.pong_timer is not None:
            self.pong_timer.cancel()
            self.pong_timer = None
            self.schedule_ping()

    def keepalive_timeout(self) -> None:
        self.pong_timer = None
        self.pending_ping_payload = None
        if self.close_sent or self.transport.is_closing():
            return
        if self.logger.level <= TRACE_LOG_LEVEL:
            self.logger.log(TRACE_LOG_LEVEL, "%sWebSocket keepalive ping timeout", self._prefix())
        self.fail(1011, "keepalive ping timeout")

    # Server shutdown

    def shutdown(self) -> None:
        self.stop_keepalive()
        if self.close_sent:
            if self.close_timer is not None:
                self.close_timer.cancel()
                self.close_timer = None
            self.close_transport()
            return
        if self.handshake_complete:
            self.deliver_disconnect(1012)
            if not self.transport.is_closing():
                self.write(encode_close(1012))
            self.close_sent = True
        else:
            self.send_500_response()
        self.close_transport()

    # ASGI

    async def run_asgi(self) -> None:
        assert self.scope is not None
        failed = False
        try:
            result = await self.app(self.scope, self.receive, self.send)
        except ClientDisconnected:
            pass
        except BaseException:
            failed = True
            self.logger.exception("Exception in ASGI application\n")
            self.send_500_response()
        else:
            if not self.handshake_complete:
                self.logger.error("ASGI callable returned without completing handshake.")
                self.send_500_response()
            elif result is not None:
                self.logger.error("ASGI callable should return None, but returned '%s'.", result)
        if self.handshake_complete and not self.close_sent and not self.disconnected:
            # The app is gone without closing: tell the peer why instead of dropping TCP.
            code = 1011 if failed else 1000
            self.deliver_disconnect(code)
            if not self.transport.is_closing():
                self.write(encode_close(code))
            self.close_sent = True
        if self.close_timer is None:
            self.close_transport()

    def deliver(self, event: ASGIReceiveEvent) -> None:
        self.inbox.append(event)
        if self.waiters:
            self.deliver_wakeup()

    def deliver_disconnect(self, code: int, reason: str = "") -> None:
        """Queues `websocket.disconnect` for the app, once per connection."""
        if self.disconnect_event is not None:
            return
        self.disconnect_event = {"type": "websocket.disconnect", "code": code, "reason": reason}
        self.deliver(self.disconnect_event)

    async def receive(self) -> ASGIReceiveEvent:
        while not self.inbox:
            if self.disconnected and self.disconnect_event is not None:
                # Asked again after the disconnect: repeat it rather than wait forever.
                return self.disconnect_event.copy()
            waiter = self.loop.create_future()
            self.waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in self.waiters:
                    self.waiters.remove(waiter)
                elif self.inbox and self.waiters:
                    # This call was woken for a message it will not take: pass it on.
                    self.deliver_wakeup()
                raise
        message = self.inbox.popleft()
        if self.read_paused and len(self.inbox) <= self.max_queue // 2 and not self.transport.is_closing():
            self.read_paused = False
            self.transport.resume_reading()
        return message

    def deliver_wakeup(self) -> None:
        """Wakes the oldest receive() still waiting."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def send(self, message: ASGISendEvent) -> None:
        # A close never waits for a full write buffer: closing a peer that does not read
        # (CONTRACT §6.5, 1013) must not depend on that peer reading.
        if not self.writable.is_set() and message["type"] != "websocket.close":
            await self.writable.wait()
        if self.disconnected:
            raise ClientDisconnected()

        kind = message["type"]
        if not self.handshake_complete and self.initial_response is None:
            if kind == "websocket.accept":
                accept = cast("WebSocketAcceptEvent", message)
                self.accept(accept.get("subprotocol"), list(accept.get("headers", [])))
            elif kind == "websocket.close":
                self.reject_with_403()
            elif kind == "websocket.http.response.start":
                start = cast("WebSocketResponseStartEvent", message)
                status = start["status"]
                if not 100 <= status < 600:
                    raise RuntimeError(f"Invalid HTTP status code '{status}' in response.")
                self.logger.info('%s - "WebSocket %s" %d', self._peer(), self._path(), status)
                headers = list(start.get("headers", []))
                for name, value in headers:
                    _check_header(name, value)
                self.initial_response = (status, headers, b"")
            else:
                raise RuntimeError(
                    "Expected ASGI message 'websocket.accept', 'websocket.close' "
                    f"or 'websocket.http.response.start' but got '{kind}'."
                )

        elif self.initial_response is not None:
            if kind != "websocket.http.response.body":
                raise RuntimeError(f"Expected ASGI message 'websocket.http.response.body' but got '{kind}'.")
            chunk = cast("WebSocketResponseBodyEvent", message)
            status, headers, body = self.initial_response
            body += chunk["body"]
            self.initial_response = (status, headers, body)
            if not chunk.get("more_body", False):
                self.finish_denial_response(status, headers, body)

        elif not self.close_sent:
            if kind == "websocket.send":
                outgoing = cast("WebSocketSendEvent", message)
                data = outgoing.get("bytes")
                if data is not None:
                    frame = encode_binary(data)
                else:
                    text = outgoing.get("text")
                    if text is None:
                        raise RuntimeError("'websocket.send' needs 'text' or 'bytes'.")
                    frame = encode_text(text)
                if self.transport.is_closing():
                    raise ClientDisconnected()
                self.write(frame)
            elif kind == "websocket.close":
                close = cast("WebSocketCloseEvent", message)
                code = close.get("code", 1000)
                reason = close.get("reason") or ""
                frame = encode_close(code, reason)
                self.deliver_disconnect(code, reason)
                self.close_sent = True
                self.closed_by_app = True
                self.stop_keepalive()
                if not self.transport.is_closing():
                    self.write(frame)
                    # Keep reading until the peer answers with its close frame.
                    if self.read_paused:
                        self.read_paused = False
                        self.transport.resume_reading()
                    # A peer that never answers (or never reads) is cut off after the timeout.
                    self.close_timer = self.loop.call_later(self.close_timeout, self.abort_transport)
            else:
                raise RuntimeError(f"Expected ASGI message 'websocket.send' or 'websocket.close', but got '{kind}'.")

        elif self.closed_by_app:
            raise RuntimeError(f"Unexpected ASGI message '{kind}', after sending 'websocket.close'.")
        elif kind == "websocket.send":
            # The peer closed, or the connection failed: nothing more can be sent.
            raise ClientDisconnected()

    def accept(self, subprotocol: str | None, app_headers: list[tuple[bytes, bytes]]) -> None:
        self.logger.info('%s - "WebSocket %s" [accepted]', self._peer(), self._path())
        headers = [*self.default_headers, *app_headers]
        if subprotocol:
            headers.append((b"sec-websocket-protocol", subprotocol.encode("latin-1")))
        out = [
            b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n",
            b"sec-websocket-accept: ",
            self.accept_key.encode("ascii"),
            b"\r\n",
        ]
        for name, value in headers:
            _check_header(name, value)
            out += [name, b": ", value, b"\r\n"]
        out.append(b"\r\n")
        if not self.transport.is_closing():
            self.handshake_complete = True
            self.write(b"".join(out))
            self.start_keepalive()

    def reject_with_403(self) -> None:
        self.logger.info('%s - "WebSocket %s" 403', self._peer(), self._path())
        self.deliver_disconnect(1006)
        self.handshake_complete = True
        self.close_sent = True
        self.send_plain_response(403, "")
        self.close_transport()

    def finish_denial_response(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        names = {name.lower() for name, _ in headers}
        defaults = [
            (b"date", email.utils.formatdate(usegmt=True).encode("ascii")),
            (b"connection", b"close"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"content-type", b"text/plain; charset=utf-8"),
        ]
        headers = headers + [(n, v) for n, v in defaults if n not in names]
        self.deliver_disconnect(1006)
        self.handshake_complete = True
        self.close_sent = True
        self.write_response(status, headers, body)
        self.close_transport()

    # Logging helpers

    def _prefix(self) -> str:
        return f"{self.client[0]}:{self.client[1]} - " if self.client else ""

    def _peer(self) -> str:
        if self.scope is not None:
            return get_client_addr(self.scope)
        return f"{self.client[0]}:{self.client[1]}" if self.client else ""

    def _path(self) -> str:
        return get_path_with_query_string(self.scope) if self.scope is not None else ""
