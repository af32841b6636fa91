"""Which budget a request spends, and the answer when it is spent (CONTRACT §4): the key and
budget of each request, the IETF headers, the 429 problem document, and `ratelimit.blocked`
events (at most two per principal, budget and minute)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import redis.exceptions

from pacai.errors import DependencyUnavailable, ProblemError
from pacai.events import EventSink, RequestMeta
from pacai.http.edge import request_meta
from pacai.identity.sessions import Principal, unauthorized
from pacai.identity.store import RedisHotStore, UserMark
from pacai.identity.users import email_subject
from pacai.observability.logging import get_logger
from pacai.ratelimit.engine import Decision, Limiter, headers_for, retry_after_header

WINDOW = 60
Scope = Any  # the ASGI scope (a dict; Litestar types it as a TypedDict)
# A summary that cannot be written is retried at each flush for this long, then dropped.
SUMMARY_RETRY_SECONDS = 3600

log = get_logger("pacai.ratelimit")


def email_key(email: str) -> str:
    # Emails are hashed in limiter keys: Redis then holds no address in clear.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


@lru_cache(maxsize=4096)
def client_principal(client_ip: str) -> str:
    """The anonymous principal of a client address (CONTRACT §4.5 decides the address).

    An IPv6 client is its /64, the smallest block a network hands to one subscriber: keyed
    per address, one host could rotate through 2^64 addresses and never run out of budget.
    An IPv4-mapped IPv6 address is the IPv4 client it maps."""
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return f"ip:{client_ip}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"ip:{address.ipv4_mapped}"
        return f"ip:{ipaddress.IPv6Network((address, 64), strict=False)}"
    return f"ip:{address}"


def user_principal(user_id: str) -> str:
    return f"user:{user_id}"


@dataclass
class _Window:
    count: int
    ip: str | None
    actor_id: str | None
    subject: str
    first_recorded: bool = False


class BlockReporter:
    """Turns a flood of refusals into at most two events per principal, budget and minute:
    one at the first refusal, one summary with the count when the minute closes.

    A refusal stands even when its event cannot be written (the audit log is down): the
    client still gets its 429, and the summary at the close of the minute records it."""

    def __init__(self, events: EventSink) -> None:
        self.events = events
        self._windows: dict[tuple[str, str, int], _Window] = {}
        self._task: asyncio.Task[None] | None = None

    async def blocked(
        self,
        principal: str,
        budget: str,
        meta: RequestMeta,
        *,
        actor_id: str | None,
        subject: str | None = None,
    ) -> None:
        window = int(time.time()) // WINDOW
        key = (principal, budget, window)
        entry = self._windows.get(key)
        if entry is not None:
            entry.count += 1
            return
        entry = self._windows[key] = _Window(count=1, ip=meta.ip, actor_id=actor_id, subject=subject or principal)
        try:
            await self.events.emit(
                "ratelimit.blocked",
                meta=meta,
                actor_id=actor_id,
                subject=entry.subject,
                data={"budget": budget, "count": 1, "window_start": window * WINDOW},
            )
        except Exception as exc:  # noqa: BLE001 - the refusal must not turn into a 5xx
            log.warning("ratelimit.blocked not recorded yet", budget=budget, error=type(exc).__name__)
        else:
            entry.first_recorded = True

    async def flush(self, now: float | None = None) -> None:
        """Writes the summaries of the minutes that have closed."""
        moment = now if now is not None else time.time()
        current = int(moment) // WINDOW
        for key in [k for k in self._windows if k[2] < current]:
            entry = self._windows[key]
            _, budget, window = key
            if entry.count > 1 or not entry.first_recorded:
                try:
                    await self.events.emit(
                        "ratelimit.blocked",
                        meta=RequestMeta(ip=entry.ip),
                        actor_id=entry.actor_id,
                        subject=entry.subject,
                        data={
                            "budget": budget,
                            "count": entry.count,
                            "window_start": window * WINDOW,
                            "summary": True,
                        },
                    )
                except Exception as exc:
                    # Kept and retried at the next flush, for a while.
                    if (current - window) * WINDOW < SUMMARY_RETRY_SECONDS:
                        log.warning("ratelimit.blocked summary not recorded yet", error=type(exc).__name__)
                        continue
                    log.exception(
                        "ratelimit.blocked summary dropped",
                        budget=budget,
                        subject=entry.subject,
                        count=entry.count,
                        window_start=window * WINDOW,
                    )
            del self._windows[key]

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
    """A bucket is keyed by the budget *and* the principal (`actions.free:user:<id>`): a GCRA
    bucket remembers time owed, not units, so one bucket shared by two tiers would carry a
    free user's spent minute into the lifetime tier. With one bucket per budget, a tier
    change gives that user the new tier's bucket on the very next request."""

    def __init__(self, limiter: Limiter, per_minute: dict[str, int], events: EventSink) -> None:
        self.limiter = limiter
        self.per_minute = per_minute
        self.reporter = BlockReporter(events)

    async def _spend(
        self,
        scope: Scope,
        budget: str,
        principal: str,
        *,
        policy: str,
        actor_id: str | None,
        subject: str | None = None,
    ) -> Decision:
        """One unit of `budget` for `principal`; the IETF headers of `policy` join the
        response's (a request that spends two budgets lists both); 429 when refused."""
        decision = await self.limiter.decide(f"{budget}:{principal}", self.per_minute[budget])
        return await self._answer(scope, decision, budget, principal, policy=policy, actor_id=actor_id, subject=subject)

    async def _answer(
        self,
        scope: Scope,
        decision: Decision,
        budget: str,
        principal: str,
        *,
        policy: str,
        actor_id: str | None,
        subject: str | None = None,
    ) -> Decision:
        """Headers for the decision; when it refused, the audit report and the 429."""
        state = scope.setdefault("state", {})
        spent: list[tuple[str, Decision]] | None = state.get("ratelimit_spent")
        if spent is None:  # the usual case: one budget per request
            state["ratelimit_spent"] = [(policy, decision)]
            state["ratelimit_headers"] = headers_for(policy, decision)
        else:
            spent.append((policy, decision))
            state["ratelimit_headers"] = _combined_headers(spent)
        if not decision.allowed:
            await self.reporter.blocked(principal, budget, request_meta(scope), actor_id=actor_id, subject=subject)
            retry_after = retry_after_header(decision)
            raise ProblemError(
                429,
                f"The {policy} budget is spent; retry in {retry_after} s.",
                code="rate_limited",
                headers={"Retry-After": retry_after},
                extra={"budget": policy, "retry_after": int(retry_after)},
            )
        return decision

    async def enforce(self, scope: Scope, principal: Principal | None, opt: dict[str, Any]) -> None:
        """The `requests` or `actions` budget of one request; health routes are exempt."""
        kind = opt.get("rate_limit", "requests")
        if kind is None:
            return
        if kind == "login":
            # Spent here, before the body is read, so that malformed attempts spend it too
            # and carry the headers; the handler adds `login.email` once it knows the address.
            await self._spend(scope, "login.ip", client_principal(_client_ip(scope)), policy="login.ip", actor_id=None)
            return
        if kind == "actions" and principal is not None:
            await self.spend_action(scope, principal)
            return
        if principal is not None:
            await self._spend(
                scope,
                f"requests.{principal.budget_tier}",
                user_principal(principal.user_id),
                policy="requests",
                actor_id=principal.user_id,
            )
        else:
            await self._spend(
                scope, "requests.anonymous", client_principal(_client_ip(scope)), policy="requests", actor_id=None
            )

    async def authorize(
        self, scope: Scope, claims: dict[str, Any], opt: dict[str, Any], store: RedisHotStore
    ) -> Principal | None:
        """With Redis: the session check and the limit decision of an authenticated request
        in one round trip (CONTRACT §4.3). Returns the principal when the script decided
        (and answers 401/429 like the two-step path would); None when the two-step path must
        run instead: a budget this script does not serve, Redis in fallback, or a session or
        user mark that must first be refilled from PostgreSQL."""
        kind = opt.get("rate_limit", "requests")
        redis_limiter = getattr(self.limiter, "redis_limiter", None)
        if kind not in ("requests", "actions") or redis_limiter is None or getattr(self.limiter, "degraded", True):
            return None
        user_id, session_id = str(claims["sub"]), str(claims["sid"])
        who = user_principal(user_id)
        try:
            verdict = await redis_limiter.decide_for_session(
                session_key=store.session_key(session_id),
                user_key=store.user_key(user_id),
                user_id=user_id,
                bucket_keys=(f"{kind}.free:{who}", f"{kind}.creator:{who}", f"{kind}.lifetime:{who}"),
                limits=(
                    self.per_minute[f"{kind}.free"],
                    self.per_minute[f"{kind}.creator"],
                    self.per_minute[f"{kind}.lifetime"],
                ),
            )
        except (redis.exceptions.RedisError, OSError) as exc:
            # The limits fall back (and say so once) like a failed decision would; the session
            # itself cannot be checked without Redis, so this request answers 503.
            mark_unavailable = getattr(self.limiter, "mark_unavailable", None)
            if mark_unavailable is not None:
                mark_unavailable(exc)
            raise DependencyUnavailable("redis") from exc
        if verdict.decision is None:
            if verdict.missing:
                return None
            raise unauthorized()
        user = UserMark.decode(verdict.user_mark or "")
        if user is None or verdict.tier is None:
            raise unauthorized()
        principal = Principal(
            user_id=user_id, session_id=session_id, tier=user.tier, role=user.role, token_exp=int(claims["exp"])
        )
        state = scope.setdefault("state", {})
        state["principal"] = principal
        state["user_id"] = user_id
        await self._answer(scope, verdict.decision, f"{kind}.{verdict.tier}", who, policy=kind, actor_id=user_id)
        return principal

    async def spend_action(self, scope: Scope, principal: Principal) -> Decision:
        """One unit of the per-tier `actions` budget (generate, overrides, exports, project creation)."""
        return await self._spend(
            scope,
            f"actions.{principal.budget_tier}",
            user_principal(principal.user_id),
            policy="actions",
            actor_id=principal.user_id,
        )

    async def decide_action(self, principal: Principal, meta: RequestMeta) -> Decision:
        """The same budget for a WebSocket override: a decision, not an exception."""
        budget = f"actions.{principal.budget_tier}"
        who = user_principal(principal.user_id)
        decision = await self.limiter.decide(f"{budget}:{who}", self.per_minute[budget])
        if not decision.allowed:
            await self.reporter.blocked(who, budget, meta, actor_id=principal.user_id)
        return decision

    async def enforce_login(self, scope: Scope, email: str) -> None:
        """`login.email` (POST /v5/auth/login and /register), after the `login.ip` that
        `enforce` spent before the body was read. Both policies are listed in the headers:
        either may be the one that refuses the next attempt."""
        address = email.strip().lower()
        await self._spend(
            scope,
            "login.email",
            f"email:{email_key(address)}",
            policy="login.email",
            actor_id=None,
            # The audit trail names the address like auth.login.failed does (non-addresses hashed).
            subject=email_subject(address),
        )


def _client_ip(scope: Scope) -> str:
    ip = scope.get("state", {}).get("client_ip")
    return ip if isinstance(ip, str) and ip else "unknown"


def _combined_headers(spent: list[tuple[str, Decision]]) -> list[tuple[str, str]]:
    """One RateLimit-Policy and one RateLimit field listing each budget spent (RFC 8941 lists)."""
    policies: list[str] = []
    states: list[str] = []
    for policy, decision in spent:
        fields = dict(headers_for(policy, decision))
        policies.append(fields["RateLimit-Policy"])
        states.append(fields["RateLimit"])
    return [("RateLimit-Policy", ", ".join(policies)), ("RateLimit", ", ".join(states))]
