"""Verification (核对, R-CAT-3) and registry status (R-CAT-4) use cases: open the requests when a case is
assessed, send and poll them in the background (retried with backoff, overdue after the county's deadline:
the case shows needs_attention), apply an answer (polled or called back) by re-assessing the case on the
verified figures, and keep the essential-spending checklist of registry-confirmed priority households.

ID numbers and verified figures exist in clear only in memory here: stored sealed, never logged."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

import services.assessment.service as core
from services.assessment import repository as repo
from services.assessment.adapters.verification_system import Refused, Unavailable, VerificationClient
from services.assessment.domain import verified as rules
from services.assessment.domain.errors import (
    AnswerAfterDecision,
    AnswerRefused,
    AssessmentChanged,
    AssessmentNotFound,
    EssentialItemAlreadyVerified,
    EssentialItemNotFound,
    VerificationAlreadyAnswered,
    VerificationNotAwaited,
    VerificationRequestNotFound,
)
from services.assessment.domain.means_test import assess
from services.assessment.domain.model import (
    Assessment,
    EssentialItem,
    Verification,
    VerificationKind,
    VerificationState,
)
from services.assessment.domain.policy import Policy
from services.assessment.repository import verifications as vrepo
from services.assessment.schemas import (
    CaseVerificationOut,
    ComparisonOut,
    EssentialItemOut,
    RegistryStatus,
    VerificationOut,
    VerifiedFigures,
    VerifiedMemberOut,
)
from services.assessment.settings import AssessmentSettings
from shared import clock, idnumber
from shared.access import guard
from shared.contracts.assessment import Reason
from shared.contracts.common import Category
from shared.contracts.intake import (
    MEMBERS_SEAL_CONTEXT,
    ApplicationSubmitted,
    DocumentRecorded,
    DocumentsRecorded,
)
from shared.contracts.processing import AssessmentCaseProcessingFailed
from shared.runtime import Runtime

log = logging.getLogger(__name__)

ANSWER_SEAL_CONTEXT = "gov.assistance.assessment.verified"
"""Associated data of ``verifications.answer_sealed``: the verified figures / registry statuses per member."""
AUTHORISATION_KIND = "verification_authorisation"
"""Intake's document kind of the signed 家庭经济状况核对授权书 (R-ARC-1)."""
STEP_BATCH = 20


# --- opening requests -------------------------------------------------------------------------------------


async def open_requests(
    runtime: Runtime, session: AsyncSession, app: ApplicationSubmitted, policy: Policy
) -> None:
    """With the assessment of a submitted application revision (same transaction): one economic request
    (expenditure cases: R-CAT-3; emergency ones are not means-tested up front) and one registry check
    (R-CAT-4), each either due now, waiting for the authorisation, or on hold with the reason why."""
    now = clock.now()
    vp = policy.parameters.verification
    kinds = [VerificationKind.registry]
    if app.category is Category.expenditure:
        kinds.insert(0, VerificationKind.economic)
    on_file = await vrepo.authorisation(session, app.case_id)
    for kind in kinds:
        state, hold = VerificationState.to_send, None
        if app.members_sealed is None:
            state, hold = (
                VerificationState.cannot_start,
                "intake sent no members' ID numbers (members_sealed)",
            )
        elif vp is None:
            state, hold = (
                VerificationState.cannot_start,
                f"policy {policy.version} has no verification settings (tolerance, answer deadline)",
            )
        elif not app.consents.verify_economic_situation:
            state, hold = VerificationState.cannot_start, "the household did not consent to verification"
        elif kind is VerificationKind.economic and on_file is None:
            state = VerificationState.awaiting_authorisation
            hold = f"waiting for the signed authorisation ({AUTHORISATION_KIND}) to be recorded (R-CAT-3)"
        due = state is VerificationState.to_send
        await vrepo.add(
            session,
            {
                "id": str(uuid.uuid4()),
                "case_id": app.case_id,
                "kind": kind.value,
                "application_revision": app.revision,
                "county_code": app.county_code,
                "township_code": app.township_code,
                "state": state.value,
                "members_sealed": app.members_sealed,
                "hold_reason": hold,
                "deadline": now + timedelta(seconds=vp.answer_within_seconds) if due and vp else None,
                "next_attempt_at": now if due else None,
                "created_at": now,
            },
        )


