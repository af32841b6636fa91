"""GET /v5/audit and /v5/audit/verify (admin only, CONTRACT §7.3)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.params import Parameter, SkipValidation

from pacai.audit.log import AuditLog, entry_from_row
from pacai.http.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, Page, decode_cursor, encode_cursor
from pacai.identity.guards import admin_guard

Audit = SkipValidation[AuditLog]


class AuditController(Controller):
    path = "/v5/audit"
    tags = ["audit"]
    guards = [admin_guard]

    @get("/")
    async def list_entries(
        self,
        audit: Audit,
        type_: Annotated[str | None, Parameter(query="type", max_length=64)] = None,
        actor_id: Annotated[str | None, Parameter(query="actor_id", max_length=64)] = None,
        after_seq: Annotated[int, Parameter(query="after_seq", ge=0)] = 0,
        limit: LimitParam = DEFAULT_LIMIT,
        cursor: CursorParam = None,
    ) -> Page[dict[str, Any]]:
        decoded = decode_cursor(cursor, int)
        start = max(after_seq, decoded[0]) if decoded else after_seq
        rows = await audit.list_entries(type_=type_, actor_id=actor_id, after_seq=start, limit=limit + 1)
        next_cursor = encode_cursor(int(rows[limit - 1]["seq"])) if len(rows) > limit else None
        return Page(items=[entry_from_row(r) for r in rows[:limit]], next_cursor=next_cursor)

    @get("/verify")
    async def verify(self, audit: Audit) -> dict[str, Any]:
        return await audit.verify()
