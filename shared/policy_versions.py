"""The effective-dated version in force on a day ("policy is data"): one rule for every versioned table.

A version is in force on ``day`` when it is the latest one begun by then (``effective_from <= day``); of
versions begun the same day, the one set last wins (a correction made on the day replaces the first entry).
A version never ends by itself: the next one replaces it. ``row_in_force`` asks the database (one row,
by the ``(key, effective_from)`` index), ``version_in_force`` reads versions already loaded, in the order
they were set (a seed file's list, or rows ordered by their set order).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, Table, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession


class Dated(Protocol):
    @property
    def effective_from(self) -> date: ...


V = TypeVar("V", bound=Dated)


def version_in_force(versions: Iterable[V], day: date) -> V | None:
    """The version in force on ``day`` of ``versions`` given in the order set; None before the first."""
    current: V | None = None
    for version in versions:
        begun = version.effective_from <= day
        if begun and (current is None or version.effective_from >= current.effective_from):
            current = version
    return current


def in_force_query(
    table: Table, key: str, day: date, *, key_column: str = "county_code", set_order: str = "id"
) -> Select[Any]:
    """The query of the row in force on ``day`` for ``key`` (``set_order``: the column that orders
    same-day versions as they were set, an identity or a creation instant)."""
    return (
        select(table)
        .where(table.c[key_column] == key, table.c.effective_from <= day)
        .order_by(table.c.effective_from.desc(), table.c[set_order].desc())
        .limit(1)
    )


async def row_in_force(
    session: AsyncSession,
    table: Table,
    key: str,
    day: date,
    *,
    key_column: str = "county_code",
    set_order: str = "id",
) -> RowMapping | None:
    """The row of ``table`` in force on ``day`` for ``key`` (a county, by default); None before the first."""
    query = in_force_query(table, key, day, key_column=key_column, set_order=set_order)
    row: RowMapping | None = (await session.execute(query)).mappings().first()
    return row
