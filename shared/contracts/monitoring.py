"""What outside systems publish to intake on ``<prefix>.monitoring.leads.v1`` (key: their own lead
reference): leads of proactive discovery (主动发现, R-OVS-2) from the low-income population monitoring
platform (低收入人口动态监测平台), 12345 hotline transfers, grid workers (网格员), hospitals and schools.

Intake consumes it idempotently through its inbox; a record that does not parse, or names a township that
is not the city's, goes to intake's dead letter with the cause. The payload carries personal data in the
clear (the topic is read by intake alone); intake stores it only sealed, and validation errors never quote
the values (``hide_input_in_errors``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field

from shared.contracts.common import Category, Subtype
from shared.events import Event, event

NO_NUL = r"^[^\x00]*$"


class OutsideSource(StrEnum):
    """The outside system a lead comes from."""

    monitoring_platform = "monitoring_platform"
    hotline_12345 = "hotline_12345"
    grid_worker = "grid_worker"
    hospital = "hospital"
    school = "school"


class Urgency(StrEnum):
    emergency = "emergency"
    normal = "normal"


@event("gov.assistance.monitoring.lead-reported.v1")
class LeadReported(Event):
    """A household that may need help, reported by an outside system (R-OVS-2)."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    lead_ref: Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]
    """The reporting system's own id of the lead: reported twice, it is one lead."""
    source: OutsideSource
    township_code: Annotated[str, Field(pattern=r"^\d{9}$")]
    """The township whose office visits the household (one of the city's, else a dead letter)."""
    urgency: Urgency = Urgency.normal
    """``emergency``: the shorter response target (county setting, e.g. 24 hours)."""
    category: Category | None = None
    subtype: Subtype | None = None
    name: Annotated[str | None, Field(min_length=1, max_length=50, pattern=NO_NUL)] = None
    """Personal data: stored sealed only."""
    id_number: Annotated[str | None, Field(pattern=r"^\d{17}[\dX]$")] = None
    """Personal data (resident ID number, GB 11643): stored sealed, a blind index for matching."""
    phone: Annotated[str | None, Field(pattern=r"^\+?\d{7,15}$")] = None
    """Personal data: stored sealed only."""
    address: Annotated[str | None, Field(min_length=1, max_length=200, pattern=NO_NUL)] = None
    """Personal data: stored sealed only."""
    description: Annotated[str, Field(min_length=1, max_length=2000, pattern=NO_NUL)]
    """What was found (personal data: stored sealed only)."""
    reported_at: datetime
