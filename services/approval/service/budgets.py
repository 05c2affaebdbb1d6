"""Budgets (R-OVS-3): a county's yearly envelopes per funding source, committed in the same transaction as
the decision that approves the help (or the help-first grant, R-FLOW-2), spent when disbursement reports
the payment paid, released when it will not be paid. Every movement is a line of the envelope's trace."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from services.approval import repository as repo
from services.approval.domain.budget import (
    ZERO,
    BudgetPolicy,
    Commitment,
    CommitmentKind,
    Envelope,
    Movement,
    MovementKind,
    Verdict,
    plan_commitment,
    sources_for,
    spread,
)
from services.approval.domain.errors import (
    BudgetEscalated,
    BudgetExhausted,
    EnvelopeBelowUse,
    EnvelopeNotFound,
)
from services.approval.domain.tiers import Level
from services.approval.schemas import BudgetPolicyIn, EnvelopeIn
from shared import clock
from shared.contracts.disbursement import PaymentCorrected, PaymentGivenUp, PaymentResultRecorded
from shared.runtime import Runtime

RELEASING_RESULTS = frozenset({"cancelled", "abandoned"})
"""Results after which a payment will never be made: its commitment is released. Disbursement reports a
payment it gives up as ``PaymentGivenUp`` (below); these free-text results are kept for older producers."""


# --- commitments, inside the decision's (or the grant's) transaction ---


class Budgeted(Protocol):
    """What a commitment needs of its case: a Case, or a lead's reserved case for help at the scene."""

    @property
    def case_id(self) -> str: ...
    @property
    def county_code(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def subtype(self) -> str: ...


async def commit(
    session: AsyncSession,
    case: Budgeted,
    amount: Decimal,
    *,
    kind: CommitmentKind,
    level: Level | None,
    actor: str | None,
    now: datetime,
) -> None:
    """Commit ``amount`` of the case's county budget for the year of ``now`` (local), or refuse (R-OVS-3).
    The envelopes stay row-locked until the caller's transaction ends, so parallel decisions queue."""
    if amount <= 0:
        return
    on = clock.local_date(now)
    policy = await repo.budget_policy_on(session, case.county_code, on)
    envelopes = await repo.envelopes_locked(session, case.county_code, on.year)
    sources = sources_for(policy, case.category, case.subtype)
    verdict, plan = plan_commitment(
        envelopes,
        sources,
        amount,
        over_envelope=policy.over_envelope if policy else "refuse",
        level=level,
        help_first=kind is CommitmentKind.help_first,
    )
    left = {s: str(envelopes[s].available) for s in sources if s in envelopes}
    if verdict is Verdict.refused:
        raise BudgetExhausted(amount, case.county_code, on.year, left)
    if verdict is Verdict.escalated:
        raise BudgetEscalated(amount, case.county_code, on.year, left)
    if plan is None:
        return  # help first where the county set no envelope for the year: not budgeted
    row = {"case_id": case.case_id, "envelope_id": plan.envelope.id, "kind": kind.value, "amount": amount}
    commitment_id = await repo.add_commitment(
        session, {**row, "overrun": plan.overrun, "actor": actor, "created_at": now}
    )
    await repo.shift_envelope(session, plan.envelope.id, committed=amount, spent=ZERO)
    await _trace(session, plan.envelope.id, commitment_id, case.case_id, MovementKind.commit, amount, actor)


async def _trace(
    session: AsyncSession,
    envelope_id: int | None,
    commitment_id: int | None,
    case_id: str,
    kind: MovementKind,
    amount: Decimal,
    actor: str | None = None,
    instruction_id: str | None = None,
) -> None:
    await repo.add_movement(
        session,
        {
            "envelope_id": envelope_id,
            "commitment_id": commitment_id,
            "case_id": case_id,
            "kind": kind.value,
            "amount": amount,
            "instruction_id": instruction_id,
            "actor": actor,
            "at": clock.now(),
        },
    )


# --- payments, learned from disbursement's events (inbox-protected) ---


async def _locked(session: AsyncSession, case_id: str) -> tuple[list[Commitment], dict[int, Envelope]]:
    held = await repo.commitments_for(session, case_id, for_update=True)
    return held, await repo.lock_envelopes_of(session, sorted({c.envelope_id for c in held}))


async def spend(session: AsyncSession, case_id: str, amount: Decimal, instruction_id: str | None) -> None:
    """Paid: committed → spent, over the case's commitments oldest first. A payment beyond what was
    committed (a case decided before budgets were kept) is traced with no envelope, never lost."""
    held, _ = await _locked(session, case_id)
    shares, rest = spread([(c.id, c.outstanding) for c in held], amount)
    by_id = {c.id: c for c in held}
    for commitment_id, part in shares:
        envelope_id = by_id[commitment_id].envelope_id
        await repo.shift_commitment(session, commitment_id, spent=part)
        await repo.shift_envelope(session, envelope_id, committed=-part, spent=part)
        await _trace(
            session, envelope_id, commitment_id, case_id, MovementKind.spend, part, None, instruction_id
        )
    if rest > 0:
        await _trace(session, None, None, case_id, MovementKind.spend, rest, None, instruction_id)


async def unspend(session: AsyncSession, case_id: str, amount: Decimal, instruction_id: str | None) -> None:
    """Returned (or reversed): spent → committed again, newest spending first; the payment is re-issued."""
    held, _ = await _locked(session, case_id)
    shares, _rest = spread([(c.id, c.spent) for c in reversed(held)], amount)
    by_id = {c.id: c for c in held}
    for commitment_id, part in shares:
        envelope_id = by_id[commitment_id].envelope_id
        await repo.shift_commitment(session, commitment_id, spent=-part)
        await repo.shift_envelope(session, envelope_id, committed=part, spent=-part)
        await _trace(
            session, envelope_id, commitment_id, case_id, MovementKind.unspend, part, None, instruction_id
        )


async def release(session: AsyncSession, case_id: str, amount: Decimal, instruction_id: str | None) -> None:
    """Never to be paid: what was committed for it goes back to the envelope, newest commitment first."""
    held, _ = await _locked(session, case_id)
    shares, _rest = spread([(c.id, c.outstanding) for c in reversed(held)], amount)
    by_id = {c.id: c for c in held}
    for commitment_id, part in shares:
        envelope_id = by_id[commitment_id].envelope_id
        await repo.shift_commitment(session, commitment_id, released=part)
        await repo.shift_envelope(session, envelope_id, committed=-part, spent=ZERO)
        await _trace(
            session, envelope_id, commitment_id, case_id, MovementKind.release, part, None, instruction_id
        )


async def on_payment_result(session: AsyncSession, ev: PaymentResultRecorded) -> None:
    if ev.result == "paid":
        await spend(session, ev.case_id, ev.amount, ev.instruction_id)
    elif ev.result == "returned":
        await unspend(session, ev.case_id, ev.amount, ev.instruction_id)
    elif ev.result in RELEASING_RESULTS:
        await release(session, ev.case_id, ev.amount, ev.instruction_id)
    # failed: the transfer is retried under the same reference; the commitment stays


async def on_payment_given_up(session: AsyncSession, ev: PaymentGivenUp) -> None:
    """R-OVS-3: a payment disbursement gave up will never be paid: what was committed for it goes back to
    the envelope (once: the inbox; the case itself shows needs_attention through intake)."""
    await release(session, ev.case_id, ev.amount, ev.instruction_id)


async def on_payment_corrected(session: AsyncSession, ev: PaymentCorrected) -> None:
    """A paid payment reversed and replaced: its spending is committed again for the new one; the
    difference is committed more (on the case's latest envelope) or released."""
    await unspend(session, ev.case_id, ev.reversed_amount, ev.reversed_instruction_id)
    difference = ev.new_amount - ev.reversed_amount
    if difference < 0:
        await release(session, ev.case_id, -difference, ev.reversed_instruction_id)
    elif difference > 0:
        held, envelopes = await _locked(session, ev.case_id)
        if not held:
            return
        envelope = envelopes[held[-1].envelope_id]
        overrun = difference - min(difference, max(envelope.available, ZERO))
        commitment_id = await repo.add_commitment(
            session,
            {
                "case_id": ev.case_id,
                "envelope_id": envelope.id,
                "kind": CommitmentKind.correction.value,
                "amount": difference,
                "overrun": overrun,
                "created_at": clock.now(),
            },
        )
        await repo.shift_envelope(session, envelope.id, committed=difference, spent=ZERO)
        await _trace(
            session,
            envelope.id,
            commitment_id,
            ev.case_id,
            MovementKind.commit,
            difference,
            None,
            ev.new_instruction_id,
        )


# --- the envelopes and rules, set by the county ---


async def put_envelope(
    runtime: Runtime, county_code: str, year: int, source: str, body: EnvelopeIn
) -> Envelope:
    """Set an envelope's amount (the county finance bureau's allocation); never below what is in use."""
    async with runtime.transaction() as session:
        await repo.envelopes_locked(session, county_code, year)
        current = await repo.envelope(session, county_code, year, source)
        used = (current.committed + current.spent) if current else ZERO
        if body.amount < used:
            raise EnvelopeBelowUse(body.amount, used)
        saved = await repo.put_envelope(session, county_code, year, source, body.amount, body.actor)
        change = body.amount - (current.amount if current else ZERO)
        await repo.add_movement(
            session,
            {
                "envelope_id": saved.id,
                "kind": MovementKind.allocation.value,
                "amount": change,
                "actor": body.actor,
                "at": clock.now(),
            },
        )
        return saved


async def envelopes(runtime: Runtime, county_code: str, year: int | None) -> list[Envelope]:
    async with runtime.reading() as session:
        return await repo.envelope_list(session, county_code, year)


async def trace(
    runtime: Runtime, county_code: str, year: int, source: str, after: int, limit: int
) -> list[Movement]:
    async with runtime.reading() as session:
        found = await repo.envelope(session, county_code, year, source)
        if found is None:
            raise EnvelopeNotFound(f"no {year} {source} envelope for county {county_code}")
        return await repo.movements(session, found.id, after, limit)


async def add_policy(runtime: Runtime, county_code: str, body: BudgetPolicyIn) -> BudgetPolicy:
    async with runtime.transaction() as session:
        return await repo.add_budget_policy(
            session,
            {
                "county_code": county_code,
                "effective_from": body.effective_from,
                "source_order": [s.value for s in body.source_order],
                "by_category": {str(k): [s.value for s in v] for k, v in body.by_category.items()},
                "over_envelope": body.over_envelope.value,
                "actor": body.actor,
            },
        )


async def policies(
    runtime: Runtime, county_code: str, on: date | None
) -> tuple[BudgetPolicy | None, list[BudgetPolicy]]:
    async with runtime.reading() as session:
        current = await repo.budget_policy_on(session, county_code, on or clock.local_today())
        return current, await repo.budget_policy_history(session, county_code)


async def seed_budgets(session: AsyncSession) -> None:
    await repo.seed_budgets(session, clock.local_today().year)
