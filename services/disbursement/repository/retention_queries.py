"""Retention queries (R-RET-2): disbursement's closed cases."""

from __future__ import annotations

from sqlalchemy import select

from services.disbursement.tables import approved_cases, beneficiaries
from shared.retention import ClosedRows


def closed_cases() -> ClosedRows:
    """(case_id, county_code, closed_at): approved cases, from their decision (a case never approved holds no
    payment; its payee is kept on the beneficiary until intake's own period removes the application)."""
    return select(
        approved_cases.c.case_id.label("case_id"),
        beneficiaries.c.county_code.label("county_code"),
        approved_cases.c.decided_at.label("closed_at"),
    ).join(beneficiaries, beneficiaries.c.case_id == approved_cases.c.case_id)
