"""Disbursement's repository: every query, returning typed entities (domain/model.py), never rows.

- ``instructions``: beneficiaries, decisions and help-first grants as received, payment instructions and
  their attempts, handovers, payee changes;
- ``ledger``: township reserve funds (R-RES) and the ledger (R-OVS-3);
- ``bank``: bank settings, batch files, return files, statements, exceptions, receipt checks;
- ``figure_queries``: the oversight figures and the scrape-time gauges.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from enum import StrEnum
from typing import Any, TypeVar, get_type_hints

from sqlalchemy.engine import RowMapping

T = TypeVar("T")


_SHAPES: dict[type[Any], tuple[tuple[str, type[StrEnum] | None], ...]] = {}


def _shape(cls: type[Any]) -> tuple[tuple[str, type[StrEnum] | None], ...]:
    """Each field of an entity with its status enum (if it is one), worked out once per class."""
    if cls in _SHAPES:
        return _SHAPES[cls]
    hints = get_type_hints(cls)
    _SHAPES[cls] = tuple(
        (
            f.name,
            hints[f.name] if isinstance(hints[f.name], type) and issubclass(hints[f.name], StrEnum) else None,
        )
        for f in fields(cls)
    )
    return _SHAPES[cls]


def as_entity(cls: type[T], row: RowMapping) -> T:
    """The entity of a row: its columns by field name, statuses as their enum members."""
    values: dict[str, Any] = {}
    for name, enum in _shape(cls):
        if name in row:
            values[name] = enum(row[name]) if enum is not None and row[name] is not None else row[name]
    return cls(**values)


def as_entities(cls: type[T], rows: Iterable[RowMapping]) -> list[T]:
    return [as_entity(cls, row) for row in rows]
