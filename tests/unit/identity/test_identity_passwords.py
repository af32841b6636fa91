"""No user enumeration by timing (CONTRACT §3.3), proven without measuring time: an unknown
email costs a real Argon2id verification of a dummy hash made with the same parameters as
real hashes, exactly like a wrong password or a disabled account does. And the ownership
rule: another user's resource is 404, never 403 (§1.3)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from pacai.bus import MemoryBus
from pacai.db.database import Database
from pacai.errors import ProblemError
from pacai.events import EventSink
from pacai.identity.guards import ensure_visible
from pacai.identity.passwords import Passwords
from pacai.identity.sessions import Principal, SessionService
from pacai.identity.store import MemoryHotStore
from pacai.identity.users import UserService
from pacai.settings import load_settings
from tests.support.identity import FAST_ARGON2, new_email, new_password

SETTINGS = load_settings({"PACAI_ENV": "test", "PACAI_JWT_SECRET": "x" * 40, **FAST_ARGON2})


class VerifySpy:
    """Wraps the real PasswordHasher.verify and records each call and how it ended."""

    def __init__(self) -> None:
        self.real = PasswordHasher.verify
        self.calls: list[tuple[str, str, str]] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        spy = self

        def verify(hasher: PasswordHasher, stored: str | bytes, password: str | bytes) -> bool:
            try:
                result = spy.real(hasher, stored, password)
            except Exception as exc:
                spy.calls.append((str(stored), str(password), type(exc).__name__))
                raise
            spy.calls.append((str(stored), str(password), "ok"))
            return result

        # PasswordHasher has __slots__: the method is replaced on the class, for this test only.
        monkeypatch.setattr(PasswordHasher, "verify", verify)


def spy_on(_passwords: Passwords, monkeypatch: pytest.MonkeyPatch) -> VerifySpy:
    spy = VerifySpy()
    spy.install(monkeypatch)
    return spy


def test_the_dummy_hash_is_a_real_argon2id_hash_with_the_configured_parameters() -> None:
    passwords = Passwords(SETTINGS.auth)
    dummy = passwords._dummy_hash
    assert dummy.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    assert not passwords.needs_rehash(dummy)
    # A fresh Passwords has a fresh dummy: nothing fixed to precompute against.
    assert Passwords(SETTINGS.auth)._dummy_hash != dummy


def test_verify_without_a_stored_hash_runs_argon2_on_the_dummy_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    passwords = Passwords(SETTINGS.auth)
    spy = spy_on(passwords, monkeypatch)
    password = new_password()
    assert asyncio.run(passwords.verify(None, password)) is False
    assert spy.calls == [(passwords._dummy_hash, password, VerifyMismatchError.__name__)]


def test_verify_with_a_stored_hash_runs_argon2_on_it(monkeypatch: pytest.MonkeyPatch) -> None:
    passwords = Passwords(SETTINGS.auth)
    password = new_password()
    stored = asyncio.run(passwords.hash(password))
    spy = spy_on(passwords, monkeypatch)
    assert asyncio.run(passwords.verify(stored, password)) is True
    assert asyncio.run(passwords.verify(stored, password + "!")) is False
    assert spy.calls == [(stored, password, "ok"), (stored, password + "!", VerifyMismatchError.__name__)]


def test_authenticate_costs_one_argon2_verification_whatever_the_failure(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown email, wrong password, disabled account: one real verification each."""

    async def scenario() -> list[tuple[str, list[tuple[str, str, str]]]]:
        db = Database(database_url, SETTINGS.database)
        await db.open()
        try:
            passwords = Passwords(SETTINGS.auth)
            events = EventSink()
            sessions = SessionService(
                db, MemoryHotStore(), MemoryBus(), events, refresh_ttl=3600, access_ttl=900, leeway=30
            )
            users = UserService(db, passwords, sessions, events, registration_open=True)
            common: dict[str, Any] = {"tier": "free", "role": "user", "actor_id": None}
            enabled_pw, disabled_pw = new_password(), new_password()
            enabled = await users.create(new_email(), enabled_pw, None, **common)
            disabled = await users.create(new_email(), disabled_pw, None, **common)
            await db.execute("UPDATE users SET disabled = true WHERE id = %s", (disabled["id"],))
            spy = spy_on(passwords, monkeypatch)
            seen: list[tuple[str, list[tuple[str, str, str]]]] = []
            cases = [
                ("unknown", new_email(), new_password(), None),
                ("wrong-password", enabled["email"], new_password(), enabled["password_hash"]),
                ("disabled", disabled["email"], disabled_pw, disabled["password_hash"]),
            ]
            for name, email, password, expected_hash in cases:
                spy.calls.clear()
                assert await users.authenticate(email, password) is None
                assert [c[0] for c in spy.calls] == [expected_hash or passwords._dummy_hash], name
                seen.append((name, list(spy.calls)))
            spy.calls.clear()
            signed_in = await users.authenticate(enabled["email"].upper(), enabled_pw)
            assert signed_in is not None and signed_in["id"] == enabled["id"]
            assert [c[2] for c in spy.calls] == ["ok"]
            return seen
        finally:
            await db.close()

    seen = dict(asyncio.run(scenario()))
    assert [c[2] for c in seen["unknown"]] == [VerifyMismatchError.__name__]
    assert [c[2] for c in seen["wrong-password"]] == [VerifyMismatchError.__name__]
    # The disabled account's password is right: Argon2 ran to completion before the refusal.
    assert [c[2] for c in seen["disabled"]] == ["ok"]


# --- ownership ------------------------------------------------------------------------------


def principal(user_id: str, role: str = "user") -> Principal:
    return Principal(user_id=user_id, session_id="s", tier="free", role=role, token_exp=0)


def test_ensure_visible_hides_other_users_resources_as_404() -> None:
    owner, other = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
    ensure_visible(principal(owner), owner, "project")
    ensure_visible(principal(other, role="admin"), owner, "project")
    with pytest.raises(ProblemError) as info:
        ensure_visible(principal(other), owner, "project")
    assert (info.value.status, info.value.detail) == (404, "No such project.")
