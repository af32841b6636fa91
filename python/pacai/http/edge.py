"""The edge: one pure-ASGI layer around the whole application.

It runs for every request, matched route or not, so 404s, 405s and preflights carry the
same headers as everything else: the request id (CONTRACT §1.4), the security headers,
CORS (§1.5), the body-size and content-type gates (§1.3), the client IP (§4.5) and one
access-log line per request. Being plain ASGI keeps it cheap on the hot path.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from pacai.errors import ProblemError
from pacai.events import RequestMeta
from pacai.http.client_ip import resolve_client_ip
from pacai.http.problems import PROBLEM_JSON, problem_bytes
from pacai.observability.logging import access_log, get_logger
from pacai.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,128}$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_JSON_TYPE = re.compile(rb"^application/(?:[a-z0-9.+-]+\+)?json\s*(?:;.*)?$", re.IGNORECASE)
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, X-Request-ID"
EXPOSED_HEADERS = "X-Request-ID, RateLimit, RateLimit-Policy, Retry-After, WWW-Authenticate"

edge_log = get_logger("pacai.edge")
ws_log = get_logger("pacai.ws")


def request_meta(scope: Mapping[str, Any]) -> RequestMeta:
    """The client address and request id the edge put on this request or socket."""
    state = scope.get("state") or {}
    return RequestMeta(ip=state.get("client_ip"), request_id=state.get("request_id"))


def new_request_id() -> str:
    return uuid.uuid4().hex


# ASGI servers and frameworks give header names in lower case.
_DROPPED = frozenset({b"server", b"x-powered-by"})
# Statuses of requests that no route matched (the router answers them itself).
_UNROUTED = frozenset({404, 405})


def _with_charset(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    # CONTRACT §1.1 names the charset explicitly; Litestar omits it for JSON.
    if value == b"application/json" and name == b"content-type":
        return name, b"application/json; charset=utf-8"
    return name, value


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_body = settings.server.max_body_bytes
        self.origins = frozenset(o.encode() for o in settings.server.cors_origins)
        self.any_origin = b"*" in self.origins
        self.trusted = settings.server.trusted_proxies
        headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if settings.is_production:
            headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
        self.security_headers = headers

    def origin_allowed(self, origin: bytes) -> bool:
        return self.any_origin or origin in self.origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _prepare(self, scope: Scope) -> tuple[str, dict[bytes, bytes]]:
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            # Joined like HTTP does for repeated fields; only a few are read.
            headers[name] = headers[name] + b"," + value if name in headers else value
        incoming = headers.get(b"x-request-id")
        request_id = incoming.decode() if incoming and _REQUEST_ID.match(incoming) else new_request_id()
        client = scope.get("client")
        forwarded = headers.get(b"x-forwarded-for")
        fly = headers.get(b"fly-client-ip")
        client_ip = resolve_client_ip(
            client[0] if client else None,
            forwarded.decode("latin-1") if forwarded else None,
            fly.decode("latin-1") if fly else None,
            self.trusted,
        )
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["client_ip"] = client_ip
        return request_id, headers

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id, headers = self._prepare(scope)
        method: str = scope["method"]
        origin = headers.get(b"origin")
        cors: list[tuple[bytes, bytes]] = []
        if origin is not None:
            cors.append((b"vary", b"Origin"))
            if self.origin_allowed(origin):
                cors.append((b"access-control-allow-origin", origin))
                cors.append((b"access-control-expose-headers", EXPOSED_HEADERS.encode()))
        status_holder = [0]
        replaced = [False]  # the app's answer was replaced by a 429: drop the rest of it
        extra = [*self.security_headers, (b"x-request-id", request_id.encode()), *cors]

        async def send_wrapper(message: Message) -> None:
            if replaced[0]:
                return
            if message["type"] == "http.response.start":
                if message["status"] in _UNROUTED and "ratelimit_spent" not in scope["state"]:
                    refusal = await self._limit_unrouted(scope)
                    if refusal is not None:
                        await self._respond_problem(
                            send_wrapper,
                            refusal.status,
                            refusal.detail,
                            request_id,
                            refusal.code,
                            extra=refusal.extra,
                            headers=refusal.headers,
                        )
                        replaced[0] = True
                        return
                status_holder[0] = message["status"]
                headers = [_with_charset(k, v) for k, v in message.get("headers", ()) if k not in _DROPPED]
                headers.extend(extra)
                message["headers"] = headers
                # Set by the rate limiter for the budget this request spent (CONTRACT §4.2).
                limit_headers = scope["state"].get("ratelimit_headers")
                if limit_headers:
                    message["headers"] += [(k.encode(), v.encode()) for k, v in limit_headers]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self._log_access(scope, status_holder[0], started, request_id)

        if method == "OPTIONS" and b"access-control-request-method" in headers:
            await self._preflight(origin, send_wrapper, request_id)
            return
        refusal = self._gate(method, headers)
        if refusal is not None:
            status, detail, code = refusal
            await self._respond_problem(send_wrapper, status, detail, request_id, code)
            return
        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:  # noqa: BLE001 - logged with its traceback just below
            # Litestar answers its own errors; this only catches a failure in the ASGI
            # plumbing itself, and only if nothing was sent yet.
            edge_log.exception("unhandled error at the edge", request_id=request_id)
            if status_holder[0] == 0:
                await self._respond_problem(
                    send_wrapper,
                    500,
                    "An internal error happened; quote the request id to the operators.",
                    request_id,
                    None,
                )

    def _gate(self, method: str, headers: dict[bytes, bytes]) -> tuple[int, str, str | None] | None:
        """Refusals that need no routing: body too large (413), not JSON (415), bad length (400)."""
        length_header = headers.get(b"content-length")
        length = 0
        if length_header is not None:
            if not length_header.isdigit():
                return 400, "The Content-Length header is malformed.", None
            length = int(length_header)
            if length > self.max_body:
                return (
                    413,
                    f"The request body is larger than the limit of {self.max_body} bytes.",
                    None,
                )
        has_body = length > 0 or b"transfer-encoding" in headers
        if has_body and method in _BODY_METHODS:
            content_type = headers.get(b"content-type", b"")
            if not _JSON_TYPE.match(content_type.strip()):
                return 415, "The content type is not supported; send application/json.", None
        return None

    async def _preflight(self, origin: bytes | None, send: Send, request_id: str) -> None:
        if origin is None or not self.origin_allowed(origin):
            # No CORS headers for an origin we do not serve: the browser stops here.
            await self._respond_problem(send, 403, "This origin is not allowed.", request_id, "origin_not_allowed")
            return
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [
                    (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
                    (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
                    (b"access-control-max-age", b"600"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def _limit_unrouted(self, scope: Scope) -> ProblemError | None:
        """A request no route matched (404, 405) never reached the auth middleware, yet it is
        a request like any other (CONTRACT §4.1): it spends its client's anonymous budget, so
        a scanner walking unknown paths is limited too. Returns the 429 when it is spent."""
        ctx = getattr(getattr(self.app, "state", None), "ctx", None)
        if ctx is None:  # before start-up finished
            return None
        try:
            await ctx.limits.enforce(scope, None, {})
        except ProblemError as refusal:
            return refusal
        except Exception:  # noqa: BLE001 - the 404 still goes out; the failure is logged
            edge_log.exception("rate limit of an unrouted request failed", request_id=scope["state"].get("request_id"))
        return None

    @staticmethod
    async def _respond_problem(
        send: Send,
        status: int,
        detail: str,
        request_id: str,
        code: str | None,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        body = problem_bytes(status, detail, request_id, code=code, extra=extra)
        fields = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
        fields += [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": fields})
        await send({"type": "http.response.body", "body": body})

    def _log_access(self, scope: Scope, status: int, started: float, request_id: str) -> None:
        state = scope.get("state", {})
        access_log.request(
            method=scope["method"],
            route=scope.get("path_template") or "(unmatched)",
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            request_id=request_id,
            client_ip=state.get("client_ip"),
            user_id=state.get("user_id"),
        )

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id, headers = self._prepare(scope)
        origin = headers.get(b"origin")
        # Browsers always send Origin; a page from a foreign site must not ride on a user's
        # network position (CONTRACT §6.1). Non-browser clients send none.
        if origin is not None and not self.origin_allowed(origin):
            ws_log.info(
                "websocket refused",
                reason="origin",
                request_id=request_id,
                client_ip=scope["state"]["client_ip"],
                origin=origin.decode("latin-1"),
            )
            await receive()  # websocket.connect
            if "websocket.http.response" in scope.get("extensions", {}):
                body = problem_bytes(403, "This origin is not allowed.", request_id, code="origin_not_allowed")
                await send(
                    {
                        "type": "websocket.http.response.start",
                        "status": 403,
                        "headers": [
                            (b"content-type", PROBLEM_JSON.encode()),
                            (b"x-request-id", request_id.encode()),
                            *self.security_headers,
                        ],
                    }
                )
                await send({"type": "websocket.http.response.body", "body": body})
            else:
                await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)
