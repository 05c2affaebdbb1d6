"""Events published by the household service on ``<prefix>.household.status.v1`` (key: case id): the
public-safe status of a case for subscribed government systems (政务服务平台, 12345; 办件状态推送).

No name, no ID number, no phone, no address: the case number the platform already holds, the stage, its
dates, what is missing, the next step and the office to contact."""

from __future__ import annotations

from datetime import date, datetime

from shared.events import Event, event


@event("gov.assistance.household.case-status-changed.v1")
class CaseStatusChanged(Event):
    case_id: str
    case_no: str
    county_code: str
    township_code: str
    stage: str
    """accepted | documents_missing | under_review | help_first | approved | refused | paid | referred."""
    stage_label: str
    """The stage in Chinese, as the platform shows it (e.g. 已受理)."""
    submitted_on: date | None
    decided_on: date | None
    missing: list[str]
    next_step: str
    office: str
    office_phone: str
    changed_at: datetime
