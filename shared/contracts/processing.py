"""``gov.assistance.<service>.case-processing-failed.v1``: a service could not process an event about a case
(dead-lettered after bounded attempts, or refused by its consumer). Published on the failing service's own
topic in the same transaction as its dead-letter record; intake consumes it and shows the case as
``needs_attention`` with the reason and the service, so no dead letter about a case is invisible on it."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.events import Event, event

REASON_LIMIT = 1000


class CaseProcessingFailed(Event):
    case_id: str
    service: str
    """The service that could not process the case (assessment, approval, disbursement, referral)."""
    failed_event_type: str | None = None
    failed_event_id: str | None = None
    reason: str = Field(max_length=REASON_LIMIT)
    """Why, as the consumer reported it (bounded; rule ids and codes, never personal data)."""
    failed_at: datetime


@event("gov.assistance.assessment.case-processing-failed.v1")
class AssessmentCaseProcessingFailed(CaseProcessingFailed):
    pass


@event("gov.assistance.approval.case-processing-failed.v1")
class ApprovalCaseProcessingFailed(CaseProcessingFailed):
    pass


@event("gov.assistance.disbursement.case-processing-failed.v1")
class DisbursementCaseProcessingFailed(CaseProcessingFailed):
    pass


@event("gov.assistance.referral.case-processing-failed.v1")
class ReferralCaseProcessingFailed(CaseProcessingFailed):
    pass


BY_SERVICE: dict[str, type[CaseProcessingFailed]] = {
    "assessment": AssessmentCaseProcessingFailed,
    "approval": ApprovalCaseProcessingFailed,
    "disbursement": DisbursementCaseProcessingFailed,
    "referral": ReferralCaseProcessingFailed,
}
