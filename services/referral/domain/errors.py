"""Referral's refusals, in the language of the exchange (shared/domain_errors.py; mapped to problem+json in
one place, shared/errors.py). The slugs are today's problem type URIs."""

from __future__ import annotations

from decimal import Decimal

from shared.domain_errors import NotPermitted, RecordNotFound, RuleRefused, StateConflict


class CaseNotFound(RecordNotFound):
    """A case referral does not know, or one outside the caller's jurisdiction."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"case {case_id} is not known to referral")


class PartnerNotFound(RecordNotFound):
    def __init__(self, partner_id: str) -> None:
        super().__init__(f"partner {partner_id} not found")


class ReferralNotFound(RecordNotFound):
    """A task that does not exist or is another partner's (its existence is not revealed)."""

    def __init__(self, task_id: str) -> None:
        super().__init__(f"referral {task_id} not found")


class DeliveryNotFound(RecordNotFound):
    def __init__(self, delivery_id: int) -> None:
        super().__init__(f"delivery {delivery_id} not found")


class TransitionRefused(StateConflict):
    """The task's status does not allow the partner's answer (R-CHA-1, FHIR Task lifecycle)."""

    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"cannot {action} a referral whose task is {status}")


class AboveOutstandingAmount(StateConflict):
    """A fulfilment larger than what is still uncovered on the record (R-CHA-1): the record's state refuses
    it (409; a 422 before issue 15), naming the field."""

    def __init__(self, outstanding: Decimal) -> None:
        message = f"must not exceed the remaining amount {outstanding}"
        super().__init__(
            f"amount: {message}", errors=[{"field": "amount", "message": message}], rule="R-CHA-1"
        )


class SharedTopicDisabled(RuleRefused):
    """The shared partner topic is off: every partner gets its own topic (R-CHA-2)."""

    slug, title = "conflict", "Conflict"

    def __init__(self) -> None:
        super().__init__(
            "kafka_topic: the shared partner topic is disabled — every partner gets its own topic, so no "
            "partner reads the offers made to another (R-CHA-2; REFERRAL_PARTNER_KAFKA_TOPIC_DEFAULT)"
        )


class DeliveryCancelled(StateConflict):
    """A delivery cancelled by a consent withdrawal or a suspension is never resent (R-CHA-2)."""

    def __init__(self) -> None:
        super().__init__(
            "this delivery was cancelled (record withdrawn or partner suspended); it is not resent"
        )


class OutsideRegistryScope(NotPermitted):
    """The partner registry is county-level: a county's policy admins manage partners of their county."""


class PartnerSuspended(NotPermitted):
    def __init__(self) -> None:
        super().__init__("this partner is suspended")


class ProjectNotFound(RecordNotFound):
    def __init__(self, project_id: str) -> None:
        super().__init__(f"project {project_id} not found")


class ProjectFull(StateConflict):
    """A project has no place left (R-CHA-1): an acceptance or a capacity below what is taken is refused."""

    slug, title = "project-over-capacity", "The project is over capacity"

    def __init__(self, project_id: str, detail: str) -> None:
        super().__init__(f"project {project_id} is over capacity: {detail}", rule="R-CHA-1")


class ProjectClosed(StateConflict):
    def __init__(self, project_id: str, reason: str) -> None:
        super().__init__(f"project {project_id} is closed ({reason})", rule="R-CHA-1")


class SchemeReferralNotFound(RecordNotFound):
    def __init__(self, referral_id: str) -> None:
        super().__init__(f"scheme referral {referral_id} not found")


class NotAScheme(RuleRefused):
    """Only a partner of kind ``government_scheme`` takes scheme referrals (R-AID-1)."""

    def __init__(self, partner_id: str) -> None:
        super().__init__(
            f"partner_id: partner {partner_id} is not a government scheme",
            errors=[{"field": "partner_id", "message": "not a government scheme"}],
            rule="R-AID-1",
        )


class SchemeSuspended(RuleRefused):
    """A suspended scheme takes no referrals (R-AID-1)."""

    slug, title = "scheme-suspended", "The scheme is suspended"

    def __init__(self, partner_id: str) -> None:
        super().__init__(
            f"partner_id: the scheme {partner_id} is suspended and takes no referrals",
            errors=[{"field": "partner_id", "message": "the scheme is suspended"}],
            rule="R-AID-1",
        )


class NeedNotReferable(RuleRefused):
    """The need is not the case's, not the scheme's, or may not be shared without consent (R-CHA-2)."""

    def __init__(self, message: str, rule: str = "R-CHA-2") -> None:
        super().__init__(
            f"need_type: {message}", errors=[{"field": "need_type", "message": message}], rule=rule
        )


class OutcomeRefused(StateConflict):
    """A scheme referral's outcome goes forward only and a final one stays (R-AID-1)."""

    def __init__(self, status: str, outcome: str) -> None:
        super().__init__(
            f"outcome: a scheme referral that is {status} cannot become {outcome}", rule="R-AID-1"
        )
