"""Intake's refusals, named (shared/domain_errors.py maps them to problem+json by kind)."""

from __future__ import annotations

from typing import Any

from shared.domain_errors import InvalidValue, NotPermitted, RecordNotFound, RuleRefused, StateConflict


class ApplicationNotFound(RecordNotFound):
    def __init__(self, application_id: str) -> None:
        super().__init__(f"application {application_id} not found")


class InvalidApplication(InvalidValue):
    """A value of the application that is wrong in itself (422 naming the field)."""


class FieldRefused(RuleRefused):
    """A rule refuses what one field asks for (409); ``errors`` names the field as a validation error does."""

    def __init__(self, field: str, message: str, **extensions: Any) -> None:
        super().__init__(f"{field}: {message}", errors=[{"field": field, "message": message}], **extensions)
        self.field = field


class RepeatApplication(RuleRefused):
    """R-FLOW-5: the household already applied for the same cause; temporary assistance is one-off."""

    slug = "repeat-application"


class NoPolicyInForce(FieldRefused):
    """R-AMT-3: no assessment policy of the county is in force on the incident date, so nobody could assess
    the case (409; it was 422 before the domain errors)."""

    slug = "no-policy-in-force"


class ConsentsChangeByWithdrawal(FieldRefused):
    """R-CHA-2: consents change only through the withdrawal endpoint, never by an amendment (409; it was 422
    before the domain errors)."""

    slug = "consents-change-by-withdrawal"


class IdempotencyKeyReused(StateConflict):
    slug = "idempotency-key-reused"


class CaseNotAmendable(StateConflict):
    """A case can be amended only until review has started."""

    slug = "case-not-amendable"


class NoOpenDuplicateFlags(StateConflict):
    """Only a held case with an open duplicate flag can be reviewed (cleared or merged)."""

    slug = "no-open-duplicate-flags"


class LeadNotFound(RecordNotFound):
    def __init__(self, lead_id: str) -> None:
        super().__init__(f"lead {lead_id} not found")


class UnknownTownship(InvalidValue):
    """R-OVS-2: a lead names a township that is not one of the city's (422 naming ``township_code``)."""

    slug = "unknown-township"


class LeadAlreadyEnded(StateConflict):
    """R-OVS-2: a lead already converted into an application, or already closed, cannot be closed or
    converted again (409)."""

    slug = "lead-already-ended"


class LeadHadSceneHelp(StateConflict):
    """R-FLOW-2: help was granted at the scene on the lead; its application must follow (the paperwork of
    that help), so the lead cannot be closed without one (409)."""

    slug = "lead-had-scene-help"


class LeadApplicationElsewhere(FieldRefused):
    """The application made from a lead is for the lead's township (409 naming ``address.township_code``):
    a household found elsewhere gets a lead of that township."""

    slug = "lead-application-elsewhere"


class VisitorsNotDistinct(RuleRefused):
    """R-ARC-1: a home visit is made by two officers; the second visitor cannot be the one recording."""

    slug = "visitors-not-distinct"


class NotTheSecondVisitor(NotPermitted):
    """R-ARC-1: only the officer named as the second visitor confirms (signs) the report."""

    slug = "not-the-second-visitor"


class VisitAlreadyConfirmed(StateConflict):
    slug = "visit-already-confirmed"


class VisitNotFound(RecordNotFound):
    def __init__(self, visit_id: str) -> None:
        super().__init__(f"home visit {visit_id} not found")


class ReportThroughVisit(FieldRefused):
    """R-ARC-1: the home-visit report is the signed visit record, never an uploaded file claiming to be it."""

    slug = "home-visit-report-through-visit"


class ContentNotHeld(StateConflict):
    """R-ARC-1: the document was recorded by reference (its content lives elsewhere), not uploaded."""

    slug = "content-not-held"


class ContentRefused(InvalidApplication):
    """R-ARC-1: the scanner refused the upload (e.g. its bytes are not the declared media type): 422."""

    slug = "content-refused"


class CorrectionNotFound(RecordNotFound):
    def __init__(self, correction_id: str) -> None:
        super().__init__(f"correction {correction_id} not found")


class InvalidCorrection(InvalidValue):
    """A corrected value that cannot be one (422 naming the field)."""


class NoPayeeOnFile(FieldRefused):
    """A payee field is corrected on an application with no payee (409)."""

    slug = "no-payee-on-file"


class CorrectionAlreadyReviewed(StateConflict):
    slug = "correction-already-reviewed"


class CorrectionReviewedByRequester(RuleRefused):
    """R-RIGHTS-2, four eyes: whoever recorded a correction request does not review it."""

    slug = "separation-of-duties"
