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
    """What a household needs and a partner can help with (R-AID-1, R-CHA-1): money needs (living,
    housing_repair, goods, medical, education) carry an amount; service needs (care, employment,
    psychological, legal) may. ``other`` stays for records published before the structured assessment."""

    education = "education"
    medical = "medical"
    living = "living"
    other = "other"
    housing_repair = "housing_repair"
    goods = "goods"
    care = "care"
    employment = "employment"
    psychological = "psychological"
    legal = "legal"


MONEY_NEED_TYPES = frozenset(
    {NeedType.living, NeedType.housing_repair, NeedType.goods, NeedType.medical, NeedType.education}
)
"""Need types whose assessment states an amount (R-AID-1)."""


class Need(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    need_type: NeedType
    amount: Money
