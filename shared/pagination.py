"""Keyset pagination: an opaque cursor over (created_at, id), so lists stay fast as tables grow.

A cursor is decoded into typed values (an aware timestamp, a UUID) before it reaches a query: anything
else — garbage, a hand-made cursor, a NUL — is a 422 naming the parameter, never a database error.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel

from shared.errors import InvalidField

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(created_at: datetime, id_: str) -> str:
    raw = json.dumps([created_at.isoformat(), str(id_)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, parameter: str = "cursor") -> tuple[datetime, str]:
    """(created_at, id) of a cursor this service issued; a 422 naming ``parameter`` otherwise."""
    try:
        created, id_ = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        when = datetime.fromisoformat(created)
        if when.tzinfo is None:
            raise ValueError("cursor timestamp without a zone")
        return when, str(uuid.UUID(id_))
    except (ValueError, TypeError, AttributeError, binascii.Error) as exc:
        raise InvalidField(parameter, "not a cursor returned by this list") from exc
