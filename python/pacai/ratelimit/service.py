"""Which budget a request spends, and the answer when it is spent (CONTRACT §4).

The engine (memory buckets in Rust, or one Redis script per decision) answers "may this
key spend one unit of a per-minute budget?"; this service picks the key and the budget for
each request, writes the IETF headers and the 429 problem document, and reports refusals
as `ratelimit.blocked` events, at most twice per principal, budget and minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from typing import TYPE_CHECKING, Any

from pacai.events import EventSink
from pacai.http.problems import ProblemError
from pacai.ratelimit.engine import Decision, Limiter, headers_for, retry_after_header

if TYPE_CHECKING:
    from pacai.identity.sessions import Principal

WINDOW = 60
Scope = Any  # the ASGI scope (a dict; Litestar types it as a TypedDict)


def email_key(email: str) -> str:
    # Emails are hashed in limiter keys: Redis then holds no address in clear.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


class BlockReporter:
    """Turns a flood of refusals into at most two events per principal, budget and minute:
    one at the first refusal, one summary with the count when the minute closes."""

    def __init__(self, events: EventSink) -> None:
        self.events = events
        self._windows: dict[tuple[str, str, int], dict[str, Any]] = {}
        self._task: asyncio.Task[None] | None = None

    async def blocked(
        self, principal: str, budget: str, *, ip: str | None, request_id: str | None, actor_id: str | None
    ) -> None:
        window = int(time.time()) // WINDOW
        key = (principal, budget, window)
        entry = self._windows.get(key)
        if entry is not None:
            entry["count"] += 1
            return
        self._windows[key] = {"count": 1, "ip": ip, "actor_id": actor_id}
        await self.events.emit(
            "ratelimit.blocked",
            actor_id=actor_id,
            subject=principal,
            ip=ip,
            request_id=request_id,
            data={"budget": budget, "count": 1, "window_start": window * WINDOW},
        )

    async def flush(self, now: float | None = None) -> None:
        current = int(now if now is not None else time.time()) // WINDOW
        for key in [k for k in self._windows if k[2] < current]:
            entry = self._windows.pop(key)
            if entry["count"] > 1:
                principal, budget, window = key
                await self.events.emit(
                    "ratelimit.blocked",
                    actor_id=entry["actor_id"],
                    subject=principal,
                    ip=entry["ip"],
                    data={"budget": budget, "count": entry["count"], "window_start": window * WINDOW, "summary": True},
                )

    def start(self) -> None:
        async def loop() -> None:
            while True:
                await asyncio.sleep(5)
                with contextlib.suppress(Exception):
                    await self.flush()

        self._task = asyncio.create_task(loop(), name="pacai-ratelimit-reporter")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.flush(now=time.time() + WINDOW)


class RateLimitService:
    def __init__(self, limiter: Limiter, per_minute: dict[str, int], events: EventSink) -> None:
        self.limiter = limiter
        self.per_minute = per_minute
        self.reporter = BlockReporter(events)

    async def _spend(
        self, scope: Scope, budget: str, key: str, *, actor_id: str | None, session_key: str | None = None
    ) -> Decision:
        limit = self.per_minute[budget]
        decision = await self.limiter.decide(key, limit)
        policy = budget.split(".")[0]
        state = scope.setdefault("state", {})
        state["ratelimit_headers"] = headers_for(policy, decision)
        if not decision.allowed:
            await self.reporter.blocked(
                key, budget, ip=state.get("client_ip"), request_id=state.get("request_id"), actor_id=actor_id
            )
            raise ProblemError(
                429,
                f"The {policy} budget is spent; retry in {retry_after_header(decision)} s.",
                code="rate_limited",
                headers={"Retry-After": retry_after_header(decision)},
                extra={"budget": policy, "retry_after": int(retry_after_header(decision))},
            )
        return decision

    async def enforce(self, scope: Scope, principal: Principal | None, opt: dict[str, Any]) -> None:
        """The `requests` or `actions` budget of one request; health routes are exempt."""
        kind = opt.get("rate_limit", "requests")
        if kind is None or kind == "login":
            return
        if kind == "actions" and principal is not None:
            await self.spend_action(scope, principal)
            return
        if principal is not None:
            await self._spend(
                scope, f"requests.{principal.budget_tier}", f"req:u:{principal.user_id}", actor_id=principal.user_id
            )
        else:
            ip = scope.get("state", {}).get("client_ip", "unknown")
            await self._spend(scope, "requests.anonymous", f"req:ip:{ip}", actor_id=None)

    async def spend_action(self, scope: Scope, principal: Principal) -> Decision:
        """One unit of the per-tier `actions` budget (generate, overrides, exports, project creation)."""
        return await self._spend(
            scope, f"actions.{principal.budget_tier}", f"act:u:{principal.user_id}", actor_id=principal.user_id
        )

    async def decide_action(self, principal: Principal, *, client_ip: str | None, request_id: str | None) -> Decision:
        """The same budget for a WebSocket override: a decision, not an exception."""
        budget = f"actions.{principal.budget_tier}"
        key = f"act:u:{principal.user_id}"
        decision = await self.limiter.decide(key, self.per_minute[budget])
        if not decision.allowed:
            await self.reporter.blocked(key, budget, ip=client_ip, request_id=request_id, actor_id=principal.user_id)
        return decision

    async def enforce_login(self, scope: Scope, email: str) -> None:
        ip = scope.get("state", {}).get("client_ip", "unknown")
        await self._spend(scope, "login.ip", f"login:ip:{ip}", actor_id=None)
        await self._spend(scope, "login.email", f"login:em:{email_key(email)}", actor_id=None)
