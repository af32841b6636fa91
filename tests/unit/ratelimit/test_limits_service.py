"""RateLimitService in process: the bucket each request spends, the headers it leaves for the
edge, and the reporting of refusals when the audit log cannot be written."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import pytest

from pacai.errors import ProblemError
from pacai.events import Event, EventSink
from pacai.identity.sessions import Principal
from pacai.ratelimit import DEFAULT_RATE_LIMITS, MemoryLimiter
from pacai.ratelimit import service as service_module
from pacai.ratelimit.service import RateLimitService, client_principal


class Recorder:
    """An EventSink writer that can be told to fail, like an audit log whose database is down."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.failing = False

    async def __call__(self, event: Event, _conn: Any) -> None:
        if self.failing:
            raise ConnectionError("audit database down")
        self.events.append(event)


def service() -> tuple[RateLimitService, Recorder]:
    sink = EventSink()
    recorder = Recorder()
    sink.add_writer(recorder)
    return RateLimitService(MemoryLimiter(), dict(DEFAULT_RATE_LIMITS), sink), recorder


def principal(tier: str = "free", role: str = "user", user_id: str = "u-1") -> Principal:
    return Principal(user_id=user_id, session_id="s-1", tier=tier, role=role, token_exp=0)


def scope(ip: str = "192.0.2.1") -> dict[str, Any]:
    return {"state": {"client_ip": ip, "request_id": f"req-{time.monotonic_ns()}"}}


ACTION = {"rate_limit": "actions"}


async def spend(
    limits: RateLimitService, who: Principal | None, opt: dict[str, Any], ip: str = "192.0.2.1"
) -> dict[str, Any]:
    s = scope(ip)
    await limits.enforce(s, who, opt)
    return s


def test_a_tier_change_gets_the_new_tiers_bucket_at_once() -> None:
    async def run() -> None:
        limits, _ = service()
        for _ in range(5):
            await spend(limits, principal("free"), ACTION)
        with pytest.raises(ProblemError):
            await spend(limits, principal("free"), ACTION)
        s = await spend(limits, principal("lifetime"), ACTION)
        assert s["state"]["ratelimit_headers"] == [
            ("RateLimit-Policy", '"actions";q=100;w=60'),
            ("RateLimit", '"actions";r=99;t=0'),
        ]

    asyncio.run(run())


def test_ipv6_clients_share_their_slash_64() -> None:
    assert client_principal("2001:db8:1:2::1") == client_principal("2001:db8:1:2:ffff::9") == "ip:2001:db8:1:2::/64"
    assert client_principal("2001:db8:1:3::1") != client_principal("2001:db8:1:2::1")
    assert client_principal("::ffff:192.0.2.7") == client_principal("192.0.2.7") == "ip:192.0.2.7"
    assert client_principal("unknown") == "ip:unknown"

    async def run() -> None:
        limits, _ = service()
        for n in range(60):
            await spend(limits, None, {}, ip=f"2001:db8:1:2::{n + 1:x}")
        with pytest.raises(ProblemError) as refused:
            await spend(limits, None, {}, ip="2001:db8:1:2:abcd::1")
        assert refused.value.status == 429
        await spend(limits, None, {}, ip="2001:db8:1:3::1")

    asyncio.run(run())


def test_login_lists_both_budgets() -> None:
    async def run() -> None:
        limits, _ = service()
        s = scope()
        await limits.enforce(s, None, {"rate_limit": "login"})  # the middleware, before the body
        await limits.enforce_login(s, "A@Example.com ")
        assert s["state"]["ratelimit_headers"] == [
            ("RateLimit-Policy", '"login.ip";q=10;w=60, "login.email";q=5;w=60'),
            ("RateLimit", '"login.ip";r=9;t=0, "login.email";r=4;t=0'),
        ]
        s = scope()
        await limits.enforce(s, None, {"rate_limit": "login"})
        await limits.enforce_login(s, "a@example.com")  # the same address
        assert s["state"]["ratelimit_headers"][1] == ("RateLimit", '"login.ip";r=8;t=0, "login.email";r=3;t=0')

    asyncio.run(run())


def test_a_flood_is_one_event_then_one_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    minute_start = 1_800_000_000 // 60 * 60
    monkeypatch.setattr(service_module, "time", SimpleNamespace(time=lambda: minute_start + 10.0))

    async def run() -> None:
        limits, recorder = service()
        who = principal()
        for _ in range(5):
            await spend(limits, who, ACTION)
        for _ in range(100):
            with pytest.raises(ProblemError):
                await spend(limits, who, ACTION)
        assert [(e.type, e.subject, e.actor_id, e.data) for e in recorder.events] == [
            (
                "ratelimit.blocked",
                "user:u-1",
                "u-1",
                {"budget": "actions.free", "count": 1, "window_start": minute_start},
            )
        ]
        await limits.reporter.flush(now=minute_start + 59.9)  # the minute has not closed
        assert len(recorder.events) == 1
        await limits.reporter.flush(now=minute_start + 60)
        assert recorder.events[1].data == {
            "budget": "actions.free",
            "count": 100,
            "window_start": minute_start,
            "summary": True,
        }
        await limits.reporter.flush(now=minute_start + 120)
        assert len(recorder.events) == 2

    asyncio.run(run())


def test_a_refusal_stays_a_429_when_its_record_cannot_be_written() -> None:
    async def run() -> None:
        limits, recorder = service()
        who = principal(user_id="u-2")
        for _ in range(5):
            await spend(limits, who, ACTION)
        recorder.failing = True
        with pytest.raises(ProblemError) as refused:
            await spend(limits, who, ACTION)
        assert refused.value.status == 429
        assert refused.value.headers["Retry-After"] in {"11", "12"}
        assert recorder.events == []
        # Still failing when the minute closes: kept for the next flush, not lost.
        await limits.reporter.flush(now=time.time() + 120)
        recorder.failing = False
        await limits.reporter.flush(now=time.time() + 120)
        assert [(e.subject, e.data["count"], e.data.get("summary")) for e in recorder.events] == [("user:u-2", 1, True)]

    asyncio.run(run())
