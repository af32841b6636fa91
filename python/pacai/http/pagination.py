"""Cursor pagination (CONTRACT §1.6): `?limit=1..100` (default 20) and an opaque `?cursor=`.

A cursor is the sort key of the last item returned, base64url-encoded; clients must treat
it as opaque. A tampered or foreign cursor is a 400 naming `cursor`, never a 500.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar.params import Parameter

from pacai.errors import invalid

T = TypeVar("T")

LimitParam = Annotated[int, Parameter(query="limit", ge=1, le=100, description="Items per page, 1..100")]
CursorParam = Annotated[str | None, Parameter(query="cursor", max_length=512, description="Opaque cursor")]
DEFAULT_LIMIT = 20


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(list(key))).decode().rstrip("=")


def decode_cursor(cursor: str | None, *types: type) -> tuple[Any, ...] | None:
    """The sort key inside a cursor, checked against the expected types."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = msgspec.json.decode(raw)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise invalid("cursor", "is not a cursor this server issued") from None
    if not isinstance(values, list) or len(values) != len(types):
        raise invalid("cursor", "is not a cursor this server issued")
    try:
        return tuple(msgspec.convert(v, t) for v, t in zip(values, types, strict=True))
    except msgspec.ValidationError:
        raise invalid("cursor", "is not a cursor this server issued") from None
