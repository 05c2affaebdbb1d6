"""Approval's oversight figures (R-OVS-1, R-OVS-2, R-FLOW-2, R-FLOW-3) and its scrape-time gauges, from
approval's own records only (the queries are in the repository):

- decisions in the period (the final approval step of each case: approved or rejected), and how many were
  within the township's delegated limit (level ``township``) or escalated to the county (level ``county``);
- amounts approved (exact decimals), months of help, averages and distributions per case and per person;
- speed: time from submission (intake's receipt, carried by CaseAssessed) to the decision, median and 90th
  percentile with PostgreSQL's ``percentile_cont`` on intervals (continuous, linear interpolation);
- help first granted in the period, and its paperwork as of the end of the period (or today): completed on
  time (on or before the deadline counted in working days on the county's calendar), completed late, open
  and overdue (deadline passed), open and still in time;
- re-examination (复核, R-REX-5): re-examinations requested in the period per case decided in it (rate),
  the share of decided re-examinations that changed the decision (reversal rate), the median days from
  request to decision, and those open past their deadline as of the period's end;
- the gauge: cases by status (pending, reviewed, approved, rejected, returned — R-FLOW).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.approval import repository as repo
from services.approval.domain.model import DecidedCase, HelpFirstTally, Opinion, ReexaminationTally
from services.approval.domain.tiers import Level
from shared.figures import Filters, average, distribution, money, seconds
from shared.money import to_fen
from shared.observability import CASES_BY_STATE
from shared.runtime import Runtime


def _counts(rows: list[DecidedCase], *keys: str) -> list[dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        values = {k: getattr(r, k) for k in keys}
        item = out.setdefault(
            tuple(values.values()),
            {
                **values,
                "decided": 0,
                "approved": 0,
                "rejected": 0,
                "within_township_limit": 0,
                "escalated_to_county": 0,
                "amount_approved": Decimal(0),
            },
        )
        item["decided"] += 1
        item[r.decision.value] += 1
        item["within_township_limit" if r.level is Level.township else "escalated_to_county"] += 1
        if r.decision is Opinion.approved:
            item["amount_approved"] += r.amount
    for item in out.values():
        item["amount_approved"] = money(item["amount_approved"])
    return [out[k] for k in sorted(out)]


async def figures(session: AsyncSession, f: Filters) -> dict[str, Any]:
    rows = await repo.decided_cases(session, f)
    approved = [r for r in rows if r.decision is Opinion.approved]
    total = sum((r.amount for r in approved), Decimal(0))
    persons = sum(r.persons for r in approved)
    months = sum(r.months for r in approved)
    per_person = [to_fen(r.amount / r.persons) for r in approved if r.persons]
    speed = await repo.decision_speed(session, f)
    return {
        "totals": {
            "decided": len(rows),
            "approved": len(approved),
            "rejected": len(rows) - len(approved),
            "within_township_limit": sum(1 for r in rows if r.level is Level.township),
            "escalated_to_county": sum(1 for r in rows if r.level is Level.county),
            "amount_approved": money(total),
            "persons_helped": persons,
            "months_of_help": months,
            "average_per_case": average(total, len(approved)),
            "average_per_person": average(total, persons),
            "average_months": str((Decimal(months) / len(approved)).quantize(Decimal("0.01")))
            if approved
            else None,
        },
        "by_form": _by_form(approved),
        "distribution_per_case": distribution([r.amount for r in approved]),
        "distribution_per_person": distribution(per_person),
        "time_to_decision": {
            "measured": speed.measured,
            "median_seconds": seconds(speed.median),
            "p90_seconds": seconds(speed.p90),
            "method": "percentile_cont",
        },
        "help_first": _help_first(await repo.help_first_tallies(session, f), f),
        "reexamination": _reexamination(await repo.reexamination_tally(session, f), len(rows), f),
        "by_month": _counts(rows, "month"),
        "by_county": _counts(rows, "county_code"),
        "by_township": _counts(rows, "county_code", "township_code"),
        "by_category": _counts(rows, "category", "subtype"),
    }


def _by_form(approved: list[DecidedCase]) -> list[dict[str, Any]]:
    forms: dict[str, list[Decimal]] = {}
    for r in approved:
        forms.setdefault(r.form, []).append(r.amount)
    return [
        {"form": k, "cases": len(v), "amount": money(sum(v, Decimal(0)))} for k, v in sorted(forms.items())
    ]


def _help_first(tallies: list[HelpFirstTally], f: Filters) -> dict[str, Any]:
    """Grants made in the period; their paperwork judged as of the period's end (R-FLOW-2)."""
    totals: dict[str, int | Decimal] = {
        "grants": 0,
        "amount": Decimal(0),
        "granted_by_township": 0,
        "granted_by_county": 0,
        "completed_on_time": 0,
        "completed_late": 0,
        "open_overdue": 0,
        "open_in_time": 0,
    }
    for t in tallies:
        totals["grants"] += t.grants
        totals["amount"] += t.amount
        totals[f"granted_by_{t.level.value}"] += t.grants
        totals[t.status] += t.grants
    return {
        **totals,
        "amount": money(totals["amount"]),
        "overdue": totals["completed_late"] + totals["open_overdue"],
        "as_of": f.as_of().isoformat(),
    }


def _rate(part: int, whole: int) -> str | None:
    return str((Decimal(part) / whole).quantize(Decimal("0.0001"))) if whole else None


def _reexamination(t: ReexaminationTally, decided: int, f: Filters) -> dict[str, Any]:
    """R-REX-5: how often decisions are contested and how often the contest changes them."""
    return {
        "requested": t.requested,
        "decided": t.decided,
        "changed": t.changed,
        "upheld": t.decided - t.changed,
        "open_overdue": t.open_overdue,
        "reexamination_rate": _rate(t.requested, decided),
        "reversal_rate": _rate(t.changed, t.decided),
        "median_days_to_decide": None if t.median_days is None else round(t.median_days, 2),
        "as_of": f.as_of().isoformat(),
    }


async def state_gauges(runtime: Runtime) -> None:
    """Read when /metrics is scraped: cases by status (R-FLOW)."""
    async with runtime.sessions() as session:
        counts = await repo.cases_by_status(session)
    CASES_BY_STATE.replace(runtime.name, {(runtime.name, status): n for status, n in counts.items()})
