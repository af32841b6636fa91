"""RFC 9457 problem documents (CONTRACT §1.2): the one mapping from exceptions to error
responses. A 5xx body gives only the request id; the traceback goes to the log under it."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import msgspec
import psycopg
import psycopg_pool
import redis.exceptions
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from pacai.errors import DEFAULT_CODES, DependencyUnavailable, FieldError, ProblemError
from pacai.observability.logging import get_logger

PROBLEM_JSON = "application/problem+json"
log = get_logger("pacai.errors")


def problem_document(
    status: int,
    detail: str,
    request_id: str,
    *,
    code: str | None = None,
    errors: list[FieldError] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    code = code or DEFAULT_CODES.get(status, "error")
    doc: dict[str, Any] = {
        "type": f"urn:pacai:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": request_id,
    }
    if errors is not None:
        doc["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    if extra:
        doc.update(extra)
    return doc


def problem_bytes(status: int, detail: str, request_id: str, **kwargs: Any) -> bytes:
    return msgspec.json.encode(problem_document(status, detail, request_id, **kwargs))


def request_id_of(request: Request[Any, Any, Any]) -> str:
    state = request.scope.get("state") or {}
    return str(state.get("request_id", "-"))


def _response(status: int, document: dict[str, Any], headers: dict[str, str] | None = None) -> Response[Any]:
    all_headers = dict(headers or {})
    if status == 401:
        all_headers.setdefault("WWW-Authenticate", "Bearer")
    return Response(
        content=msgspec.json.encode(document),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=all_headers,
    )


def handle_problem(request: Request[Any, Any, Any], exc: ProblemError) -> Response[Any]:
    doc = problem_document(
        exc.status,
        exc.detail,
        request_id_of(request),
        code=exc.code,
        errors=exc.errors,
        extra=exc.extra,
    )
    return _response(exc.status, doc, exc.headers)


def _field_errors(exc: ValidationException) -> list[FieldError]:
    errors: list[FieldError] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "is invalid"))
        key = item.get("key")
        # "data" is the whole body: the member is then named inside msgspec's message.
        if not key or key == "data":
            key = _field_from_message(message) or "body"
        field = str(key)
        errors.append(FieldError(field, _clean_message(message)))
    return errors


def _field_from_message(message: str) -> str | None:
    # msgspec names the offending member like "Object missing required field `email`".
    if "`" in message:
        parts = message.split("`")
        if len(parts) >= 3 and ("field" in parts[0] or "key" in parts[0]):
            return parts[1]
    return None


def _clean_message(message: str) -> str:
    return message.replace("`", "'")


def handle_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = _field_errors(exc)
    detail = "The request is invalid."
    if not errors:
        # Body that is not JSON at all, or not of the expected shape.
        errors = [FieldError("body", "must be a JSON document of the documented shape")]
        detail = "The request body could not be read."
    doc = problem_document(400, detail, request_id_of(request), code="validation_failed", errors=errors)
    return _response(400, doc)


_SAFE_DETAILS: dict[int, str] = {
    400: "The request is malformed.",
    401: "Authentication is required.",
    403: "You are not allowed to do this.",
    404: "No such resource.",
    405: "This method is not allowed on this resource.",
    413: "The request body is larger than the limit.",
    415: "The content type is not supported; send application/json.",
    429: "Too many requests.",
    503: "A required service is unavailable; try again shortly.",
}


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        return handle_internal(request, exc)
    # Framework messages can name internals (handler signatures, parameter types): the
    # client gets the safe sentence for the status instead.
    detail = _SAFE_DETAILS.get(status, HTTPStatus(status).description or HTTPStatus(status).phrase)
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() in {"allow", "retry-after"}}
    errors = None
    if status == 400:
        # Every 400 names what was wrong (CONTRACT §1.2); a framework 400 is about the body
        # (not JSON, not decodable) or the request line.
        text = str(exc.detail).lower()
        if "json" in text or "decod" in text or "body" in text:
            errors = [FieldError("body", "is not a valid JSON document")]
        else:
            errors = [FieldError("request", "is malformed")]
    doc = problem_document(status, detail, request_id_of(request), errors=errors)
    return _response(status, doc, headers)


def handle_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    request_id = request_id_of(request)
    dependency = getattr(exc, "dependency", None) or _dependency_of(exc)
    log.warning(
        "dependency unavailable",
        request_id=request_id,
        dependency=dependency,
        error=type(exc).__name__,
    )
    doc = problem_document(503, _SAFE_DETAILS[503], request_id)
    return _response(503, doc, {"Retry-After": "1"})


def _dependency_of(exc: Exception) -> str:
    module = type(exc).__module__
    if module.startswith(("psycopg", "psycopg_pool")):
        return "database"
    if module.startswith("redis"):
        return "redis"
    return "dependency"


def handle_internal(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    request_id = request_id_of(request)
    log.error("unhandled error", request_id=request_id, path=request.scope.get("path"), exc_info=exc)
    doc = problem_document(500, "An internal error happened; quote the request id to the operators.", request_id)
    return _response(500, doc)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ProblemError: handle_problem,
    DependencyUnavailable: handle_unavailable,
    psycopg.OperationalError: handle_unavailable,
    psycopg_pool.PoolTimeout: handle_unavailable,
    redis.exceptions.ConnectionError: handle_unavailable,
    redis.exceptions.TimeoutError: handle_unavailable,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    Exception: handle_internal,
}
