"""Who may do what: the principal of a request, the admin guard, and the visibility rule
(another user's resource is 404, never 403: CONTRACT §1.3)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from pacai.errors import ProblemError
from pacai.identity.sessions import Principal


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The principal the auth middleware put on the request; 401 when there is none."""
    principal = connection.scope.get("state", {}).get("principal")
    if principal is None:
        raise ProblemError(
            401, "Authentication is required.", code="unauthorized", headers={"WWW-Authenticate": "Bearer"}
        )
    return principal  # type: ignore[no-any-return]


def admin_guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    if connection.scope.get("method") == "OPTIONS":
        return  # Litestar's automatic Allow-list handler shares the controller's guards
    if not principal_of(connection).is_admin:
        raise ProblemError(403, "This needs an administrator.", code="forbidden")


def ensure_visible(principal: Principal, owner_id: str, what: str = "resource") -> None:
    """Another user's resource does not exist for the caller (404, never 403); admins see all."""
    if owner_id != principal.user_id and not principal.is_admin:
        raise ProblemError(404, f"No such {what}.")
