"""Projects: the logic behind CONTRACT §5.

Every change to a project (update, generation, override, deletion) runs under that
project's PostgreSQL advisory lock, held from before the transaction until its event is
published. So changes to one project are serialized across all instances, `version` and
`seq` never skip or repeat, and events leave in `seq` order.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import msgspec
import psycopg
from psycopg.types.json import Jsonb

from pacai import _core
from pacai.bus import EventBus
from pacai.db.database import Database, Row
from pacai.errors import FieldError, ProblemError, invalid
from pacai.events import EventSink, RequestMeta
from pacai.http.ids import is_uuid
from pacai.identity.guards import ensure_visible
from pacai.identity.sessions import Principal
from pacai.projects.schemas import (
    MAX_SEED,
    Generation,
    Override,
    OverrideResult,
    Project,
    ProjectCreate,
    ProjectUpdate,
    Summary,
)

Conn = psycopg.AsyncConnection[Row]


def audit_seed(seed: int) -> str:
    """A seed as the audit log records it: a decimal string. Seeds go up to 2^63-1, and the
    audit log's canonical JSON (RFC 8785) refuses integers above 2^53, which are not exact
    as IEEE doubles; a number there would refuse the action itself."""
    return str(seed)


def channel_of(project_id: str) -> str:
    return f"project:{project_id}"


def _lock_key(project_id: str) -> int:
    return int.from_bytes(uuid.UUID(project_id).bytes[:8], "big", signed=True)


def project_view(row: Row) -> Project:
    return Project(
        id=str(row["id"]),
        owner_id=str(row["owner_id"]),
        name=row["name"],
        seed=int(row["seed"]),
        params=row["params"],
        checksum=row["checksum"],
        version=int(row["version"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def generation_view(row: Row) -> Generation:
    return Generation(
        id=str(row["id"]),
        project_id=str(row["project_id"]),
        seed=int(row["seed"]),
        params=row["params"],
        checksum=row["checksum"],
        generated_at=row["generated_at"],
        summary=msgspec.convert(row["summary"], Summary),
    )


def override_view(row: Row) -> Override:
    return Override(
        id=str(row["id"]),
        seq=int(row["seq"]),
        ops=row["ops"],
        user_id=str(row["user_id"]) if row["user_id"] else None,
        applied_at=row["applied_at"],
    )


def normalize_params(params: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults filled in and every field checked by the generator itself."""
    try:
        canonical = _core.normalize_params(msgspec.json.encode(params or {}))
    except _core.WorldParamsError as exc:
        raise ProblemError(
            400,
            "The world parameters are invalid.",
            code="validation_failed",
            errors=[FieldError(f"params.{exc.field}" if exc.field else "params", exc.message)],
        ) from None
    result: dict[str, Any] = msgspec.json.decode(canonical)
    return result


def clean_name(name: str) -> str:
    """Names are stored trimmed, on create and on rename alike; a blank name is refused."""
    trimmed = name.strip()
    if not trimmed:
        raise invalid("name", "must not be blank")
    return trimmed


