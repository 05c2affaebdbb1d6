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


class ContractNotFound(RecordNotFound):
    def __init__(self, contract_id: str) -> None:
        super().__init__(f"contract {contract_id} not found")


class ContractOverlaps(StateConflict):
    """One contract per partner, county and day (R-CHA-3): a second one for days already contracted is
    refused, naming the contract it overlaps."""

    slug, title = "contract-overlaps", "The partner already has a contract for this period"

    def __init__(self, existing_id: str, ref: str, starts_on: str, ends_on: str) -> None:
        super().__init__(
            f"starts_on/ends_on: the partner already has contract {ref} ({existing_id}) in this county from "
            f"{starts_on} to {ends_on}",
            errors=[{"field": "starts_on", "message": f"overlaps contract {ref}"}],
            overlaps=existing_id,
            rule="R-CHA-3",
        )


class ContractCancelled(StateConflict):
    """A cancelled contract is read-only: it is neither amended nor cancelled again (R-CHA-3)."""

    slug, title = "contract-cancelled", "The contract was cancelled"

    def __init__(self, contract_id: str, effective_on: str) -> None:
        super().__init__(
            f"contract {contract_id} was cancelled with effect from {effective_on}: a cancelled contract "
            "cannot be amended or cancelled again",
            cancelled_on=effective_on,
            rule="R-CHA-3",
        )


class BudgetBelowSpent(StateConflict):
    """A contract's budget may not be amended below what was delivered under it and what its accepted
    offers still hold (R-CHA-3)."""

    slug, title = "budget-below-spent", "The budget is below what the contract has spent and committed"

    def __init__(self, budget: str, spent: str, committed: str) -> None:
        super().__init__(
            f"budget: {budget} is below the {spent} delivered and {committed} committed under the contract",
            errors=[{"field": "budget", "message": f"below {spent} delivered + {committed} committed"}],
            spent=spent,
            committed=committed,
            rule="R-CHA-3",
        )


class DuplicateProcurementRef(StateConflict):
    """A tender reference (招投标编号) names one contract of its county (R-CHA-3)."""

    def __init__(self, ref: str) -> None:
        super().__init__(
            f"procurement_ref: {ref} already names a contract of this county",
            errors=[{"field": "procurement_ref", "message": "already used in this county"}],
            rule="R-CHA-3",
        )


class PartnerOutsideCounty(RuleRefused):
    """A county contracts or rewards only partners that serve it (R-CHA-3)."""

    def __init__(self, partner_id: str, county_code: str) -> None:
        super().__init__(
            f"partner_id: partner {partner_id} serves no area of county {county_code}",
            errors=[{"field": "partner_id", "message": f"does not serve county {county_code}"}],
            rule="R-CHA-3",
        )


class NotContractable(RuleRefused):
    """A government scheme is not bought from: contracts and rankings are for charities and social-work
    organisations (R-CHA-3)."""

    def __init__(self, partner_id: str) -> None:
        super().__init__(
            f"partner_id: partner {partner_id} is a government scheme, not a service provider",
            errors=[{"field": "partner_id", "message": "a government scheme"}],
            rule="R-CHA-3",
        )
