"""Live WebSocket connections: authentication, channels, limits, session binding, logging.

One `LiveConnection` per socket. Everything it sends goes through a bounded queue drained by
one sender task, so a slow reader never blocks the server: when its queue is full the
connection is closed with 1013. The hub knows every live connection of this process by
session, so a revocation published on any instance closes the right sockets (4401).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Any

import msgspec

from pacai.bus import EventBus, Subscription
from pacai.errors import DependencyUnavailable, ProblemError
from pacai.http.edge import request_meta
from pacai.identity.sessions import SESSIONS_CHANNEL, Principal, SessionService
from pacai.identity.tokens import TokenError, TokenService
from pacai.license.service import LicenseService
from pacai.observability.logging import get_logger
from pacai.projects.schemas import MAX_OPS_PER_REQUEST
from pacai.projects.service import ProjectService, channel_of
from pacai.ratelimit.connections import CONNECTION_CAPS, ConnectionCounter
from pacai.ratelimit.messages import MESSAGES_PER_SECOND, MessageBucket
from pacai.ratelimit.service import RateLimitService

log = get_logger("pacai.ws")

SUBPROTOCOL = "pacai.v5"
AUTH_TIMEOUT = 10.0
CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_MANY = 4429
CLOSE_TRY_AGAIN_LATER = 1013
SESSION_RECHECK_SECONDS = 10.0

Message = dict[str, Any]


class ClientMessage(msgspec.Struct, frozen=True):
    type: str
    id: str | None = None
    token: str | None = None
    channel: str | None = None
    project_id: str | None = None
    ops: list[dict[str, Any]] | None = None


_decoder = msgspec.json.Decoder(ClientMessage)
_encoder = msgspec.json.Encoder()


class LiveHub:
    """Every live connection of this process, and the services they use."""

    def __init__(
        self,
        *,
        bus: EventBus,
        tokens: TokenService,
        sessions: SessionService,
        projects: ProjectService,
        license: LicenseService,
        limits: RateLimitService,
        counter: ConnectionCounter,
        queue_size: int,
    ) -> None:
        self.bus = bus
        self.tokens = tokens
        self.sessions = sessions
        self.projects = projects
        self.license = license
        self.limits = limits
        self.counter = counter
        self.queue_size = queue_size
        self.by_session: dict[str, set[LiveConnection]] = {}
        self._sub: Subscription | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._sub = self.bus.subscribe(SESSIONS_CHANNEL, self._on_session_event)
        self._task = asyncio.create_task(self._maintain(), name="pacai-ws-maintenance")

    async def close(self) -> None:
        if self._sub is not None:
            self._sub.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for conns in list(self.by_session.values()):
            for conn in list(conns):
                conn.close_soon(1001, "server shutting down")

    def register(self, conn: LiveConnection) -> None:
        assert conn.principal is not None
        self.by_session.setdefault(conn.principal.session_id, set()).add(conn)

    def unregister(self, conn: LiveConnection) -> None:
        if conn.principal is None:
            return
        conns = self.by_session.get(conn.principal.session_id)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.by_session[conn.principal.session_id]

    def _on_session_event(self, _channel: str, message: dict[str, Any], _raw: bytes) -> None:
        if message.get("type") != "revoked":
            return
        for conn in list(self.by_session.get(str(message.get("session_id")), ())):
            conn.close_soon(CLOSE_UNAUTHORIZED, "session revoked")

    async def _maintain(self) -> None:
        """Backstop for a lost pub/sub message: re-check every session, renew the leases."""
        while True:
            await asyncio.sleep(SESSION_RECHECK_SECONDS)
            for conns in list(self.by_session.values()):
                for conn in list(conns):
                    await conn.recheck()


class LiveConnection:
    def __init__(self, hub: LiveHub, socket: Any) -> None:
        self.hub = hub
        self.socket = socket
        self.id = uuid.uuid4().hex
        self.meta = request_meta(socket.scope)
        self.principal: Principal | None = None
        self.claims: dict[str, Any] = {}
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=hub.queue_size)
        self.subscriptions: dict[str, Subscription] = {}
        self.bucket = MessageBucket()
        self.messages_in = 0
        self.messages_out = 0
        self.opened = time.monotonic()
        self.close_code: int | None = None
        self._sender: asyncio.Task[None] | None = None
        self._expiry: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self._leased = False

    # --- lifecycle ----------------------------------------------------------------------

    async def run(self) -> None:
        offered = [p.strip() for p in (self.socket.headers.get("sec-websocket-protocol") or "").split(",")]
        await self.socket.accept(subprotocols=SUBPROTOCOL if SUBPROTOCOL in offered else None)
        log.info("websocket opened", connection=self.id, client_ip=self.meta.ip, request_id=self.meta.request_id)
        try:
            if not await self._authenticate():
                return
            self._sender = asyncio.create_task(self._send_loop())
            while True:
                message = await self.socket.receive()
                kind = message["type"]
                if kind == "websocket.disconnect":
                    self.close_code = self.close_code or message.get("code", 1005)
                    break
                if kind != "websocket.receive":
                    continue
                self.messages_in += 1
                await self._handle(message)
        finally:
            await self._cleanup()

    async def _cleanup(self) -> None:
        for sub in self.subscriptions.values():
            sub.cancel()
        self.subscriptions.clear()
        for task in (self._sender, self._expiry):
            if task is not None:
                task.cancel()
        self.hub.unregister(self)
        if self._leased and self.principal is not None:
            await self.hub.counter.release(self.principal.user_id, self.id)
        log.info(
            "websocket closed",
            connection=self.id,
            user_id=self.principal.user_id if self.principal else None,
            session_id=self.principal.session_id if self.principal else None,
            client_ip=self.meta.ip,
            request_id=self.meta.request_id,
            code=self.close_code,
            duration_s=round(time.monotonic() - self.opened, 3),
            messages_in=self.messages_in,
            messages_out=self.messages_out,
        )

    async def close(self, code: int, reason: str) -> None:
        if self.close_code is not None:
            return
        self.close_code = code
        if self._sender is not None:
            self._sender.cancel()
        with contextlib.suppress(Exception):
            await self.socket.send({"type": "websocket.close", "code": code, "reason": reason})

    def close_soon(self, code: int, reason: str) -> None:
        """Close from a callback (bus handler, timer): the socket's own task does the I/O."""
        if self.close_code is None and self._closing is None:
            self._closing = asyncio.get_running_loop().create_task(self.close(code, reason))

    # --- authentication -----------------------------------------------------------------

    async def _authenticate(self) -> bool:
        try:
            message = await asyncio.wait_for(self.socket.receive(), AUTH_TIMEOUT)
        except TimeoutError:
            await self._auth_failed("no auth message within 10 s")
            return False
        if message["type"] == "websocket.disconnect":
            self.close_code = message.get("code", 1005)
            return False
        self.messages_in += 1
        parsed = self._parse(message)
        if parsed is None or parsed.type != "auth" or not parsed.token:
            await self._auth_failed('the first message must be {"type": "auth", "token": ...}')
            return False
        principal = await self._check_token(parsed.token)
        if principal is None:
            return False
        cap = CONNECTION_CAPS[principal.budget_tier]
        try:
            leased = await self.hub.counter.acquire(principal.user_id, self.id, cap)
        except DependencyUnavailable:
            await self.close(CLOSE_TRY_AGAIN_LATER, "try again later")
            return False
        if not leased:
            log.info(
                "websocket refused",
                reason="connection cap",
                user_id=principal.user_id,
                cap=cap,
                client_ip=self.meta.ip,
                request_id=self.meta.request_id,
            )
            await self.close(CLOSE_TOO_MANY, f"at most {cap} connections for this tier")
            return False
        self._leased = True
        self.principal = principal
        self.hub.register(self)
        self._arm_expiry()
        await self._send_now(
            {"type": "ready", "session_id": principal.session_id, "user_id": principal.user_id, "tier": principal.tier}
        )
        log.info(
            "websocket authenticated",
            connection=self.id,
            user_id=principal.user_id,
            session_id=principal.session_id,
            client_ip=self.meta.ip,
            request_id=self.meta.request_id,
        )
        return True

    async def _check_token(self, token: str) -> Principal | None:
        try:
            claims = self.hub.tokens.verify(token)
            principal = await self.hub.sessions.check(claims)
        except (ProblemError, TokenError):
            await self._auth_failed("invalid or expired token")
            return None
        except DependencyUnavailable:
            await self.close(CLOSE_TRY_AGAIN_LATER, "try again later")
            return None
        self.claims = claims
        return principal

    async def _auth_failed(self, why: str) -> None:
        log.info(
            "websocket authentication failed",
            connection=self.id,
            reason=why,
            client_ip=self.meta.ip,
            request_id=self.meta.request_id,
        )
        await self.close(CLOSE_UNAUTHORIZED, "unauthorized")

    def _arm_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        delay = max(0.0, float(self.claims["exp"]) - time.time())

        async def expire() -> None:
            await asyncio.sleep(delay)
            log.info("websocket token expired", connection=self.id)
            await self.close(CLOSE_UNAUTHORIZED, "token expired")

        self._expiry = asyncio.create_task(expire())

    async def recheck(self) -> None:
        """The periodic check: the session is still valid, and the connection's lease is renewed."""
        if await self.refresh_principal() and self._leased and self.principal is not None:
            await self.hub.counter.renew(self.principal.user_id, self.id)

    async def refresh_principal(self) -> bool:
        """Reads the session (and so the user's tier and role) again; a revoked session closes
        the connection. False when the connection is closed or the check could not be made."""
        if self.principal is None or self.close_code is not None:
            return False
        try:
            self.principal = await self.hub.sessions.check(self.claims)
        except ProblemError:
            await self.close(CLOSE_UNAUTHORIZED, "session revoked")
            return False
        except DependencyUnavailable:
            return False
        return True

    # --- messages -----------------------------------------------------------------------

    def _parse(self, message: Message) -> ClientMessage | None:
        text = message.get("text")
        if text is None:
            return None
        try:
            return _decoder.decode(text)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None

    async def _handle(self, message: Message) -> None:
        parsed = self._parse(message)
        if parsed is None:
            await self._error(None, "bad_request", "messages are JSON text objects with a string `type`")
            return
        if parsed.type != "override":
            wait = self.bucket.take()
            if wait > 0:
                await self._error(
                    parsed.id,
                    "rate_limited",
                    f"at most {MESSAGES_PER_SECOND} messages per second",
                    retry_after=max(1, int(wait + 0.999)),
                )
                return
        handler = {
            "auth": self._on_auth,
            "subscribe": self._on_subscribe,
            "unsubscribe": self._on_unsubscribe,
            "override": self._on_override,
            "ping": self._on_ping,
        }.get(parsed.type)
        if handler is None:
            await self._error(parsed.id, "bad_request", f"unknown message type {parsed.type[:40]!r}")
            return
        await handler(parsed)

    async def _on_ping(self, _msg: ClientMessage) -> None:
        self.enqueue({"type": "pong"})

    async def _on_auth(self, msg: ClientMessage) -> None:
        # Re-authentication extends the connection past the old token's expiry, but only
        # with a token of the same session.
        if not msg.token:
            await self._error(msg.id, "bad_request", "`token` is required")
            return
        assert self.principal is not None
        previous = self.principal
        principal = await self._check_token(msg.token)
        if principal is None:
            return
        if principal.session_id != previous.session_id or principal.user_id != previous.user_id:
            await self._auth_failed("re-authentication with another session")
            return
        self.principal = principal
        self._arm_expiry()
        self.enqueue(
            {"type": "ready", "session_id": principal.session_id, "user_id": principal.user_id, "tier": principal.tier}
        )

    def _project_of(self, msg: ClientMessage) -> str | None:
        channel = msg.channel or ""
        prefix, _, project_id = channel.partition(":")
        return project_id if prefix == "project" and project_id else None

    async def _on_subscribe(self, msg: ClientMessage) -> None:
        project_id = self._project_of(msg)
        if project_id is None:
            await self._error(msg.id, "bad_request", "channel must be project:<id>")
            return
        assert self.principal is not None
        try:
            # Events are published under the canonical id, however the client spelled it.
            project_id = await self.hub.projects.canonical_id(self.principal, project_id)
        except ProblemError:
            await self._error(msg.id, "not_found", "no such project")
            return
        channel = channel_of(project_id)
        if channel not in self.subscriptions:
            self.subscriptions[channel] = self.hub.bus.subscribe(channel, self._on_event)
        self.enqueue({"type": "subscribed", "channel": channel})

    async def _on_unsubscribe(self, msg: ClientMessage) -> None:
        channel = msg.channel or ""
        project_id = self._project_of(msg)
        with contextlib.suppress(ValueError):
            channel = channel_of(str(uuid.UUID(project_id))) if project_id else channel
        sub = self.subscriptions.pop(channel, None)
        if sub is not None:
            sub.cancel()
        self.enqueue({"type": "unsubscribed", "channel": channel})

    async def _on_override(self, msg: ClientMessage) -> None:
        assert self.principal is not None
        if not msg.project_id or not msg.ops:
            await self._error(msg.id, "bad_request", "`project_id` and a non-empty `ops` list are required")
            return
        if len(msg.ops) > MAX_OPS_PER_REQUEST:
            await self._error(msg.id, "bad_request", f"ops: at most {MAX_OPS_PER_REQUEST} ops per override")
            return
        # The tier is read afresh, as a REST request reads it: an admin's change applies to the
        # very next override, not at the next periodic check (a revoked session closes here).
        await self.refresh_principal()
        if self.principal is None or self.close_code is not None:
            return
        try:
            await self.hub.license.require(self.principal)
            decision = await self.hub.limits.decide_action(self.principal, self.meta)
            if not decision.allowed:
                await self._error(
                    msg.id,
                    "rate_limited",
                    "the actions budget is spent",
                    retry_after=max(1, int(decision.retry_after + 0.999)),
                )
                return
            result = await self.hub.projects.apply_overrides(self.principal, msg.project_id, msg.ops, self.meta)
        except ProblemError as exc:
            code = {404: "not_found", 403: "forbidden", 429: "rate_limited"}.get(exc.status, "bad_request")
            detail = exc.detail
            if exc.errors:
                detail += " " + "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            await self._error(msg.id, code, detail)
            return
        except DependencyUnavailable:
            await self._error(msg.id, "unavailable", "a required service is unavailable; try again shortly")
            return
        self.enqueue(
            {
                "type": "ack",
                "id": msg.id,
                "override": msgspec.to_builtins(result.override),
                "checksum": result.checksum,
                "version": result.version,
            }
        )

    def _on_event(self, _channel: str, _message: dict[str, Any], raw: bytes) -> None:
        self.enqueue_raw(raw)

    async def _error(self, msg_id: str | None, code: str, message: str, retry_after: int | None = None) -> None:
        body: dict[str, Any] = {"type": "error", "code": code, "message": message}
        if msg_id is not None:
            body["id"] = msg_id
        if retry_after is not None:
            body["retry_after"] = retry_after
        self.enqueue(body)

    # --- sending ------------------------------------------------------------------------

    def enqueue(self, message: dict[str, Any]) -> None:
        self.enqueue_raw(_encoder.encode(message))

    def enqueue_raw(self, raw: bytes) -> None:
        if self.close_code is not None:
            return
        try:
            self.queue.put_nowait(raw)
        except asyncio.QueueFull:
            log.info("websocket slow consumer", connection=self.id, queued=self.queue.qsize())
            self.close_soon(CLOSE_TRY_AGAIN_LATER, "too slow: outgoing queue full")

    async def _send_now(self, message: dict[str, Any]) -> None:
        await self.socket.send({"type": "websocket.send", "text": _encoder.encode(message).decode()})
        self.messages_out += 1

    async def _send_loop(self) -> None:
        while True:
            raw = await self.queue.get()
            await self.socket.send({"type": "websocket.send", "text": raw.decode()})
            self.messages_out += 1
