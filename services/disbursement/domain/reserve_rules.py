"""Township reserve-fund reports, top-ups and the year-end settlement (R-RES-2, R-OVS-3): pure rules.

A report covers one period of a calendar year (monthly or quarterly, the county's setting in force on the
period's first day); it may be submitted once the period has ended (local dates, Asia/Shanghai) and is
due ``grace_days`` after its last day. Its figures come from the ledger alone: the opening balance is the
signed sum of the fund's entries before the period, the closing balance the opening plus the period's
movements, exact to the fen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

ZERO = Decimal("0.00")


class Frequency(StrEnum):
    monthly = "monthly"
    quarterly = "quarterly"


class YearEnd(StrEnum):
    """What the year-end settlement does with the balance left (county setting)."""

    carry_over = "carry_over"
    """into the township's fund of the next year."""
    return_ = "return"
    """back to the county (its budget)."""


class ReportStatus(StrEnum):
    submitted = "submitted"
    queried = "queried"
    acknowledged = "acknowledged"


class TopUpStatus(StrEnum):
    requested = "requested"
    approved = "approved"
    rejected = "rejected"


# Ledger kinds of a reserve fund and their sign for its balance (R-OVS-3: every yuan traceable).
INFLOWS = {"allocation": "allocations", "reserve_top_up": "top_ups", "reserve_carry_in": "carried_in"}
OUTFLOWS = {
    "reserve_draw": "draws",
    "reserve_carry_over": "carried_over",
    "reserve_settlement_return": "returned_to_county",
}
RETURNS = {"reserve_release": "returns"}
"""Money that comes back to the fund: an unused or corrected draw released (R-RES)."""
SIGN = {**dict.fromkeys(INFLOWS, 1), **dict.fromkeys(RETURNS, 1), **dict.fromkeys(OUTFLOWS, -1)}
COLUMNS = (*INFLOWS.values(), *OUTFLOWS.values(), *RETURNS.values())

OPENING = ("allocation", "reserve_carry_in")
"""What a fund opens its year with: the county's allocation (R-RES-1) and the balance carried in."""

_PERIOD = re.compile(r"^(\d{4})-(Q[1-4]|0[1-9]|1[0-2])$")


@dataclass(frozen=True, slots=True)
class Period:
    year: int
    label: str
    """``2026-Q3`` or ``2026-07``."""
    frequency: Frequency
    start: date
    end: date
    """The last day, inclusive."""

    def ended(self, today: date) -> bool:
        return today > self.end

    def due(self, grace_days: int) -> date:
        """The last day on which a report is on time."""
        return self.end + timedelta(days=grace_days)

    def overdue(self, today: date, grace_days: int) -> bool:
        return today > self.due(grace_days)


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def period(label: str) -> Period:
    """The period named ``2026-Q3`` (a quarter) or ``2026-07`` (a month); ValueError otherwise."""
    match = _PERIOD.match(label)
    if not match:
        raise ValueError("a period is YYYY-Qn or YYYY-MM")
    year, part = int(match.group(1)), match.group(2)
    if part.startswith("Q"):
        first = (int(part[1]) - 1) * 3 + 1
        return Period(year, label, Frequency.quarterly, date(year, first, 1), _month_end(year, first + 2))
    month = int(part)
    return Period(year, label, Frequency.monthly, date(year, month, 1), _month_end(year, month))


def periods_of(year: int, frequency: Frequency) -> list[Period]:
    if frequency is Frequency.quarterly:
        return [period(f"{year}-Q{q}") for q in range(1, 5)]
    return [period(f"{year}-{m:02d}") for m in range(1, 13)]


@dataclass(frozen=True, slots=True)
class Movement:
    """One ledger entry of the fund, as the report reads it."""

    entry_id: int
    kind: str
    amount: Decimal
    case_id: str | None
    local_day: date


