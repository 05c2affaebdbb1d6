"""Oversight figures (R-OVS-1, R-OVS-2): the filters every service's ``GET /<service>/v1/figures`` takes,
local (UTC+8) period and month boundaries, money buckets, and the JSON/CSV answer.

Each service computes figures about its own records only (no service reads another's database); the
oversight page (shared/oversight/) puts them side by side. Percentiles are PostgreSQL's
``percentile_cont`` (continuous: linear interpolation between the two nearest observations, as numpy's
default), computed exactly on intervals; money is summed as exact decimals and averages are rounded half up
to the fen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import ColumnElement, and_, func, literal, true
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.access import STAFF, require, scope
from shared.api import PROBLEM_RESPONSES, runtime_of
from shared.auth import Principal, Role
from shared.contracts.common import Category, Subtype
from shared.csvexport import to_csv as csv_export
from shared.errors import InvalidField
from shared.money import to_fen

"""The civil-affairs offices' time zone: months and periods are local calendar dates (UTC+8, no DST)."""
LOW, HIGH = date(2000, 1, 1), date(2100, 12, 31)

AMOUNT_BUCKETS: tuple[Decimal, ...] = (
    Decimal("0"),
    Decimal("500"),
    Decimal("1000"),
    Decimal("2000"),
    Decimal("5000"),
    Decimal("10000"),
    Decimal("20000"),
)
"""Lower bounds (inclusive) of the distribution buckets of amounts, in CNY; the last is open-ended."""


@dataclass(frozen=True)
class Filters:
    county_code: str | None = None
    township_code: str | None = None
    start: date | None = None
    end: date | None = None
    category: Category | None = None
    subtype: Subtype | None = None

    def echo(self) -> dict[str, Any]:
        return {
            "county_code": self.county_code,
            "township_code": self.township_code,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "category": self.category.value if self.category else None,
            "subtype": self.subtype.value if self.subtype else None,
        }

    def as_of(self, today: date | None = None) -> date:
        """The day open obligations are judged on: the end of the period, or today if it is later."""
        current = today or clock.local_today()
        return min(self.end, current) if self.end else current

    def period(self, column: Any) -> ColumnElement[bool]:
        """``column`` (timestamptz) within [from 00:00, to+1 00:00) local time."""
        conditions: list[ColumnElement[bool]] = []
        if self.start:
            conditions.append(column >= clock.start_of(self.start))
        if self.end:
            conditions.append(column < clock.end_of(self.end))
        return and_(true(), *conditions)

    def place(self, county: Any, township: Any) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = []
        if self.county_code:
            conditions.append(county == self.county_code)
        if self.township_code:
            conditions.append(township == self.township_code)
        return and_(true(), *conditions)

    def kind(self, category: Any, subtype: Any) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = []
        if self.category:
            conditions.append(category == self.category.value)
        if self.subtype:
            conditions.append(subtype == self.subtype.value)
        return and_(true(), *conditions)


def figure_filters(
    principal: Annotated[Principal, Depends(require(*STAFF, Role.policy_admin))],
    county_code: Annotated[str | None, Query(pattern=r"^\d{6}$", description="county (区县) code")] = None,
    township_code: Annotated[
        str | None, Query(pattern=r"^\d{9}$", description="township (乡镇/街道) code")
    ] = None,
    start: Annotated[
        date | None, Query(alias="from", ge=LOW, le=HIGH, description="first day (local)")
    ] = None,
    end: Annotated[date | None, Query(alias="to", ge=LOW, le=HIGH, description="last day (local)")] = None,
    category: Category | None = None,
    subtype: Subtype | None = None,
) -> Filters:
    """The filters of every figures endpoint (a FastAPI dependency); bad values are 422 naming the field."""
    if start and end and end < start:
        raise InvalidField("to", "the period ends before it starts")
    if county_code and township_code and not township_code.startswith(county_code):
        raise InvalidField("township_code", f"not a township of county {county_code}")
    county_code, township_code = scope(principal, county_code, township_code)  # the caller's jurisdiction
    return Filters(county_code, township_code, start, end, category, subtype)


