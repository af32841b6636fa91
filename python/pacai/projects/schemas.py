"""Request and response shapes of CONTRACT §5."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

MAX_SEED = 2**63 - 1
Seed = Annotated[int, msgspec.Meta(ge=0, le=MAX_SEED)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
# Ops in one override request, over REST and over the WebSocket alike.
MAX_OPS_PER_REQUEST = 100


class Project(msgspec.Struct, frozen=True):
    id: str
    owner_id: str
    name: str
    seed: int
    params: dict[str, Any]
    checksum: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class ProjectCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name
    seed: Seed | None = None
    params: dict[str, Any] | None = None


class ProjectUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name | None = None
    seed: Seed | None = None
    params: dict[str, Any] | None = None


class GenerateRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    seed: Seed | None = None
    params: dict[str, Any] | None = None


class Summary(msgspec.Struct, frozen=True):
    tiles: int
    pois: int
    entities: int
    factions: int


class Generation(msgspec.Struct, frozen=True):
    id: str
    project_id: str
    seed: int
    params: dict[str, Any]
    checksum: str
    generated_at: datetime
    summary: Summary


class GenerationEnvelope(msgspec.Struct, frozen=True):
    generation: Generation


class OverrideRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    ops: Annotated[list[dict[str, Any]], msgspec.Meta(min_length=1, max_length=MAX_OPS_PER_REQUEST)]


class Override(msgspec.Struct, frozen=True):
    id: str
    seq: int
    ops: list[dict[str, Any]]
    user_id: str | None
    applied_at: datetime


class OverrideResult(msgspec.Struct, frozen=True):
    override: Override
    checksum: str
    version: int
    changes: dict[str, Any]
