"""Request and response shapes of CONTRACT §3."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Tier = Literal["free", "creator", "lifetime"]
Role = Literal["user", "admin"]
TIERS: tuple[Tier, ...] = ("free", "creator", "lifetime")

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320)]
Password = Annotated[str, msgspec.Meta(min_length=10, max_length=1024)]
DisplayName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class User(msgspec.Struct, frozen=True):
    id: str
    email: str
    display_name: str | None
    tier: Tier
    role: Role
    disabled: bool
    created_at: datetime


class RegisterRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    email: Email
    password: Password
    display_name: DisplayName | None = None


class UserEnvelope(msgspec.Struct, frozen=True):
    user: User


class LoginRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=320)]
    password: Annotated[str, msgspec.Meta(max_length=1024)]


class RefreshRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


class TokenResponse(msgspec.Struct, frozen=True):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    refresh_token: str
    session_id: str
    user: User


class Session(msgspec.Struct, frozen=True):
    id: str
    created_at: datetime
    expires_at: datetime


class SessionListItem(msgspec.Struct, frozen=True):
    id: str
    created_at: datetime
    expires_at: datetime
    last_refreshed_at: datetime | None
    client_ip: str | None
    user_agent: str | None
    current: bool


class MeResponse(msgspec.Struct, frozen=True):
    user: User
    session: Session


class AdminUserPatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    tier: Tier | None = None
    role: Role | None = None
    disabled: bool | None = None
