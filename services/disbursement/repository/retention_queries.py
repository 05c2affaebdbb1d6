"""Retention queries (R-RET-2): disbursement's closed cases."""

from __future__ import annotations

from sqlalchemy import func, select, union_all

from services.disbursement.tables import approved_cases, beneficiaries, redecisions, unpaid_closings
from shared.retention import ClosedRows


def closed_cases() -> ClosedRows:
    """(case_id, county_code, closed_at) of the cases disbursement knows closed: approved for payment
    (approved_cases), or closed with nothing to pay — refused or referral services only (unpaid_closings,
    R-RET-1). The case is closed at the latest of its decision and any re-examination's redecision (a
    refusal turned into an approval is paid then, so its payee's period runs from there)."""
    closings = union_all(
        select(approved_cases.c.case_id, approved_cases.c.decided_at.label("at")),
        select(unpaid_closings.c.case_id, unpaid_closings.c.closed_at.label("at")),
    ).subquery()
    moves = union_all(
        select(closings.c.case_id, closings.c.at),
        select(redecisions.c.case_id, redecisions.c.decided_at.label("at")).where(
            redecisions.c.case_id.in_(select(closings.c.case_id))
        ),
    ).subquery()
    last = select(moves.c.case_id, func.max(moves.c.at).label("at")).group_by(moves.c.case_id).subquery()
    return select(
        last.c.case_id.label("case_id"),
        beneficiaries.c.county_code.label("county_code"),
        last.c.at.label("closed_at"),
    ).join(beneficiaries, beneficiaries.c.case_id == last.c.case_id)