class ProjectService:
    def __init__(self, db: Database, bus: EventBus, events: EventSink) -> None:
        self.db = db
        self.bus = bus
        self.events = events

    # --- reads -------------------------------------------------------------------------

    async def get_visible(self, principal: Principal, project_id: str, conn: Conn | None = None) -> Row:
        row = None
        if is_uuid(project_id):
            sql = "SELECT * FROM projects WHERE id = %s"
            if conn is None:
                row = await self.db.fetch_one(sql, (project_id,))
            else:
                row = await (await conn.execute(sql, (project_id,))).fetchone()
        if row is None:
            raise ProblemError(404, "No such project.")
        ensure_visible(principal, str(row["owner_id"]), "project")
        return row

    async def canonical_id(self, principal: Principal, project_id: str) -> str:
        """The id of a project the caller may see, in its canonical spelling.

        PostgreSQL accepts a UUID in upper case or in braces; channel names, audit subjects
        and event payloads must not depend on how a client spelled it, or an event published
        for `project:ABC…` would miss the subscribers of `project:abc…`.
        """
        return str((await self.get_visible(principal, project_id))["id"])

    async def list_owned(self, principal: Principal, after: tuple[datetime, str] | None, limit: int) -> list[Row]:
        if after is None:
            return await self.db.fetch_all(
                "SELECT * FROM projects WHERE owner_id = %s ORDER BY created_at, id LIMIT %s",
                (principal.user_id, limit),
            )
        return await self.db.fetch_all(
            "SELECT * FROM projects WHERE owner_id = %s AND (created_at, id) > (%s, %s) ORDER BY created_at, id "
            "LIMIT %s",
            (principal.user_id, after[0], after[1], limit),
        )

    async def world(self, principal: Principal, project_id: str) -> bytes:
        """The current world as JSON bytes, spliced rather than re-encoded (it can be megabytes).

        The stored document is canonical JSON (RFC 8785) and `checksum` is `sha256:` + hex of
        exactly those bytes. The response is that object with `checksum` and `version` put in
        front, so a client recomputes the checksum by removing those two members, encoding the
        rest canonically (keys sorted, no whitespace, ECMAScript number form) and hashing it.
        """
        project_id = await self.canonical_id(principal, project_id)
        row = await self.db.fetch_one(
            "SELECT world, checksum, version FROM world_snapshots WHERE project_id = %s", (project_id,)
        )
        if row is None:
            raise ProblemError(404, "This project has no world yet; generate it first.", code="not_generated")
        world = bytes(row["world"])
        head = msgspec.json.encode({"checksum": row["checksum"], "version": row["version"]})
        return head[:-1] + b"," + world[1:] if world != b"{}" else head

    async def list_overrides(self, principal: Principal, project_id: str, after_seq: int, limit: int) -> list[Row]:
        project_id = await self.canonical_id(principal, project_id)
        return await self.db.fetch_all(
            "SELECT o.* FROM overrides o JOIN world_snapshots w ON w.generation_id = o.generation_id "
            "WHERE o.project_id = %s AND o.seq > %s ORDER BY o.seq LIMIT %s",
            (project_id, after_seq, limit),
        )

    # --- changes -----------------------------------------------------------------------

    @asynccontextmanager
    async def _locked(self, project_id: str) -> AsyncIterator[Conn]:
        async with self.db.connection() as conn:
            await conn.execute("SELECT pg_advisory_lock(%s)", (_lock_key(project_id),))
            try:
                yield conn
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (_lock_key(project_id),))

    async def _next_seq(self, conn: Conn, project_id: str) -> int:
        cur = await conn.execute(
            "UPDATE projects SET event_seq = event_seq + 1 WHERE id = %s RETURNING event_seq", (project_id,)
        )
        row = await cur.fetchone()
        return int(row["event_seq"]) if row else 0

    async def _publish(self, project_id: str, event: str, data: dict[str, Any], seq: int) -> None:
        channel = channel_of(project_id)
        await self.bus.publish(channel, {"type": "event", "channel": channel, "event": event, "data": data, "seq": seq})

    async def create(self, principal: Principal, data: ProjectCreate, meta: RequestMeta) -> Row:
        name = clean_name(data.name)
        params = normalize_params(data.params)
        seed = data.seed if data.seed is not None else secrets.randbelow(MAX_SEED + 1)
        project_id = str(uuid.uuid4())
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO projects (id, owner_id, name, seed, params) VALUES (%s, %s, %s, %s, %s) RETURNING *",
                (project_id, principal.user_id, name, seed, Jsonb(params)),
            )
            row = await cur.fetchone()
            await self.events.emit(
                "project.created",
                actor_id=principal.user_id,
                subject=f"project:{project_id}",
                meta=meta,
                data={"name": name, "seed": audit_seed(seed)},
                conn=conn,
            )
        assert row is not None
        return row

    async def update(self, principal: Principal, project_id: str, data: ProjectUpdate, meta: RequestMeta) -> Row:
        project_id = await self.canonical_id(principal, project_id)
        changes: dict[str, Any] = {}
        if data.name is not None:
            changes["name"] = clean_name(data.name)
        if data.seed is not None:
            changes["seed"] = data.seed
        if data.params is not None:
            changes["params"] = Jsonb(normalize_params(data.params))
        if not changes:
            # An empty PATCH changes nothing: no write, no event, no audit entry.
            return await self.get_visible(principal, project_id)
        async with self._locked(project_id) as conn:
            async with conn.transaction():
                assignments = ", ".join(f"{name} = %s" for name in changes)
                await conn.execute(
                    f"UPDATE projects SET {assignments}, updated_at = now() WHERE id = %s",  # noqa: S608
                    (*changes.values(), project_id),
                )
                seq = await self._next_seq(conn, project_id)
                row = await (await conn.execute("SELECT * FROM projects WHERE id = %s", (project_id,))).fetchone()
                if row is None:
                    raise ProblemError(404, "No such project.")
                await self.events.emit(
                    "project.updated",
                    actor_id=principal.user_id,
                    subject=f"project:{project_id}",
                    meta=meta,
                    data={"fields": sorted(changes)},
                    conn=conn,
                )
            view = msgspec.to_builtins(project_view(row))
            await self._publish(project_id, "project.updated", {"project": view}, seq)
        return row

    async def delete(self, principal: Principal, project_id: str, meta: RequestMeta) -> None:
        project_id = await self.canonical_id(principal, project_id)
        async with self._locked(project_id) as conn:
            async with conn.transaction():
                seq = await self._next_seq(conn, project_id)
                cur = await conn.execute("DELETE FROM projects WHERE id = %s RETURNING id", (project_id,))
                if await cur.fetchone() is None:
                    raise ProblemError(404, "No such project.")
                await self.events.emit(
                    "project.deleted",
                    actor_id=principal.user_id,
                    subject=f"project:{project_id}",
                    meta=meta,
                    conn=conn,
                )
            await self._publish(project_id, "project.deleted", {"project_id": project_id}, seq)

    async def generate(
        self,
        principal: Principal,
        project_id: str,
        seed: int | None,
        params: dict[str, Any] | None,
        meta: RequestMeta,
    ) -> Row:
        project = await self.get_visible(principal, project_id)
        project_id = str(project["id"])
        seed = int(project["seed"]) if seed is None else seed
        normalized = normalize_params(params) if params is not None else project["params"]
        params_json = msgspec.json.encode(normalized)
        # Milliseconds to a second of CPU: off the event loop (the core releases the GIL).
        world, checksum, summary = await asyncio.to_thread(_core.generate_world, seed, params_json)
        generation_id = str(uuid.uuid4())
        async with self._locked(project_id) as conn:
            async with conn.transaction():
                # Deleted while the world was being generated: nothing to attach it to.
                await self.get_visible(principal, project_id, conn)
                cur = await conn.execute(
                    "INSERT INTO generations (id, project_id, seed, params, engine_version, checksum, summary, world, "
                    "generated_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING *",
                    (
                        generation_id,
                        project_id,
                        seed,
                        Jsonb(normalized),
                        _core.ENGINE_VERSION,
                        checksum,
                        Jsonb(summary),
                        world,
                        principal.user_id,
                    ),
                )
                generation = await cur.fetchone()
                await conn.execute(
                    "INSERT INTO world_snapshots (project_id, generation_id, version, checksum, world) "
                    "VALUES (%s, %s, 0, %s, %s) ON CONFLICT (project_id) DO UPDATE SET generation_id = "
                    "excluded.generation_id, version = 0, checksum = excluded.checksum, world = excluded.world, "
                    "updated_at = now()",
                    (project_id, generation_id, checksum, world),
                )
                await conn.execute(
                    "UPDATE projects SET seed = %s, params = %s, checksum = %s, version = 0, updated_at = now() "
                    "WHERE id = %s",
                    (seed, Jsonb(normalized), checksum, project_id),
                )
                seq = await self._next_seq(conn, project_id)
                await self.events.emit(
                    "generation.completed",
                    actor_id=principal.user_id,
                    subject=f"project:{project_id}",
                    meta=meta,
                    data={"generation_id": generation_id, "seed": audit_seed(seed), "checksum": checksum},
                    conn=conn,
                )
            assert generation is not None
            view = msgspec.to_builtins(generation_view(generation))
            await self._publish(project_id, "project.generated", {"generation": view}, seq)
        return generation

    async def apply_overrides(
        self,
        principal: Principal,
        project_id: str,
        ops: list[dict[str, Any]],
        meta: RequestMeta,
    ) -> OverrideResult:
        project_id = await self.canonical_id(principal, project_id)
        ops_json = msgspec.json.encode(ops)
        async with self._locked(project_id) as conn:
            cur = await conn.execute(
                "SELECT generation_id, version, world FROM world_snapshots WHERE project_id = %s", (project_id,)
            )
            snapshot = await cur.fetchone()
            if snapshot is None:
                raise ProblemError(409, "Generate the world before overriding it.", code="not_generated")
            try:
                world, checksum, changes_json = await asyncio.to_thread(
                    _core.apply_overrides, bytes(snapshot["world"]), ops_json
                )
            except _core.OverrideError as exc:
                if exc.index is None:
                    field = "ops"
                else:
                    field = f"ops[{exc.index}].{exc.field}" if exc.field else f"ops[{exc.index}]"
                raise ProblemError(
                    400,
                    "The override is invalid; nothing was changed.",
                    code="invalid_override",
                    errors=[FieldError(field, exc.message)],
                ) from None
            changes = msgspec.json.decode(changes_json)
            version = int(snapshot["version"]) + 1
            override_id = str(uuid.uuid4())
            async with conn.transaction():
                cur = await conn.execute(
                    "INSERT INTO overrides (id, project_id, generation_id, seq, ops, changes, checksum, user_id) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING *",
                    (
                        override_id,
                        project_id,
                        snapshot["generation_id"],
                        version,
                        Jsonb(ops),
                        Jsonb(changes),
                        checksum,
                        principal.user_id,
                    ),
                )
                override = await cur.fetchone()
                await conn.execute(
                    "UPDATE world_snapshots SET version = %s, checksum = %s, world = %s, updated_at = now() "
                    "WHERE project_id = %s",
                    (version, checksum, world, project_id),
                )
                await conn.execute(
                    "UPDATE projects SET version = %s, checksum = %s, updated_at = now() WHERE id = %s",
                    (version, checksum, project_id),
                )
                seq = await self._next_seq(conn, project_id)
                await self.events.emit(
                    "override.applied",
                    actor_id=principal.user_id,
                    subject=f"project:{project_id}",
                    meta=meta,
                    data={"override_id": override_id, "seq": version, "checksum": checksum, "ops": len(ops)},
                    conn=conn,
                )
            assert override is not None
            result = OverrideResult(
                override=override_view(override), checksum=checksum, version=version, changes=changes
            )
            await self._publish(project_id, "override.applied", msgspec.to_builtins(result), seq)
        return result