async def authorisation_recorded(runtime: Runtime, session: AsyncSession, doc: DocumentRecorded) -> None:
    """Intake recorded a document: the signed authorisation releases the case's waiting economic request."""
    await document_on_file(session, doc.case_id, doc.kind, doc.sha256, doc.recorded_at)


async def documents_recorded(runtime: Runtime, session: AsyncSession, docs: DocumentsRecorded) -> None:
    """Intake recorded a batch of documents: each item as if announced alone (``authorisation_recorded``)."""
    for item in docs.items:
        await document_on_file(session, docs.case_id, item.kind, item.sha256, item.recorded_at)


async def document_on_file(
    session: AsyncSession, case_id: str, kind: str, sha256: str, recorded_at: datetime
) -> None:
    """One document intake recorded (R-ARC-1): only the signed authorisation matters here; the first on file
    is kept and releases the case's economic requests waiting for it (R-CAT-3). Again: nothing changes."""
    if kind != AUTHORISATION_KIND:
        return
    await vrepo.record_authorisation(session, case_id, sha256, recorded_at)
    now = clock.now()
    for waiting in await vrepo.awaiting_authorisation(session, case_id):
        policy = await _policy_of(session, waiting)
        vp = policy.parameters.verification if policy else None
        if vp is None:
            continue  # cannot happen: a request waits only under a policy with verification settings
        await vrepo.change(
            session,
            waiting.id,
            state=VerificationState.to_send.value,
            hold_reason=None,
            next_attempt_at=now,
            deadline=now + timedelta(seconds=vp.answer_within_seconds),
        )


async def _policy_of(session: AsyncSession, v: Verification) -> Policy | None:
    base = await repo.as_submitted(session, v.case_id, v.application_revision)
    return await repo.policy_version(session, base.policy_version) if base else None


# --- the background worker: send, poll, deadline ----------------------------------------------------------


async def worker(runtime: Runtime) -> None:
    """Background task (ServiceModule.background): advance every due request, then rest until the earliest
    next step is due or a consumed event (a new request, an authorisation) wakes it. A request that is not
    due is not touched, and an idle service does no database work between steps (issue 16). Calls reuse
    one client and its connections (``Clients``)."""
    s = _settings(runtime)
    watcher = runtime.watch()
    clients = Clients()
    try:
        while True:
            watcher.clear()  # a commit during the look then ends the rest at once
            delay = s.verification_check_seconds
            try:
                found, next_at = await run_due_and_next(runtime, await clients.current(s))
                if found < STEP_BATCH:
                    delay = rest_seconds(next_at, clock.now(), s)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep working after a database hiccup; never an ID number in the text
                log.warning("verification step failed", extra={"error": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watcher.wait(), delay)
    finally:
        await clients.aclose()


class Clients:
    """The verification system's client for the settings of the moment (None: no system configured),
    kept while they stay the same. A client built per call loaded the CA bundle and opened a connection
    each time: 26 CPU-ms a request, the largest cost of a case in assessment."""

    def __init__(self) -> None:
        self._key: tuple[str, str, float] | None = None
        self._client: VerificationClient | None = None

    async def current(self, s: AssessmentSettings) -> VerificationClient | None:
        if not s.verification_url or s.verification_token is None:
            await self.aclose()
            return None
        key = (s.verification_url, s.verification_token.get_secret_value(), s.verification_timeout_seconds)
        if key != self._key:
            await self.aclose()
            self._client, self._key = VerificationClient(*key), key
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        self._client, self._key = None, None


def rest_seconds(next_at: datetime | None, now: datetime, s: AssessmentSettings) -> float:
    """How long the worker rests: until the earliest due step, at least ``verification_check_seconds``
    and at most ``verification_idle_max_seconds`` (also with nothing open)."""
    longest = max(s.verification_idle_max_seconds, s.verification_check_seconds)
    if next_at is None:
        return longest
    return min(max((next_at - now).total_seconds(), s.verification_check_seconds), longest)


def _settings(runtime: Runtime) -> AssessmentSettings:
    settings = runtime.settings
    if not isinstance(settings, AssessmentSettings):
        raise RuntimeError("assessment runs with AssessmentSettings")
    return settings


async def run_due_and_next(
    runtime: Runtime, client: VerificationClient | None
) -> tuple[int, datetime | None]:
    """Advance each due request once; the number advanced and when the next open step is due after."""
    async with runtime.reading() as session:
        ids = await vrepo.due(session, clock.now(), STEP_BATCH)
        if not ids:  # an idle look is one read-only transaction
            return 0, await vrepo.next_due_at(session)
    await asyncio.gather(*(step(runtime, i, client) for i in ids))  # a slow system holds up no other
    async with runtime.reading() as session:
        return len(ids), await vrepo.next_due_at(session)


async def step(runtime: Runtime, verification_id: str, client: VerificationClient | None) -> None:
    """One step of one request: past its deadline it is overdue; else send it (to_send) or poll it
    (requested). The HTTP call runs outside any transaction; its outcome is written only if the row is
    still in the state it was read in."""
    async with runtime.sessions() as session:
        v = await vrepo.get(session, verification_id)
    if v is None or v.state not in (VerificationState.to_send, VerificationState.requested):
        return
    now = clock.now()
    if v.deadline is not None and now >= v.deadline:
        await _overdue(runtime, v)
        return
    s = _settings(runtime)
    if client is None:
        await _retry_later(runtime, v, "no verification system is configured (ASSESSMENT_VERIFICATION_URL)")
        return
    try:
        if v.state is VerificationState.to_send:
            request_id = await client.send(v.kind, reference=v.id, body=_request_body(runtime, v, s))
            await _requested(runtime, v, request_id, s)
        elif v.request_id is not None:
            polled = await client.poll(v.kind, v.request_id)
            if polled.answered:
                await _apply_polled(runtime, v, polled.body)
            else:
                await _poll_later(runtime, v, s)
    except Unavailable as exc:
        await _retry_later(runtime, v, str(exc))
    except Refused as exc:
        await _hold(runtime, v, VerificationState.cannot_start, str(exc))


def _request_body(runtime: Runtime, v: Verification, s: AssessmentSettings) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": v.id,
        "county_code": v.county_code,
        "purpose": "临时救助 temporary assistance",
        "members": [{"id_number": i} for i in _member_ids(runtime, v)],
    }
    if s.verification_callback_base_url:
        path = "verification-answers" if v.kind is VerificationKind.economic else "registry-answers"
        body["callback_url"] = f"{s.verification_callback_base_url.rstrip('/')}/{path}/{{request_id}}"
    return body


