"""/v5/projects (CONTRACT §5). Thin: the service holds the logic."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import Parameter, SkipValidation
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from pacai.events import RequestMeta
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
from pacai.projects.service import ProjectService, generation_view, override_view, project_view

ACTIONS = {"rate_limit": "actions", "licensed": True}
Projects = SkipValidation[ProjectService]


class ProjectController(Controller):
    path = "/v5/projects"
    tags = ["projects"]

    @post("/", status_code=HTTP_201_CREATED, opt={"rate_limit": "actions"})
    async def create(
        self, data: ProjectCreate, principal: CurrentPrincipal, projects: Projects, meta: RequestMeta
    ) -> Project:
        return project_view(await projects.create(principal, data, meta))

    @get("/")
    async def list_projects(
        self,
        principal: CurrentPrincipal,
        projects: Projects,
        limit: LimitParam = DEFAULT_LIMIT,
        cursor: CursorParam = None,
    ) -> Page[Project]:
        after = decode_cursor(cursor, datetime, str)
        rows = await projects.list_owned(principal, after, limit + 1)
        next_cursor = (
            encode_cursor(rows[limit - 1]["created_at"], str(rows[limit - 1]["id"])) if len(rows) > limit else None
        )
        return Page(items=[project_view(r) for r in rows[:limit]], next_cursor=next_cursor)

    @get("/{project_id:str}")
    async def get_project(self, project_id: str, principal: CurrentPrincipal, projects: Projects) -> Project:
        return project_view(await projects.get_visible(principal, project_id))

    @patch("/{project_id:str}")
    async def update(
        self,
        project_id: str,
        data: ProjectUpdate,
        principal: CurrentPrincipal,
        projects: Projects,
        meta: RequestMeta,
    ) -> Project:
        return project_view(await projects.update(principal, project_id, data, meta))

    @delete("/{project_id:str}", status_code=HTTP_204_NO_CONTENT)
    async def delete_project(
        self, project_id: str, principal: CurrentPrincipal, projects: Projects, meta: RequestMeta
    ) -> None:
        await projects.delete(principal, project_id, meta)

    @post("/{project_id:str}/generate", status_code=200, opt=ACTIONS)
    async def generate(
        self,
        project_id: str,
        principal: CurrentPrincipal,
        projects: Projects,
        meta: RequestMeta,
        data: GenerateRequest | None = None,
    ) -> GenerationEnvelope:
        data = data or GenerateRequest()
        row = await projects.generate(principal, project_id, data.seed, data.params, meta)
        return GenerationEnvelope(generation=generation_view(row))

    @get("/{project_id:str}/world")
    async def world(self, project_id: str, principal: CurrentPrincipal, projects: Projects) -> Response[bytes]:
        body = await projects.world(principal, project_id)
        return Response(body, media_type="application/json")

    @post("/{project_id:str}/overrides", status_code=200, opt=ACTIONS)
    async def override(
        self,
        project_id: str,
        data: OverrideRequest,
        principal: CurrentPrincipal,
        projects: Projects,
        meta: RequestMeta,
    ) -> OverrideResult:
        return await projects.apply_overrides(principal, project_id, data.ops, meta)

    @get("/{project_id:str}/overrides")
    async def list_overrides(
        self,
        project_id: str,
        principal: CurrentPrincipal,
        projects: Projects,
        after_seq: Annotated[int, Parameter(query="after_seq", ge=0)] = 0,
        limit: LimitParam = DEFAULT_LIMIT,
        cursor: CursorParam = None,
    ) -> Page[Override]:
        decoded = decode_cursor(cursor, int)
        start = max(after_seq, decoded[0]) if decoded else after_seq
        rows = await projects.list_overrides(principal, project_id, start, limit + 1)
        next_cursor = encode_cursor(int(rows[limit - 1]["seq"])) if len(rows) > limit else None
        return Page(items=[override_view(r) for r in rows[:limit]], next_cursor=next_cursor)