@dataclass(frozen=True, slots=True)
class CaseLine:
    case_id: str
    case_no: str | None
    category: str | None
    draws: int
    drawn: Decimal
    returned: Decimal


@dataclass(frozen=True, slots=True)
class ReportFigures:
    opening: Decimal
    totals: dict[str, Decimal]
    """Per column of ``COLUMNS``: the period's sum."""
    closing: Decimal
    cases: list[CaseLine]
    entry_ids: list[int]
    """The ledger entries the report is made of, for tracing (R-OVS-3)."""


def signed(kind: str, amount: Decimal) -> Decimal:
    if kind not in SIGN:
        raise ValueError(f"ledger kind {kind} is not a reserve-fund movement")
    return amount * SIGN[kind]


def figures(
    before: Iterable[Movement],
    within: Iterable[Movement],
    cases: dict[str, tuple[str | None, str | None]],
) -> ReportFigures:
    """R-RES-2: opening, the period's movements by column, closing; draws and returns per case with its
    number and category (``cases``: case id -> (case_no, category))."""
    opening = sum((signed(m.kind, m.amount) for m in before), ZERO)
    rows = list(within)
    totals = dict.fromkeys(COLUMNS, ZERO)
    names = {**INFLOWS, **OUTFLOWS, **RETURNS}
    per_case: dict[str, list[Movement]] = {}
    for m in rows:
        totals[names[m.kind]] += m.amount
        if m.case_id and m.kind in ("reserve_draw", "reserve_release"):
            per_case.setdefault(m.case_id, []).append(m)
    closing = opening + sum((signed(m.kind, m.amount) for m in rows), ZERO)
    lines = [
        CaseLine(
            case_id=case_id,
            case_no=cases.get(case_id, (None, None))[0],
            category=cases.get(case_id, (None, None))[1],
            draws=sum(1 for m in ms if m.kind == "reserve_draw"),
            drawn=sum((m.amount for m in ms if m.kind == "reserve_draw"), ZERO),
            returned=sum((m.amount for m in ms if m.kind == "reserve_release"), ZERO),
        )
        for case_id, ms in sorted(per_case.items(), key=lambda kv: min(m.entry_id for m in kv[1]))
    ]
    return ReportFigures(opening, totals, closing, lines, [m.entry_id for m in rows])


def settlement_kind(policy: YearEnd) -> str:
    """The ledger kind that takes the year's balance out of the fund at year end."""
    return "reserve_carry_over" if policy is YearEnd.carry_over else "reserve_settlement_return"


def year_over(year: int, today: date) -> bool:
    return today > date(year, 12, 31)


def expected_periods(
    year: int, versions: Sequence[tuple[date, Frequency, int]], today: date
) -> list[tuple[Period, int]]:
    """R-RES-2: the periods of ``year`` that have ended by ``today`` and must be reported, each with its
    grace days: a period counts when its frequency is the one in force on its first day (``versions``:
    (effective_from, frequency, grace_days), effective-dated). A period before any version is not due."""
    ordered = sorted(versions)
    out = []
    for frequency in Frequency:
        for p in periods_of(year, frequency):
            in_force = [v for v in ordered if v[0] <= p.start]
            if in_force and in_force[-1][1] is frequency and p.ended(today):
                out.append((p, in_force[-1][2]))
    return sorted(out, key=lambda pg: pg[0].start)


def opening_balance(totals: dict[str, Decimal]) -> Decimal:
    """The fund's opening balance for its year: allocation + carried in (top-ups come later, in the year)."""
    return sum((totals.get(k, ZERO) for k in OPENING), ZERO)


def turnover(paid: Decimal, opening: Decimal) -> Decimal | None:
    """R-RES-2, R-OVS-1: reserve-fund turnover = paid from the fund in the period ÷ its opening balance
    (4 places, half up; None for a fund that opened with nothing). Above 1 when top-ups were used too."""
    if opening <= 0:
        return None
    return (paid / opening).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