def _member_ids(runtime: Runtime, v: Verification) -> list[str]:
    if v.members_sealed is None:
        raise RuntimeError("a request without members is never due")
    ids = json.loads(runtime.cipher.decrypt(v.members_sealed, context=MEMBERS_SEAL_CONTEXT))
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise RuntimeError("members_sealed holds a list of ID numbers")
    return ids


async def _still(session: AsyncSession, v: Verification) -> bool:
    current = await vrepo.get(session, v.id, lock=True)
    return current is not None and current.state is v.state and current.attempts == v.attempts


async def _requested(runtime: Runtime, v: Verification, request_id: str, s: AssessmentSettings) -> None:
    async with runtime.transaction() as session:
        if await _still(session, v):
            await vrepo.change(
                session,
                v.id,
                state=VerificationState.requested.value,
                request_id=request_id,
                hold_reason=None,
                last_error=None,
                next_attempt_at=clock.now() + timedelta(seconds=s.verification_poll_seconds),
            )


async def _poll_later(runtime: Runtime, v: Verification, s: AssessmentSettings) -> None:
    async with runtime.transaction() as session:
        if await _still(session, v):
            await vrepo.change(
                session, v.id, next_attempt_at=clock.now() + timedelta(seconds=s.verification_poll_seconds)
            )


async def _retry_later(runtime: Runtime, v: Verification, error: str) -> None:
    """A timeout or an error: retried with exponential backoff (never past the deadline, which then makes
    it overdue); the case shows the last error meanwhile."""
    s = _settings(runtime)
    delay = min(s.verification_retry_seconds * 2**v.attempts, s.verification_retry_max_seconds)
    at = clock.now() + timedelta(seconds=delay)
    if v.deadline is not None:
        at = min(at, v.deadline)
    async with runtime.transaction() as session:
        if await _still(session, v):
            await vrepo.change(
                session,
                v.id,
                attempts=v.attempts + 1,
                last_error=error[:500],
                hold_reason=f"retrying after: {error}"[:1000],
                next_attempt_at=at,
            )


