"""Request and response bodies of the household service's API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatusQueryIn(Strict):
    """A government system's question (政务服务平台, 12345): the case number and the applicant's ID number as
    verifier — in the body, never in a URL; matched by blind index, never stored or logged."""

    case_no: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]
    id_number: Annotated[
        str,
        Field(
            min_length=15,
            max_length=18,
            pattern=r"^[0-9]{15,17}[0-9Xx]?$",
            json_schema_extra={"writeOnly": True},
        ),
    ]


class StatusOut(BaseModel):
    """Public-safe: nothing personal beyond what the caller sent."""

    case_no: str
    stage: str
    stage_label: str
    submitted_on: date | None
    decided_on: date | None
    updated_at: datetime
    missing: list[str]
    next_step: str
    office: str
    office_phone: str


class NoticeOut(BaseModel):
    id: str
    case_id: str
    kind: str
    status: str
    """queued | sent | failed | no_phone | opted_out."""
    template_version: str | None
    sms_text: str | None
    has_letter: bool
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class OptOutIn(Strict):
    opt_out: bool


class OptOutOut(BaseModel):
    case_id: str
    sms_opt_out: bool


class SubscriberIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    url: Annotated[str, Field(min_length=1, max_length=500)]
    county_code: Annotated[str | None, Field(pattern=r"^\d{6}$")] = None


class SubscriberOut(BaseModel):
    id: str
    name: str
    url: str
    county_code: str | None
    active: bool
    created_at: datetime


class SubscriberCreated(SubscriberOut):
    secret: str
    """The Standard Webhooks signing secret (``whsec_…``), shown only once."""
