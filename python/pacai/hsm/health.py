"""The `hsm` check of /v5/health (CONTRACT §2.1): can a token sign right now?"""

from __future__ import annotations

import asyncio
import time

from pacai.health.service import Check, CheckResult
from pacai.hsm.signer import FailoverSigner

HSM_PROBE_SECONDS = 5.0


def hsm_check(hsm: FailoverSigner) -> Check:
    """A real signature, at most every few seconds: /v5/health is public and unlimited, and
    must not let anyone make the token sign on demand."""
    last: list[tuple[float, CheckResult]] = []

    async def probe() -> CheckResult:
        try:
            await asyncio.to_thread(hsm.sign, b"pacai health probe")
        except Exception:  # noqa: BLE001 - no token can sign
            return CheckResult(status="down", detail={"signing": "unavailable"})
        if hsm.degraded:
            return CheckResult(status="degraded", detail={"signing": "fallback token"})
        return CheckResult(status="ok", detail={"signing": "primary token"})

    async def check() -> CheckResult:
        # What real signing calls just met is reported at once; an idle signer is probed.
        if not hsm.available:
            return CheckResult(status="down", detail={"signing": "unavailable"})
        now = time.monotonic()
        stale = not last or now - last[0][0] >= HSM_PROBE_SECONDS
        if stale or (hsm.degraded and last[0][1].status == "ok"):
            last[:] = [(now, await probe())]
        return last[0][1]

    return check