async def _hold(runtime: Runtime, v: Verification, state: VerificationState, reason: str) -> None:
    async with runtime.transaction() as session:
        if await _still(session, v):
            await vrepo.change(
                session, v.id, state=state.value, hold_reason=reason[:1000], next_attempt_at=None
            )


async def _overdue(runtime: Runtime, v: Verification) -> None:
    """Nothing silent: past the deadline the request is overdue and the case shows needs_attention (intake)
    with the reason, in the same transaction."""
    system = "city verification system" if v.kind is VerificationKind.economic else "source registry"
    rule = "R-CAT-3" if v.kind is VerificationKind.economic else "R-CAT-4"
    reason = (
        f"{rule}: no answer from the {system} by the deadline {v.deadline.isoformat() if v.deadline else ''} "
        f"after {v.attempts + 1} attempt(s); last error: {v.last_error or 'none (answer still pending)'}"
    )
    async with runtime.transaction() as session:
        if not await _still(session, v):
            return
        await vrepo.change(
            session,
            v.id,
            state=VerificationState.overdue.value,
            hold_reason=reason[:1000],
            next_attempt_at=None,
        )
        failed = AssessmentCaseProcessingFailed(
            case_id=v.case_id,
            service="assessment",
            failed_event_type=None,
            failed_event_id=None,
            reason=reason[:1000],
            failed_at=clock.now(),
        )
        await runtime.outbox.add(session, failed, subject=v.case_id)


# --- answers ----------------------------------------------------------------------------------------------


async def _apply_polled(runtime: Runtime, v: Verification, body: dict[str, Any]) -> None:
    async with runtime.transaction() as session:
        if not await _still(session, v):
            return
        try:
            await _apply(runtime, session, v, body)
        except AnswerAfterDecision as exc:
            await vrepo.change(
                session,
                v.id,
                state=VerificationState.late.value,
                hold_reason=str(exc)[:1000],
                next_attempt_at=None,
            )
        except AnswerRefused as exc:
            await vrepo.change(session, v.id, hold_reason=str(exc)[:1000])


async def answer_by_callback(
    runtime: Runtime, kind: VerificationKind, request_id: str, body: dict[str, Any]
) -> Verification:
    """An answer the verification system delivers (authenticated by its gov_system token): 404 for a request
    id nobody asked, 409 after the decision or when another answer was applied; nothing half-written."""
    async with runtime.transaction() as session:
        v = await vrepo.by_request_id(session, request_id, lock=True)
        if v is None or v.kind is not kind:
            raise VerificationRequestNotFound(request_id)
        if v.state is VerificationState.answered:
            if v.answer_digest == _digest(body):
                return v  # the same answer again (a retried callback): nothing to do
            raise VerificationAlreadyAnswered(
                f"verification request {request_id} was answered already at {v.answered_at}; a different "
                "second answer is not applied"
            )
        if v.state is not VerificationState.requested:
            raise VerificationNotAwaited(
                f"verification request {request_id} is {v.state.value}: "
                f"{v.hold_reason or 'no answer is awaited'}"
            )
        await _apply(runtime, session, v, body)
        applied = await vrepo.get(session, v.id)
    if applied is None:
        raise RuntimeError("the row just written is missing")
    return applied


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


async def _apply(runtime: Runtime, session: AsyncSession, v: Verification, body: dict[str, Any]) -> None:
    """Check the answer against what was asked, store it sealed, re-assess the case on it."""
    decided = await repo.decided(session, v.case_id)
    if decided is not None:
        raise AnswerAfterDecision(
            f"case {v.case_id} was already {decided.decision.value} at {decided.decided_at.isoformat()}: a "
            f"{v.kind.value} verification answer arriving after the decision is not applied "
            f"({'R-CAT-3' if v.kind is VerificationKind.economic else 'R-CAT-4'})",
            rule="R-CAT-3" if v.kind is VerificationKind.economic else "R-CAT-4",
        )
    ids = _member_ids(runtime, v)
    members = _members(v.kind, ids, body)
    now = clock.now()
    sealed = runtime.cipher.encrypt(json.dumps(members), context=ANSWER_SEAL_CONTEXT)
    await vrepo.change(
        session,
        v.id,
        state=VerificationState.answered.value,
        answer_sealed=sealed,
        answer_digest=_digest(body),
        answered_at=now,
        hold_reason=None,
        last_error=None,
        next_attempt_at=None,
    )
    await reassess(runtime, session, v.case_id, v.application_revision)


