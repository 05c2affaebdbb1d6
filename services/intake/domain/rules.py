"""Intake's checks of an application beyond field syntax (pure: no framework, no database)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from shared.contracts.common import SUBTYPES_BY_CATEGORY, Category, Subtype


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


def check_application(
    *,
    county_code: str,
    township_code: str,
    county_of_township: Callable[[str], str | None],
    known_counties: set[str],
    category: Category,
    subtype: Subtype,
    member_ids: list[str],
    relations: list[str],
    persons_helped: int,
    medical_bills_and_deductions: tuple[Decimal, list[Decimal]] | None,
    has_education: bool,
) -> FieldError | None:
    """The first problem found, naming its field, or None."""
    if county_code not in known_counties:
        return FieldError("address.county_code", f"unknown county {county_code}")
    if county_of_township(township_code) != county_code:
        return FieldError("address.township_code", f"township {township_code} is not in county {county_code}")
    if subtype not in SUBTYPES_BY_CATEGORY[category]:
        return FieldError("subtype", f"{subtype} is not a sub-type of {category} (R-CAT-1, R-CAT-2)")
    seen: set[str] = set()
    for i, number in enumerate(member_ids):
        if number in seen:
            return FieldError(f"household[{i}].id_number", "the same person is listed twice")
        seen.add(number)
    if relations.count("self") != 1:
        return FieldError("household", "exactly one member must have relation 'self' (the applicant)")
    if persons_helped > len(member_ids):
        return FieldError("persons_helped", "cannot exceed the number of household members")
    if medical_bills_and_deductions is not None:
        bills, deductions = medical_bills_and_deductions
        if sum(deductions) > bills:
            return FieldError("medical", "insurance and assistance deductions exceed the total bills")
    if subtype is Subtype.medical and medical_bills_and_deductions is None:
        return FieldError("medical", "a medical expenditure case needs its medical costs (R-CAT-2)")
    if subtype is Subtype.education and not has_education:
        return FieldError("education", "an education expenditure case needs its education costs (R-CAT-2)")
    return None
