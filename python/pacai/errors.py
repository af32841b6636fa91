"""The errors services raise for a client to see (CONTRACT §1.2), on the ground floor.

Any module may raise them without reaching into the HTTP layer; `pacai.http.problems`
turns them into problem documents. This module imports nothing from pacai.
"""

from __future__ import annotations

from typing import Any

import msgspec

# A machine-readable code per status, for clients that switch on it.
DEFAULT_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class ProblemError(Exception):
    """Raised by services for an expected failure that the client should see."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or DEFAULT_CODES.get(status, "error")
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}


def invalid(field: str, message: str) -> ProblemError:
    """A 400 naming one field."""
    return ProblemError(
        400,
        "The request is invalid.",
        code="validation_failed",
        errors=[FieldError(field, message)],
    )


class DependencyUnavailable(Exception):
    """A required dependency (database, Redis, the HSM) cannot be reached."""

    def __init__(self, dependency: str) -> None:
        super().__init__(f"{dependency} is unavailable")
        self.dependency = dependency