def _members(kind: VerificationKind, ids: list[str], body: dict[str, Any]) -> list[dict[str, Any]]:
    """The answer's members in household order, as JSON-ready dicts; AnswerRefused naming what is wrong."""
    raw = body.get("members")
    if not isinstance(raw, list):
        raise AnswerRefused("members", "the answer lists the members asked about")
    try:
        if kind is VerificationKind.economic:
            ordered: list[Any] = rules.in_member_order(
                ids, [rules.VerifiedMember.model_validate(m) for m in raw]
            )
        else:
            ordered = rules.registry_in_member_order(
                ids, [rules.RegistryMember.model_validate(m) for m in raw]
            )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise AnswerRefused(f"members.{field}", str(first["msg"])) from None
    except ValueError as exc:
        raise AnswerRefused("members", str(exc)) from None
    return [m.model_dump(mode="json") for m in ordered]


def _opened(runtime: Runtime, v: Verification) -> list[dict[str, Any]]:
    if v.answer_sealed is None:
        return []
    value = json.loads(runtime.cipher.decrypt(v.answer_sealed, context=ANSWER_SEAL_CONTEXT))
    return list(value)


async def reassess(runtime: Runtime, session: AsyncSession, case_id: str, application_revision: int) -> None:
    """A new assessment revision of the application revision on everything answered so far: verified
    figures (R-CAT-3, with the income tolerance check citing the verified figure) and registry statuses
    (R-CAT-4); it says which figures it used. A newer application revision is assessed on its own."""
    await repo.lock_case(session, case_id)
    base = await repo.as_submitted(session, case_id, application_revision)
    latest = await repo.latest(session, case_id)
    if base is None or latest is None or latest.application_revision != application_revision:
        return
    policy = await repo.policy_version(session, base.policy_version)
    if policy is None:
        raise RuntimeError("the assessment's policy version is missing; versions are never deleted")
    app = ApplicationSubmitted.model_validate(base.inputs)
    answered = await vrepo.answered(session, case_id, application_revision)
    checks: list[Reason] = []
    figure_source, status_source, extra = "declared", "declared", {}
    economic, registry = answered.get(VerificationKind.economic), answered.get(VerificationKind.registry)
    if economic is not None and policy.parameters.verification is not None:
        members = [rules.VerifiedMember.model_validate(m) for m in _opened(runtime, economic)]
        extra["comparison"] = [
            c.__dict__ for c in rules.compare(app, members, policy.parameters.verification)
        ]
        verified = rules.verified_application(app, members)
        checks.append(
            rules.income_reason(
                app.annual_household_income,
                verified.annual_household_income,
                policy.parameters.verification,
                policy.version,
            )
        )
        app, figure_source = verified, "verified"
    if registry is not None:
        statuses = [rules.RegistryMember.model_validate(m) for m in _opened(runtime, registry)]
        checks.append(rules.registry_reason(app, statuses))
        app, status_source = rules.confirmed_application(app, statuses), "registry"
        if rules.is_priority(statuses) and policy.parameters.verification is not None:
            await vrepo.add_checklist(
                session, case_id, policy.parameters.verification.essential_spending_items
            )
    result = assess(app, policy, figure_source=figure_source, status_source=status_source, checks=checks)
    outcome = core.outcome_of(
        app, policy, result, figure_source=figure_source, status_source=status_source, **extra
    )
    assessment = Assessment(
        id=str(uuid.uuid4()),
        case_id=case_id,
        revision=latest.revision + 1,
        application_revision=application_revision,
        county_code=base.county_code,
        eligible=result.eligible,
        amount=result.amount,
        policy_version=policy.version,
        inputs=base.inputs,
        result=outcome,
        created_at=clock.now(),
        basis="verification",
    )
    if not await repo.add_assessment(session, assessment):
        raise AssessmentChanged("the case's assessment changed meanwhile; the answer is applied on retry")
    await runtime.outbox.add(session, core.event_of(assessment), subject=case_id)


# --- reading and the essential-spending checklist ---------------------------------------------------------


