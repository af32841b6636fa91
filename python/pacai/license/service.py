"""The licence in force, its state and what it allows (CONTRACT §8.1-§8.3), verified offline
in the Rust core. Every instance re-reads it at most every 5 s, and at once when another
instance announces a new one on the event bus."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from pacai import _core
from pacai.bus import EventBus
from pacai.db.database import Database
from pacai.errors import ProblemError
from pacai.events import NO_META, EventSink, RequestMeta
from pacai.health.service import CheckResult
from pacai.identity.sessions import Principal
from pacai.settings import Settings

LICENSE_CHANNEL = "license"
REFRESH_SECONDS = 5.0
USABLE = ("valid", "grace")


def load_vendor_keys(paths: tuple[Path, ...]) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for path in paths:
        raw = _core.ed25519_public_key(Path(path).read_bytes())
        keys[_core.ed25519_key_id(raw)] = raw
    return keys


def license_service(
    settings: Settings, db: Database, bus: EventBus, events: EventSink, *, hardware_serial: str | None
) -> LicenseService:
    """The licence service as the server and every command build it: the vendor keys of
    PACAI_LICENSE_PUBLIC_KEYS, enforcement as PACAI_LICENSE_ENFORCE says, and the serial of
    the token a hardware-bound licence must match (None without an HSM)."""
    return LicenseService(
        db,
        bus,
        events,
        load_vendor_keys(settings.license.public_key_files),
        enforce=settings.license.enforce,
        hardware_serial=lambda: hardware_serial,
    )


class LicenseView(msgspec.Struct):
    status: str
    license_id: str | None
    licensee: str | None
    edition: str | None
    seats: int | None
    seats_used: int
    features: list[str]
    expires_at: str | None
    grace_until: str | None
    hardware_bound: bool
    key_id: str | None


class LicenseService:
    def __init__(
        self,
        db: Database,
        bus: EventBus,
        events: EventSink,
        vendor_keys: dict[str, bytes],
        *,
        enforce: bool,
        hardware_serial: Callable[[], str | None],
    ) -> None:
        self.db = db
        self.bus = bus
        self.events = events
        self.vendor_keys = vendor_keys
        self.enforce = enforce
        self.hardware_serial = hardware_serial
        self._document: bytes | None = None
        self._loaded_at = 0.0

    def start(self) -> None:
        self.bus.subscribe(LICENSE_CHANNEL, self._on_announcement)

    def _on_announcement(self, _channel: str, _message: dict[str, Any], _raw: bytes) -> None:
        self._loaded_at = 0.0  # re-read at the next check

    async def _current_document(self) -> bytes | None:
        if time.monotonic() - self._loaded_at >= REFRESH_SECONDS:
            row = await self.db.fetch_one("SELECT document FROM licenses ORDER BY id DESC LIMIT 1")
            self._document = bytes(row["document"]) if row else None
            self._loaded_at = time.monotonic()
        return self._document

    def verify(self, document: bytes) -> Any:
        return _core.verify_license(document, self.vendor_keys, int(time.time()), self.hardware_serial())

    async def state(self) -> Any:
        """The LicenseStatus of the licence in force, or None when none is installed."""
        document = await self._current_document()
        return None if document is None else self.verify(document)

    async def require(self, principal: Principal | None = None) -> None:
        """403 license_required for generation, overrides and exports without a usable licence."""
        if not self.enforce:
            return
        status = await self.state()
        state = "missing" if status is None else status.state
        if state not in USABLE:
            raise ProblemError(
                403,
                f"This server has no usable licence (state: {state}); an administrator can "
                "install one with PUT /v5/license.",
                code="license_required",
                extra={"state": state},
            )

    async def check_seats(self) -> None:
        """403 license_seats when one more enabled user would exceed the licence's seats."""
        if not self.enforce:
            return
        status = await self.state()
        if status is None or status.state not in USABLE or status.seats is None:
            return
        used = await self._seats_used()
        if used >= status.seats:
            raise ProblemError(
                403,
                f"All {status.seats} seats of the licence are in use.",
                code="license_seats",
                extra={"seats": status.seats, "seats_used": used},
            )

    async def _seats_used(self) -> int:
        row = await self.db.fetch_one("SELECT count(*) AS n FROM users WHERE NOT disabled")
        return int(row["n"]) if row else 0

    async def view(self) -> LicenseView:
        status = await self.state()
        used = await self._seats_used()
        if status is None:
            return LicenseView(
                status="missing",
                license_id=None,
                licensee=None,
                edition=None,
                seats=None,
                seats_used=used,
                features=[],
                expires_at=None,
                grace_until=None,
                hardware_bound=False,
                key_id=None,
            )
        return LicenseView(
            status=status.state,
            license_id=status.license_id,
            licensee=status.licensee,
            edition=status.edition,
            seats=status.seats,
            seats_used=used,
            features=list(status.features or []),
            expires_at=status.expires_at,
            grace_until=status.grace_until,
            hardware_bound=bool(status.hardware_bound),
            key_id=status.key_id,
        )

    async def install(self, document: bytes, meta: RequestMeta = NO_META, *, actor_id: str | None) -> LicenseView:
        status = self.verify(document)
        if status.state not in USABLE:
            await self.events.emit(
                "license.rejected",
                meta=meta,
                actor_id=actor_id,
                data={"state": status.state, "reason": status.reason, "license_id": status.license_id},
            )
            raise ProblemError(
                400,
                f"The licence was not installed: it is {status.state}"
                + (f" ({status.reason})." if status.reason else "."),
                code="license_invalid",
                extra={"state": status.state},
            )
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO licenses (license_id, document, installed_by) VALUES (%s, %s, %s)",
                (status.license_id, document, actor_id),
            )
            await self.events.emit(
                "license.installed",
                meta=meta,
                actor_id=actor_id,
                subject=f"license:{status.license_id}",
                data={
                    "license_id": status.license_id,
                    "edition": status.edition,
                    "seats": status.seats,
                    "expires_at": status.expires_at,
                    "key_id": status.key_id,
                },
                conn=conn,
            )
        self._loaded_at = 0.0
        await self.bus.publish(LICENSE_CHANNEL, {"type": "installed", "license_id": status.license_id})
        return await self.view()

    async def health(self) -> CheckResult:
        status = await self.state()
        state = "missing" if status is None else status.state
        detail: dict[str, Any] = {"state": state}
        if status is not None and status.expires_at:
            detail["expires_at"] = status.expires_at
        return CheckResult(status="ok" if state == "valid" else "degraded", detail=detail)
