"""Budgets (R-OVS-3): a county's yearly envelope per funding source (困难群众救助补助资金: central,
provincial, local), committed when help is approved (or granted first), spent when it is paid, released
when it will not be paid; what remains is ``amount - committed - spent``, exact to the fen.

Pure rules: which source a case draws on (the county's order, optionally per category or sub-type), whether
an approval fits, what happens when it does not (the county's setting: refuse, or escalate to the county
approver, R-FLOW-3), and how a payment is spread over a case's commitments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from services.approval.domain.tiers import Level

ZERO = Decimal("0.00")


class FundingSource(StrEnum):
    """The three sources of the 困难群众救助补助资金 a county budgets its temporary assistance from."""

    central = "central"
    provincial = "provincial"
    local = "local"


class OverEnvelope(StrEnum):
    """The county's setting for an approval beyond what remains (R-OVS-3)."""

    refuse = "refuse"
    """Nobody approves beyond the envelope: 409 ``budget-exhausted``."""
    escalate = "escalate"
    """The township is refused (409 ``budget-county-approval-required``); the county approver may approve
    beyond the envelope, and the overrun is recorded on the commitment (R-FLOW-3)."""


class CommitmentKind(StrEnum):
    help_first = "help_first"
    """先行救助 (R-FLOW-2): committed at the grant, never held back by the envelope."""
    decision = "decision"
    """审批: the approved amount less what help first already committed."""
    correction = "correction"
    """A corrected payment paid more than the one it reversed (disbursement's PaymentCorrected)."""


class MovementKind(StrEnum):
    allocation = "allocation"
    commit = "commit"
    spend = "spend"
    unspend = "unspend"
    """A paid transfer came back (returned): spent again becomes committed, for the retry."""
    release = "release"


@dataclass(frozen=True, slots=True)
class Envelope:
    """A county's yearly envelope of one funding source; ``committed`` is what is approved and not yet
    paid, ``spent`` what is paid."""

    id: int
    county_code: str
    year: int
    source: str
    amount: Decimal
    committed: Decimal
    spent: Decimal
    actor: str | None
    updated_at: datetime

    @property
    def available(self) -> Decimal:
        return self.amount - self.committed - self.spent


@dataclass(frozen=True, slots=True)
class BudgetPolicy:
    """One effective-dated version of a county's budget rules."""

    id: int
    county_code: str
    effective_from: date
    source_order: list[str]
    by_category: dict[str, list[str]]
    over_envelope: str
    actor: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Commitment:
    """What one case holds of one envelope."""

    id: int
    case_id: str
    envelope_id: int
    kind: str
    amount: Decimal
    spent: Decimal
    released: Decimal
    overrun: Decimal
    actor: str | None
    created_at: datetime

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.spent - self.released


@dataclass(frozen=True, slots=True)
class Movement:
    """One line of the trace of an envelope (R-OVS-3: every yuan from allocation to payment)."""

    id: int
    envelope_id: int | None
    commitment_id: int | None
    case_id: str | None
    kind: str
    amount: Decimal
    instruction_id: str | None
    actor: str | None
    at: datetime


DEFAULT_ORDER = (FundingSource.central, FundingSource.provincial, FundingSource.local)


def sources_for(policy: BudgetPolicy | None, category: str, subtype: str) -> list[str]:
    """The county's order of sources for a case: its sub-type's, else its category's, else the county's
    order (no policy version: central, provincial, local)."""
    if policy is None:
        return [s.value for s in DEFAULT_ORDER]
    return policy.by_category.get(subtype) or policy.by_category.get(category) or policy.source_order


@dataclass(frozen=True, slots=True)
class Plan:
    """Where a commitment goes, and how much of it is beyond what remained (an overrun)."""

    envelope: Envelope
    overrun: Decimal


class Verdict(StrEnum):
    fits = "fits"
    refused = "refused"
    escalated = "escalated"


def plan_commitment(
    envelopes: Mapping[str, Envelope],
    sources: Sequence[str],
    amount: Decimal,
    *,
    over_envelope: str,
    level: Level | None,
    help_first: bool = False,
) -> tuple[Verdict, Plan | None]:
    """R-OVS-3: the first source, in the county's order, whose envelope has ``amount`` left takes it whole.
    When none has: refused; or, with the county setting ``escalate``, refused for the township
    (``escalated``) and an overrun for the county approver (R-FLOW-3). Help first (R-FLOW-2) is never held
    back: it overruns (and with no envelope set at all, it is not budgeted: ``fits`` with no plan)."""
    present = [envelopes[s] for s in sources if s in envelopes]
    for envelope in present:
        if envelope.available >= amount:
            return Verdict.fits, Plan(envelope, ZERO)
    if help_first and not present:
        return Verdict.fits, None
    escalate = over_envelope == OverEnvelope.escalate
    if not (help_first or (escalate and level is Level.county)):
        return (Verdict.escalated if escalate and present else Verdict.refused), None
    fullest = max(present, key=lambda e: e.available)
    return Verdict.fits, Plan(fullest, amount - max(fullest.available, ZERO))


def spread(
    parts: Sequence[tuple[int, Decimal]], amount: Decimal
) -> tuple[list[tuple[int, Decimal]], Decimal]:
    """Spread ``amount`` over (id, room) in order, each taking what room it has; returns the shares and
    what no room was left for."""
    shares: list[tuple[int, Decimal]] = []
    rest = amount
    for ident, room in parts:
        if rest <= 0:
            break
        take = min(room, rest)
        if take > 0:
            shares.append((ident, take))
            rest -= take
    return shares, rest