async def case_view(runtime: Runtime, case_id: str) -> CaseVerificationOut:
    """Declared against verified per case and member (ID numbers masked), each request's state and hold
    reason, and the essential-spending checklist (R-CAT-3, R-CAT-4)."""
    async with runtime.reading() as session:
        # Each statement sees the commits made before it (READ COMMITTED), and an answer commits with its
        # re-assessment: the requests are read first, so the assessment shown is never older than an
        # answer shown (read the other way, both answers could appear beside the assessment before them).
        found = await vrepo.for_case(session, case_id)
        latest = await repo.latest(session, case_id)
        if latest is None:
            raise AssessmentNotFound(case_id)
        guard(latest.county_code, latest.township_code)
        items = await vrepo.checklist(session, case_id)
        bases = {
            r: await repo.as_submitted(session, case_id, r) for r in {v.application_revision for v in found}
        }
    return CaseVerificationOut(
        case_id=case_id,
        figure_source=latest.result.get("figure_source", "declared"),
        status_source=latest.result.get("status_source", "declared"),
        verifications=[_out(runtime, v, bases.get(v.application_revision), latest) for v in found],
        essential_spending=[
            EssentialItemOut(
                item=i.item, verified_by=i.verified_by, verified_at=i.verified_at, finding=i.finding
            )
            for i in items
        ],
    )


async def case_view_of_request(runtime: Runtime, request_id: str) -> VerificationOut:
    """The request as it stands after an answer (for the answering system)."""
    async with runtime.reading() as session:
        v = await vrepo.by_request_id(session, request_id)
        if v is None:
            raise VerificationRequestNotFound(request_id)
        latest = await repo.latest(session, v.case_id)
        base = await repo.as_submitted(session, v.case_id, v.application_revision)
    if latest is None:
        raise AssessmentNotFound(v.case_id)
    return _out(runtime, v, base, latest)


def _out(runtime: Runtime, v: Verification, base: Assessment | None, latest: Assessment) -> VerificationOut:
    household = (base.inputs.get("household") if base else None) or []
    ids = _member_ids(runtime, v) if v.members_sealed else []
    answer = _opened(runtime, v)
    members = []
    for n, id_number in enumerate(ids):
        facts = household[n] if n < len(household) else {}
        member = VerifiedMemberOut(
            seq=n + 1, relation=facts.get("relation"), id_number=idnumber.mask(id_number)
        )
        if n < len(answer) and v.kind is VerificationKind.economic:
            member.verified = VerifiedFigures.model_validate(answer[n])
        elif n < len(answer):
            declared = RegistryStatus(
                dibao=bool(facts.get("dibao")),
                tekun=bool(facts.get("tekun")),
                jiandang=bool(facts.get("jiandang")),
            )
            held = RegistryStatus.model_validate(answer[n])
            member.declared_status, member.registry_status = declared, held
            member.status_flagged = declared != held
        members.append(member)
    comparison: list[ComparisonOut] = []
    if (
        answer
        and v.kind is VerificationKind.economic
        and latest.application_revision == v.application_revision
    ):
        comparison = [ComparisonOut.model_validate(c) for c in latest.result.get("comparison", [])]
    return VerificationOut(
        id=v.id,
        kind=v.kind.value,
        application_revision=v.application_revision,
        state=v.state.value,
        request_id=v.request_id,
        attempts=v.attempts,
        last_error=v.last_error,
        hold_reason=v.hold_reason,
        deadline=v.deadline,
        answered_at=v.answered_at,
        members=members,
        comparison=comparison,
    )


async def verify_essential_item(
    runtime: Runtime, case_id: str, item: str, *, officer: str, finding: str
) -> EssentialItem:
    """R-CAT-4: a named officer (the token's subject) records an item of the checklist as verified."""
    async with runtime.transaction() as session:
        latest = await repo.latest(session, case_id)
        if latest is None:
            raise AssessmentNotFound(case_id)
        guard(latest.county_code, latest.township_code)
        items = {i.item: i for i in await vrepo.checklist(session, case_id)}
        if item not in items:
            raise EssentialItemNotFound(case_id, item, sorted(items))
        done = items[item]
        if done.verified_by is not None:
            raise EssentialItemAlreadyVerified(
                f"{item} was verified by {done.verified_by} at {done.verified_at}; "
                "a verification is recorded once"
            )
        now = clock.now()
        await vrepo.verify_item(session, case_id, item, verified_by=officer, verified_at=now, finding=finding)
    return EssentialItem(case_id, item, officer, now, finding)
