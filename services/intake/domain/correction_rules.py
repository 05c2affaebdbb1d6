"""Corrections of a person's data (PIPL art. 46, R-RIGHTS-2): what a corrected value must look like, who may
review the request (a second officer: four eyes), and the stated data with the correction applied — which
then goes through the ordinary amendment (a new revision, re-assessed, its events as usual)."""

from __future__ import annotations

import copy
import re
from typing import Any

from services.intake.domain.errors import (
    CorrectionAlreadyReviewed,
    CorrectionReviewedByRequester,
    InvalidCorrection,
    NoPayeeOnFile,
)
from services.intake.domain.model import Correction, CorrectionField, CorrectionStatus

PATTERNS: dict[CorrectionField, tuple[str, str]] = {
    CorrectionField.name: (r"^[^\x00]{1,50}$", "1 to 50 characters"),
    CorrectionField.phone: (r"^\+?\d{7,15}$", "7 to 15 digits, optionally after +"),
    CorrectionField.address: (r"^[^\x00]{1,200}$", "1 to 200 characters"),
    CorrectionField.payee_name: (r"^[^\x00]{1,50}$", "1 to 50 characters"),
    CorrectionField.payee_bank: (r"^[^\x00]{1,100}$", "1 to 100 characters"),
    CorrectionField.payee_account: (r"^\d{12,30}$", "12 to 30 digits"),
}
PAYEE = {
    CorrectionField.payee_name: "name",
    CorrectionField.payee_bank: "bank",
    CorrectionField.payee_account: "account",
}


def check_value(field: CorrectionField, value: str, member_seq: int | None) -> str:
    """The corrected value, stripped; 422 naming ``value`` (or ``member_seq``) when it cannot be one."""
    value = value.strip()
    pattern, shape = PATTERNS[field]
    if not re.fullmatch(pattern, value):
        raise InvalidCorrection("value", f"a corrected {field} must be {shape}")
    if member_seq is not None and field is not CorrectionField.name:
        raise InvalidCorrection("member_seq", "only a name correction names a household member")
    return value


def check_reviewer(correction: Correction, reviewer: str) -> None:
    """Four eyes: an open request, reviewed by someone other than who recorded it (409)."""
    if correction.status is not CorrectionStatus.requested:
        raise CorrectionAlreadyReviewed(f"correction {correction.id} was {correction.status} already")
    if correction.requested_by == reviewer:
        raise CorrectionReviewedByRequester(
            "a correction is reviewed by a second officer, not by the one who recorded it (R-RIGHTS-2)",
            rule="R-RIGHTS-2",
        )


def corrected(
    personal: dict[str, Any], field: CorrectionField, value: str, member_seq: int | None, applicant_seq: int
) -> dict[str, Any]:
    """The stated personal data with the correction applied (``member_seq`` None: the applicant)."""
    out = copy.deepcopy(personal)
    if field is CorrectionField.name:
        members = out["household"]
        seq = member_seq if member_seq is not None else applicant_seq
        if not 0 <= seq < len(members):
            raise InvalidCorrection("member_seq", f"the household has members 0 to {len(members) - 1}")
        members[seq]["name"] = value
    elif field is CorrectionField.phone:
        out["phone"] = value
    elif field is CorrectionField.address:
        out["address"] = value
    else:
        if not out.get("payee"):
            raise NoPayeeOnFile("value", "the application has no payee to correct: amend it to add one")
        out["payee"][PAYEE[field]] = value
    return out
