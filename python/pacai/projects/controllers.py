"""/v5/projects (CONTRACT §5). Thin: the service holds the logic."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from pacai.context import Ctx
from pacai.http.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, Page, decode_cursor, encode_cursor
from pacai.identity.sessions import CurrentPrincipal
from pacai.projects.schemas import (
    GenerateRequest,
    GenerationEnvelope,
    Override,
    OverrideRequest,
    OverrideResult,
    Project,
    ProjectCreate,
    ProjectUpdate,
)
from pacai.projects.service import generation_view, override_view, project_view

ACTIONS = {"rate_limit": "actions", "licensed": True}


def _meta(request: Request[Any, Any, Any]) -> dict[str, Any]:
    state = request.scope.get("state", {})
    return {"ip": state.get("client_ip"), "request_id": state.get("request_id")}


class ProjectController(Controller):
    path = "/v5/projects"
    tags = ["projects"]

    @post("/", status_code=HTTP_201_CREATED, opt={"rate_limit": "actions"})
    async def create(
        self, data: ProjectCreate, principal: CurrentPrincipal, ctx: Ctx, request: Request[Any, Any, Any]
    ) -> Project:
        return project_view(await ctx.projects.create(principal, data, **_meta(request)))

    @get("/")
    async def list_projects(
        self, principal: CurrentPrincipal, ctx: Ctx, limit: LimitParam = DEFAULT_LIMIT, cursor: CursorParam = None
    ) -> Page[Project]:
        after = decode_cursor(cursor, datetime, str)
        rows = await ctx.projects.list_owned(principal, after, limit + 1)
        next_cursor = (
            encode_cursor(rows[limit - 1]["created_at"], str(rows[limit - 1]["id"])) if len(rows) > limit else None
        )
        return Page(items=[project_view(r) for r in rows[:limit]], next_cursor=next_cursor)

    @get("/{project_id:str}")
    async def get_project(self, project_id: str, principal: CurrentPrincipal, ctx: Ctx) -> Project:
        return project_view(await ctx.projects.get_visible(principal, project_id))

    @patch("/{project_id:str}")
    async def update(
        self,
        project_id: str,
        data: ProjectUpdate,
        principal: CurrentPrincipal,
        ctx: Ctx,
        request: Request[Any, Any, Any],
    ) -> Project:
        return project_view(await ctx.projects.update(principal, project_id, data, **_meta(request)))

    @delete("/{project_id:str}", status_code=HTTP_204_NO_CONTENT)
    async def delete_project(
        self, project_id: str, principal: CurrentPrincipal, ctx: Ctx, request: Request[Any, Any, Any]
    ) -> None:
        await ctx.projects.delete(principal, project_id, **_meta(request))

    @post("/{project_id:str}/generate", status_code=200, opt=ACTIONS)
    async def generate(
        self,
        project_id: str,
        principal: CurrentPrincipal,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        data: GenerateRequest | None = None,
    ) -> GenerationEnvelope:
        data = data or GenerateRequest()
        row = await ctx.projects.generate(principal, project_id, data.seed, data.params, **_meta(request))
        return GenerationEnvelope(generation=generation_view(row))

    @get("/{project_id:str}/world")
    async def world(self, project_id: str, principal: CurrentPrincipal, ctx: Ctx) -> Response[bytes]:
        body = await ctx.projects.world(principal, project_id)
        return Response(body, media_type="application/json")

    @post("/{project_id:str}/overrides", status_code=200, opt=ACTIONS)
    async def override(
        self,
        project_id: str,
        data: OverrideRequest,
        principal: CurrentPrincipal,
        ctx: Ctx,
        request: Request[Any, Any, Any],
    ) -> OverrideResult:
        return await ctx.projects.apply_overrides(principal, project_id, data.ops, **_meta(request))

    @get("/{project_id:str}/overrides")
    async def list_overrides(
        self,
        project_id: str,
        principal: CurrentPrincipal,
        ctx: Ctx,
        after_seq: Annotated[int, Parameter(query="after_seq", ge=0)] = 0,
        limit: LimitParam = DEFAULT_LIMIT,
        cursor: CursorParam = None,
    ) -> Page[Override]:
        decoded = decode_cursor(cursor, int)
        start = max(after_seq, decoded[0]) if decoded else after_seq
        rows = await ctx.projects.list_overrides(principal, project_id, start, limit + 1)
        next_cursor = encode_cursor(int(rows[limit - 1]["seq"])) if len(rows) > limit else None
        return Page(items=[override_view(r) for r in rows[:limit]], next_cursor=next_cursor)
