"""Proactive discovery and fast response (主动发现, 快速响应; R-OVS-2): the response-time target of a lead
(effective-dated county setting, domain/seed/lead_response.json), when it falls due, whether it is overdue,
and which state changes a lead allows. Pure rules: no framework, no database."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain.model import Lead, LeadStatus, LeadUrgency

SEED = Path(__file__).resolve().parent / "seed" / "lead_response.json"
DEFAULT_COUNTY = "*"


class ResponseTarget(BaseModel):
    """One version of a county's response-time targets (hours from receipt to first contact)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str = Field(min_length=1, max_length=60)
    county_code: str = Field(pattern=r"^(\*|\d{6})$")
    effective_from: date
    emergency_hours: int = Field(ge=1, le=24 * 30)
    normal_hours: int = Field(ge=1, le=24 * 90)

    def hours(self, urgency: LeadUrgency) -> int:
        return self.emergency_hours if urgency is LeadUrgency.emergency else self.normal_hours


@lru_cache(maxsize=1)
def versions() -> tuple[ResponseTarget, ...]:
    raw = json.loads(SEED.read_text(encoding="utf-8"))["versions"]
    return tuple(sorted((ResponseTarget.model_validate(v) for v in raw), key=lambda t: t.effective_from))


def target_in_force(
    county_code: str, on: date, table: tuple[ResponseTarget, ...] | None = None
) -> ResponseTarget:
    """The county's own latest version effective on ``on``, else the city-wide default's (the earliest
    default for a date before every version)."""
    table = versions() if table is None else table
    own = [t for t in table if t.county_code == county_code and t.effective_from <= on]
    if own:
        return own[-1]
    defaults = [t for t in table if t.county_code == DEFAULT_COUNTY]
    if not defaults:
        raise ValueError("lead_response.json has no city-wide default version")
    effective = [t for t in defaults if t.effective_from <= on]
    return effective[-1] if effective else defaults[0]


def due_at(received_at: datetime, hours: int) -> datetime:
    """First contact is due ``hours`` after receipt (elapsed hours, every day counts: a household in need
    does not wait for the weekend)."""
    return received_at + timedelta(hours=hours)


def is_overdue(lead: Lead, now: datetime) -> bool:
    """Past its response target without first contact, and still open ("nothing silent")."""
    return lead.status is LeadStatus.open and lead.first_contact_at is None and lead.due_at < now


def refusal_to_end(lead: Lead) -> str | None:
    """Why the lead cannot be closed or converted now (None: it can)."""
    if lead.status is LeadStatus.converted:
        return f"lead {lead.id} already became application {lead.application_id}"
    if lead.status is LeadStatus.closed:
        return f"lead {lead.id} was already closed ({lead.close_reason})"
    return None
