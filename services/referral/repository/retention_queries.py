"""Retention queries (R-RET-2): referral's closed cases."""

from __future__ import annotations

from sqlalchemy import DateTime, cast, select

from services.referral.tables import cases
from shared.retention import ClosedRows


def closed_cases() -> ClosedRows:
    """(case_id, county_code, closed_at): the cases whose decision referral received (CaseDecided)."""
    return select(
        cases.c.case_id.label("case_id"),
        cases.c.county_code.label("county_code"),
        cast(cases.c.decision["decided_at"].astext, DateTime(timezone=True)).label("closed_at"),
    ).where(cases.c.decision.is_not(None), cases.c.county_code.is_not(None))
