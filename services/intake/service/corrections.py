"""Corrections of a person's data as amendments (PIPL art. 46, R-RIGHTS-2): one officer records the request
(field, corrected value sealed, reason, who), a second officer applies it — an ordinary amendment (a new
revision, re-screened, re-published for assessment, its events as usual) written in the same transaction as
the review — or refuses it with a reason."""

from __future__ import annotations

import json
import uuid
from typing import Any

from services.intake import repository as repo
from services.intake.domain.correction_rules import check_reviewer, check_value, corrected
from services.intake.domain.errors import ApplicationNotFound, CorrectionNotFound
from services.intake.domain.model import Application, Correction, CorrectionField, CorrectionStatus
from services.intake.repository import correction_queries as cq
from services.intake.schemas import AmendmentIn, CorrectionIn, CorrectionOut, CorrectionReviewIn
from services.intake.service import PERSONAL, record_amendment
from shared import clock, idnumber
from shared.access import guard
from shared.runtime import Runtime

CORRECTION_VALUE = "intake.correction.value"
"""The encryption context of a correction's value."""


async def request(runtime: Runtime, application_id: str, body: CorrectionIn, *, by: str) -> Correction:
    """Record a correction request of a case in the caller's jurisdiction; the value is checked first."""
    value = check_value(body.field, body.value, body.member_seq)
    async with runtime.transaction() as session:
        app = await repo.get(session, application_id)
        if app is None:
            raise ApplicationNotFound(application_id)
        guard(app.county_code, app.township_code, "application")
        _correctable(runtime, app, body.field, value, body.member_seq)
        return await cq.add(
            session,
            {
                "id": str(uuid.uuid4()),
                "application_id": application_id,
                "county_code": app.county_code,
                "township_code": app.township_code,
                "field": body.field.value,
                "member_seq": body.member_seq,
                "value_sealed": runtime.cipher.encrypt(value, context=CORRECTION_VALUE),
                "reason": body.reason,
                "requested_by": by,
                "requested_at": clock.now(),
                "status": CorrectionStatus.requested.value,
            },
        )


async def of_case(runtime: Runtime, application_id: str) -> list[Correction]:
    async with runtime.reading() as session:
        app = await repo.get(session, application_id)
        if app is None:
            raise ApplicationNotFound(application_id)
        guard(app.county_code, app.township_code, "application")
        return await cq.of_applications(session, [application_id])


async def review(
    runtime: Runtime, application_id: str, correction_id: str, body: CorrectionReviewIn, *, by: str
) -> Correction:
    """Four eyes: apply (the amendment and the review in one transaction) or refuse with the reason."""
    async with runtime.transaction() as session:
        correction = await cq.get(session, correction_id, for_update=True)
        if correction is None or correction.application_id != application_id:
            raise CorrectionNotFound(correction_id)
        guard(correction.county_code, correction.township_code, "correction")
        check_reviewer(correction, by)
        values: dict[str, Any] = {"reviewed_by": by, "reviewed_at": clock.now(), "review_reason": body.reason}
        if body.decision == "refuse":
            return await cq.review(
                session, correction_id, {**values, "status": CorrectionStatus.refused.value}
            )
        app = await repo.get(session, application_id, for_update=True)
        if app is None:
            raise ApplicationNotFound(application_id)
        amendment = _amendment(runtime, app, correction)
        stored = await record_amendment(runtime, session, application_id, amendment)
        return await cq.review(
            session,
            correction_id,
            {**values, "status": CorrectionStatus.applied.value, "applied_revision": stored.revision},
        )


def _correctable(
    runtime: Runtime, app: Application, field: CorrectionField, value: str, member_seq: int | None
) -> None:
    """Refuse now what could never be applied: a member the household does not have (422), a payee field
    where no payee is on file (409)."""
    personal = json.loads(runtime.cipher.decrypt(app.personal, context=PERSONAL))
    relations = [m["relation"] for m in app.facts["household"]]
    corrected(personal, field, value, member_seq, relations.index("self"))


def _amendment(runtime: Runtime, app: Application, correction: Correction) -> AmendmentIn:
    """The current revision as stated, with the one field corrected; amended by the reviewer, for the
    request's reason."""
    personal = json.loads(runtime.cipher.decrypt(app.personal, context=PERSONAL))
    facts = app.facts
    relations = [m["relation"] for m in facts["household"]]
    value = runtime.cipher.decrypt(correction.value_sealed, context=CORRECTION_VALUE)
    fixed = corrected(personal, correction.field, value, correction.member_seq, relations.index("self"))
    return AmendmentIn.model_validate(
        {
            "household": [
                {
                    "name": p["name"],
                    "id_number": p["id_number"],
                    "relation": f["relation"],
                    "dibao": f["dibao"],
                    "tekun": f["tekun"],
                    "jiandang": f["jiandang"],
                }
                for p, f in zip(fixed["household"], facts["household"], strict=True)
            ],
            "phone": fixed["phone"],
            "address": {
                "county_code": app.county_code,
                "township_code": app.township_code,
                "detail": fixed["address"],
            },
            "category": app.category,
            "subtype": app.subtype,
            "incident": {
                "description": fixed["incident"],
                "occurred_on": app.incident_date.isoformat(),
                "ongoing": facts["incident_ongoing"],
            },
            "persons_helped": app.persons_helped,
            "requested_months": facts["requested_months"],
            "annual_household_income": facts["annual_household_income"],
            "property": facts["property"],
            "medical": facts["medical"],
            "education": facts["education"],
            "payee": fixed["payee"],
            "needs": facts.get("needs") or [],
            "reason": f"correction {correction.id} ({correction.field}): {correction.reason}"[:2000],
            "amended_by": correction.requested_by,
        }
    )


def masked_value(field: CorrectionField, value: str) -> str:
    """As staff views show personal data: names 张*明, phone and account with their last four digits."""
    if field in (CorrectionField.name, CorrectionField.payee_name):
        return idnumber.mask_name(value)
    if field in (CorrectionField.phone, CorrectionField.payee_account):
        return idnumber.mask_account(value)
    return value


def to_out(runtime: Runtime, correction: Correction) -> CorrectionOut:
    value = runtime.cipher.decrypt(correction.value_sealed, context=CORRECTION_VALUE)
    return CorrectionOut.model_validate(
        {
            **{k: getattr(correction, k) for k in CorrectionOut.model_fields if hasattr(correction, k)},
            "value_masked": masked_value(correction.field, value),
        }
    )
