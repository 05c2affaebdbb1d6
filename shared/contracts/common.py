"""Vocabulary shared by several contracts."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from shared.money import Money


class Category(StrEnum):
    """R-CAT-1 emergency (急难型) / R-CAT-2 expenditure (支出型)."""

    emergency = "emergency"
    expenditure = "expenditure"


class Subtype(StrEnum):
    fire_or_accident = "fire_or_accident"
    sudden_illness = "sudden_illness"
    other_emergency = "other_emergency"
    education = "education"
    medical = "medical"
    other_expenditure = "other_expenditure"


SUBTYPES_BY_CATEGORY = {
    Category.emergency: {Subtype.fire_or_accident, Subtype.sudden_illness, Subtype.other_emergency},
    Category.expenditure: {Subtype.education, Subtype.medical, Subtype.other_expenditure},
}


class NeedType(StrEnum):
    """What a partner charity can help with (R-CHA-1)."""

    education = "education"
    medical = "medical"
    living = "living"
    other = "other"


class Need(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    need_type: NeedType
    amount: Money