Format = Annotated[Literal["json", "csv"] | None, Query(description="csv, or send Accept: text/csv")]


def month_of(column: Any) -> ColumnElement[str]:
    """The local month (YYYY-MM) of a timestamptz column."""
    return func.to_char(func.timezone(clock.zone_name(), column), literal("YYYY-MM"))


def local_day(column: Any) -> ColumnElement[date]:
    return func.date(func.timezone(clock.zone_name(), column))


def seconds(value: Any) -> float | None:
    """An interval's seconds (as PostgreSQL's exact epoch) for JSON; ``None`` when there was nothing."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(Decimal(value))


def money(value: Decimal | int | None) -> str:
    return str(to_fen(value if value is not None else Decimal(0)))


def average(total: Decimal | int | None, count: int) -> str | None:
    return str(to_fen(Decimal(total or 0) / count)) if count else None


def bucket_label(index: int) -> str:
    low = AMOUNT_BUCKETS[index]
    if index + 1 < len(AMOUNT_BUCKETS):
        return f"{low}-{AMOUNT_BUCKETS[index + 1]}"
    return f"{low}+"


def distribution(values: list[Decimal]) -> list[dict[str, Any]]:
    """How many values fall in each amount bucket [low, next low); every bucket listed, empty ones too."""
    counts = [0] * len(AMOUNT_BUCKETS)
    for value in values:
        index = max(i for i, low in enumerate(AMOUNT_BUCKETS) if value >= low)
        counts[index] += 1
    return [
        {
            "bucket": bucket_label(i),
            "from": str(AMOUNT_BUCKETS[i]),
            "to": str(AMOUNT_BUCKETS[i + 1]) if i + 1 < len(AMOUNT_BUCKETS) else None,
            "count": c,
        }
        for i, c in enumerate(counts)
    ]


def _cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return (
            ";".join(f"{k}={v}" for k, v in value.items())
            if isinstance(value, dict)
            else ";".join(str(v) for v in value)
        )
    return "" if value is None else value


def to_csv(payload: dict[str, Any]) -> str:
    """One table in long form: ``table`` names the figure, the other columns are the union of its fields."""
    rows: list[dict[str, Any]] = []
    for name, value in payload.items():
        if isinstance(value, list) and all(isinstance(r, dict) for r in value):
            rows.extend({"table": name, **r} for r in value)
        elif isinstance(value, dict) and name not in ("filters",):
            rows.append({"table": name, **value})
    columns: dict[str, None] = {"table": None}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return csv_export(list(columns), ({k: _cell(v) for k, v in row.items()} for row in rows))


def answer(request: Request, fmt: str | None, payload: dict[str, Any]) -> Response:
    """JSON, or CSV when ``format=csv`` or the client accepts text/csv (and not JSON first)."""
    accept = request.headers.get("accept", "")
    wants_csv = fmt == "csv" or (fmt is None and "text/csv" in accept and "application/json" not in accept)
    if wants_csv:
        name = f"{payload.get('service', 'figures')}-figures.csv"
        return Response(
            to_csv(payload),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return JSONResponse(payload)


FigureQuery = Callable[[AsyncSession, Filters], Awaitable[dict[str, Any]]]
"""A service's figures: one read-only session and the filters in, the figures' JSON body out."""


def figures_router(service: str, compute: FigureQuery, summary: str) -> APIRouter:
    """The one ``GET /<service>/v1/figures`` router every service mounts (JSON, or CSV on request)."""
    router = APIRouter(tags=["oversight"], responses=PROBLEM_RESPONSES)

    @router.get(
        "/figures",
        summary=summary,
        responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
    )
    async def figures(
        request: Request, f: Annotated[Filters, Depends(figure_filters)], format: Format = None
    ) -> Response:
        async with runtime_of(request, service).reading() as session:
            body = await compute(session, f)
        return answer(request, format, {"service": service, "filters": f.echo(), **body})

    return router
