"""Retention queries (R-RET-2): assessment's closed cases (decided by approval)."""

from __future__ import annotations

from sqlalchemy import select

from services.assessment.tables import decided_cases, verifications
from shared.retention import ClosedRows


def closed_cases() -> ClosedRows:
    """(case_id, county_code, closed_at): the cases approval decided, placed by their verification requests
    (the only personal data assessment keeps)."""
    return (
        select(
            decided_cases.c.case_id.label("case_id"),
            verifications.c.county_code.label("county_code"),
            decided_cases.c.decided_at.label("closed_at"),
        )
        .join(verifications, verifications.c.case_id == decided_cases.c.case_id)
        .distinct()
    )
