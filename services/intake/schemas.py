"""The intake API's request and response bodies (validated at the edge: a bad field is a 422 naming it)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared import idnumber
from shared.contracts.common import Category, Subtype
from shared.contracts.intake import Consents, EducationCosts, MedicalCosts, Property
from shared.money import Money


def _valid_id(value: str) -> str:
    try:
        return idnumber.validate(value)
    except idnumber.InvalidIdNumber as exc:
        raise ValueError(str(exc)) from exc


ResidentId = Annotated[str, Field(min_length=18, max_length=18, examples=["14030219800101001X"]),
                       AfterValidator(_valid_id)]
Name = Annotated[str, Field(min_length=1, max_length=50)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Channel(StrEnum):
    walk_in = "walk_in"
    gov_system = "gov_system"
    """Proactive discovery: another government system referred the household (R-OVS-2)."""


class MemberIn(Strict):
    name: Name
    id_number: ResidentId
    relation: Annotated[str, Field(min_length=1, max_length=20, examples=["self", "spouse", "child"])]
    dibao: bool = False
    """低保: minimum-living-standard household member."""
    tekun: bool = False
    """特困: extremely poor, supported person."""
    jiandang: bool = False
    """建档立卡: registered poor household."""


class AddressIn(Strict):
    county_code: Annotated[str, Field(pattern=r"^\d{6}$", examples=["140302"])]
    township_code: Annotated[str, Field(pattern=r"^\d{9}$", examples=["140302001"])]
    detail: Annotated[str, Field(min_length=1, max_length=200)]


class IncidentIn(Strict):
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    occurred_on: date
    ongoing: bool = False


class PayeeIn(Strict):
    name: Name
    bank: Annotated[str, Field(min_length=1, max_length=100)]
    account: Annotated[str, Field(pattern=r"^\d{12,30}$")]


class ApplicationIn(Strict):
    """One household's application; ``household`` lists everyone, the applicant with relation ``self``."""

    household: Annotated[list[MemberIn], Field(min_length=1, max_length=30)]
    phone: Annotated[str | None, Field(pattern=r"^\+?\d{7,15}$")] = None
    address: AddressIn
    category: Category
    subtype: Subtype
    incident: IncidentIn
    persons_helped: Annotated[int, Field(ge=1, le=30)]
    requested_months: Annotated[int | None, Field(ge=1, le=6)] = None
    annual_household_income: Money
    property: Property
    medical: MedicalCosts | None = None
    education: EducationCosts | None = None
    payee: PayeeIn | None = None
    consents: Consents
    channel: Channel = Channel.walk_in
    referring_system: Annotated[str | None, Field(max_length=100)] = None


class MemberOut(BaseModel):
    name: str
    id_number: str
    relation: str
    dibao: bool
    tekun: bool
    jiandang: bool


class ApplicationOut(BaseModel):
    """Personal data is masked (张*明, 140302********1234)."""

    id: str
    case_no: str
    status: str
    revision: int
    channel: str
    referring_system: str | None
    county_code: str
    township_code: str
    category: Category
    subtype: Subtype
    household: list[MemberOut]
    persons_helped: int
    consents: Consents
    submitted_at: datetime
    updated_at: datetime


class ConsentName(StrEnum):
    verify_economic_situation = "verify_economic_situation"
    share_with_charities = "share_with_charities"
    share_health_data = "share_health_data"
