"""Intake's use cases; each runs in one transaction (state and outbox event commit together)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import repository as repo
from services.intake.adapters import scanner as scanners
from services.intake.adapters.content_store import ContentStore, FilesystemStore, S3Store
from services.intake.adapters.forms import Section, render_form
from services.intake.domain import duplicates, holds, policy
from services.intake.domain.archive import storage_uri_problem
from services.intake.domain.errors import (
    ApplicationNotFound,
    CaseNotAmendable,
    ConsentsChangeByWithdrawal,
    ContentNotHeld,
    ContentRefused,
    IdempotencyKeyReused,
    InvalidApplication,
    NoOpenDuplicateFlags,
    NoPolicyInForce,
    NotTheSecondVisitor,
    RepeatApplication,
    ReportThroughVisit,
    VisitAlreadyConfirmed,
    VisitNotFound,
    VisitorsNotDistinct,
)
from services.intake.domain.flow import moves_on
from services.intake.domain.model import (
    Application,
    ApplicationStatus,
    CaseStep,
    Channel,
    Document,
    FlagStatus,
    HomeVisit,
    VisitStatus,
)
from services.intake.domain.rules import check_application
from services.intake.schemas import (
    AmendmentIn,
    ApplicationFacts,
    ApplicationIn,
    ApplicationOut,
    Attention,
    ConsentName,
    DocumentIn,
    DuplicateReviewIn,
    HoldReason,
    HomeVisitIn,
    HomeVisitOut,
    MemberOut,
    ReviewOutcome,
)
from services.intake.settings import IntakeSettings
from shared import clock, idnumber
from shared.access import caller, covers, guard
from shared.contracts.approval import CaseDecided, CaseReturned, CaseReviewed
from shared.contracts.assessment import CaseAssessed, PolicyCoverage
from shared.contracts.intake import (
    CONTACT_SEAL_CONTEXT,
    MEMBERS_SEAL_CONTEXT,
    PAYEE_SEAL_CONTEXT,
    ApplicationSubmitted,
    ArchiveCompleteness,
    Consents,
    ConsentWithdrawn,
    DocumentRecorded,
    DocumentsRecorded,
    EducationCosts,
    MedicalCosts,
    MemberFacts,
    Property,
    RecordedItem,
    StatedNeed,
)
from shared.logging import log_context
from shared.reencrypt import Progress, Rotation
from shared.reference import jurisdictions, office, township_county
from shared.runtime import Runtime, is_case_id

PERSONAL = "intake.application.personal"
VISIT_REPORT = "intake.home_visit.report"
HOME_VISIT_REPORT, HOME_VISIT_PHOTO = "home_visit_report", "home_visit_photo"
APPROVAL_FORM = "approval_form"
GENERATED = frozenset({HOME_VISIT_REPORT, APPROVAL_FORM})
"""Archive items the system makes (the signed visit, the rendered form): never uploaded as files."""
AMENDABLE = frozenset(
    {
        ApplicationStatus.held,
        ApplicationStatus.submitted,
        ApplicationStatus.assessed,
        ApplicationStatus.returned,
        ApplicationStatus.needs_attention,
    }
)
"""A case can be amended until review has started; a returned case waits for its amendment, and so does one
that a service could not process (``needs_attention``, e.g. an incident date no policy covers)."""


def _age(id_number: str, on: date) -> int:
    born = idnumber.birth_date(id_number)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def validate_rules(data: ApplicationFacts) -> None:
    """Raise ``InvalidApplication`` (422 naming the field) for the first rule the application breaks."""
    counties = {c["code"] for c in jurisdictions()["counties"]}
    medical = None
    if data.medical is not None:
        m = data.medical
        medical = (
            m.total_bills,
            [m.basic_insurance, m.critical_illness_insurance, m.commercial_insurance, m.medical_assistance],
        )
    error = check_application(
        county_code=data.address.county_code,
        township_code=data.address.township_code,
        county_of_township=township_county,
        known_counties=counties,
        category=data.category,
        subtype=data.subtype,
        member_ids=[m.id_number for m in data.household],
        relations=[m.relation for m in data.household],
        persons_helped=data.persons_helped,
        medical_bills_and_deductions=medical,
        has_education=data.education is not None,
    )
    if error:
        raise InvalidApplication(error.field, error.message)
    if data.incident.occurred_on > clock.local_today():
        raise InvalidApplication("incident.occurred_on", "the incident date is in the future")


async def check_policy_coverage(session: AsyncSession, data: ApplicationFacts) -> None:
    """Refuse (409 ``no-policy-in-force``, naming the field) an incident date on which no policy of the
    county is in force: assessment could never assess the case (R-AMT-3). Intake keeps assessment's policy
    periods from its policy-coverage events; a county it has heard nothing about yet is not refused (the
    case would show ``needs_attention`` if assessment cannot process it)."""
    county, on = data.address.county_code, data.incident.occurred_on
    periods = await repo.county_coverage(session, county)
    if not periods or any(p.covers(on) for p in periods):
        return
    covered = ", ".join(f"{p.effective_from}..{p.effective_to or 'open'} ({p.version})" for p in periods)
    raise NoPolicyInForce(
        "incident.occurred_on",
        f"no assessment policy of county {county} is in force on {on}, so nobody could assess this case; "
        f"the county's policies cover {covered} (R-AMT-3)",
        rule="R-AMT-3",
    )


def validate_channel(data: ApplicationIn) -> None:
    """R-OVS-2: an application from another government system (proactive discovery) names that system."""
    if data.channel is Channel.gov_system and not data.referring_system:
        raise InvalidApplication(
            "referring_system", "an application from another government system names it (R-OVS-2)"
        )


def _request_hash(data: ApplicationIn) -> str:
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


def _bidxs(runtime: Runtime, data: ApplicationFacts) -> list[str]:
    return [runtime.cipher.blind_index(m.id_number, purpose="id_number") for m in data.household]


def _stated(runtime: Runtime, data: ApplicationFacts, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """(personal data, facts): the personal part is only ever stored encrypted."""
    personal = {
        "household": [{"name": m.name, "id_number": m.id_number} for m in data.household],
        "phone": data.phone,
        "address": data.address.detail,
        "incident": data.incident.description,
        "payee": data.payee.model_dump() if data.payee else None,
    }
    facts = {
        "incident_ongoing": data.incident.ongoing,
        "requested_months": data.requested_months,
        "annual_household_income": str(data.annual_household_income),
        "property": data.property.model_dump(mode="json"),
        "medical": data.medical.model_dump(mode="json") if data.medical else None,
        "education": data.education.model_dump(mode="json") if data.education else None,
        "needs": stated_needs_facts(data),
        "household": [
            {
                "relation": m.relation,
                "age": _age(m.id_number, clock.local_date(now)),
                "dibao": m.dibao,
                "tekun": m.tekun,
                "jiandang": m.jiandang,
            }
            for m in data.household
        ],
    }
    return personal, facts


def _member_rows(application_id: str, data: ApplicationFacts, bidxs: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "application_id": application_id,
            "seq": i,
            "relation": m.relation,
            "id_bidx": bidx,
            "dibao": m.dibao,
            "tekun": m.tekun,
            "jiandang": m.jiandang,
        }
        for i, (m, bidx) in enumerate(zip(data.household, bidxs, strict=True))
    ]


def _repeat_refusal(data: ApplicationFacts, earlier: duplicates.Candidate) -> RepeatApplication:
    """R-FLOW-5 stays city-wide, but a clerk outside the earlier case's jurisdiction learns only that it
    exists and which office to contact: no case id or number of another jurisdiction."""
    principal = caller()
    if principal is None or covers(principal, earlier.county_code, earlier.township_code):
        return RepeatApplication(
            f"the household already applied for the same cause ({data.subtype.value}, incident "
            f"{earlier.incident_date}) in case {earlier.case_no} ({earlier.id}); temporary assistance is "
            "one-off for the same cause: amend that case instead (R-FLOW-5)",
            rule="R-FLOW-5",
            earlier_case_id=earlier.id,
            earlier_case_no=earlier.case_no,
        )
    where = office(str(earlier.county_code), earlier.township_code)
    name = (
        f"{where['county_name'] or where['county_code']} {where['township_name'] or where['township_code']}"
    )
    return RepeatApplication(
        f"the household already applied for the same cause ({data.subtype.value}) at another office "
        f"({name}); "
        "temporary assistance is one-off for the same cause: contact that office (R-FLOW-5)",
        rule="R-FLOW-5",
        earlier_office=where,
    )


async def _screen(
    session: AsyncSession,
    data: ApplicationFacts,
    bidxs: list[str],
    now: datetime,
    *,
    exclude: str | None = None,
) -> list[tuple[duplicates.FlagKind, duplicates.Candidate]]:
    """Refuse a repeat for the same cause (R-FLOW-5); return the duplicate flags to raise (not refusals)."""
    rules = policy.in_force(clock.local_date(now))
    found = await repo.candidates(session, bidxs, exclude=exclude)
    new = duplicates.NewCase(
        category=data.category.value, subtype=data.subtype.value, incident_date=data.incident.occurred_on
    )
    earlier = duplicates.repeat_of(found, new, repeat_episode_days=rules.repeat_episode_days)
    if earlier is not None:
        raise _repeat_refusal(data, earlier)
    return duplicates.flags(found, now=now, helping_window_days=rules.helping_window_days)


def _flag_rows(
    application_id: str,
    data: ApplicationFacts,
    found: list[tuple[duplicates.FlagKind, duplicates.Candidate]],
    now: datetime,
) -> list[dict[str, Any]]:
    return [
        {
            "id": str(uuid.uuid4()),
            "application_id": application_id,
            "matched_application_id": c.id,
            "kind": kind.value,
            "status": FlagStatus.open.value,
            "county_code": data.address.county_code,
            "township_code": data.address.township_code,
            "created_at": now,
        }
        for kind, c in found
    ]


def _revision_row(
    application_id: str,
    number: int,
    data: ApplicationFacts,
    facts: dict[str, Any],
    personal: str,
    now: datetime,
    *,
    amended_by: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    return {
        "application_id": application_id,
        "revision": number,
        "category": data.category.value,
        "subtype": data.subtype.value,
        "incident_date": data.incident.occurred_on,
        "county_code": data.address.county_code,
        "township_code": data.address.township_code,
        "persons_helped": data.persons_helped,
        "facts": facts,
        "personal": personal,
        "amended_by": amended_by,
        "reason": reason,
        "created_at": now,
    }


async def submit_application(
    runtime: Runtime, data: ApplicationIn, *, idempotency_key: str | None
) -> tuple[Application, bool, ApplicationOut]:
    """Record an application; publish ApplicationSubmitted unless it is held for duplicate review.

    Refused when it repeats an earlier case's cause (R-FLOW-5). Returns (row, created, its view), the view
    read in the same transaction (no second round trip after the commit)."""
    async with runtime.transaction() as session:
        row, created = await record_application(runtime, session, data, idempotency_key=idempotency_key)
        return row, created, (await views(runtime, session, [row]))[0]


async def record_application(
    runtime: Runtime,
    session: AsyncSession,
    data: ApplicationIn,
    *,
    idempotency_key: str | None,
    case_id: str | None = None,
) -> tuple[Application, bool]:
    """``submit_application`` inside the caller's transaction (a lead's conversion writes the lead and
    its application together, or neither); ``case_id``: the id reserved for a lead's application (help at
    the scene, R-FLOW-2, is bound to it), else a new one."""
    validate_rules(data)
    validate_channel(data)
    request_hash = _request_hash(data)
    cipher = runtime.cipher
    bidxs = _bidxs(runtime, data)
    await repo.lock_people(session, bidxs)
    if idempotency_key:
        existing = await repo.by_idempotency_key(session, idempotency_key)
        if existing is not None:
            if existing.request_hash != request_hash:
                raise IdempotencyKeyReused("this Idempotency-Key was used with a different request body")
            return existing, False
    await check_policy_coverage(session, data)
    now = clock.now()
    found = await _screen(session, data, bidxs, now)
    application_id = case_id or str(uuid.uuid4())
    case_no = await repo.next_case_no(session, data.address.county_code, clock.local_date(now).year)
    applicant_bidx = bidxs[[m.relation for m in data.household].index("self")]
    personal, facts = _stated(runtime, data, now)
    sealed = cipher.encrypt(json.dumps(personal, ensure_ascii=False), context=PERSONAL)
    row = {
        "id": application_id,
        "case_no": case_no,
        "revision": 1,
        "status": (ApplicationStatus.held if found else ApplicationStatus.submitted).value,
        "channel": data.channel.value,
        "referring_system": data.referring_system,
        "idempotency_key": idempotency_key,
        "request_hash": request_hash,
        "county_code": data.address.county_code,
        "township_code": data.address.township_code,
        "category": data.category.value,
        "subtype": data.subtype.value,
        "incident_date": data.incident.occurred_on,
        "household_size": len(data.household),
        "persons_helped": data.persons_helped,
        "facts": facts,
        "consents": data.consents.model_dump(),
        "personal": sealed,
        "applicant_bidx": applicant_bidx,
        "created_at": now,
        "updated_at": now,
    }
    stored = await repo.insert(session, row, _member_rows(application_id, data, bidxs))
    await repo.add_revision(session, _revision_row(application_id, 1, data, facts, sealed, now))
    await repo.add_flags(session, _flag_rows(application_id, data, found, now))
    if not found:
        with log_context(case_id=application_id):
            await runtime.outbox.add(session, submitted_event(runtime, stored), subject=application_id)
    await publish_completeness(runtime, session, stored, recorded=set())  # no paper yet: the row is new
    return stored, True


def submitted_event(
    runtime: Runtime, row: Application, *, duplicate_review: str | None = None, amended_by: str | None = None
) -> ApplicationSubmitted:
    """The current revision as published: assessment freezes exactly these inputs."""
    facts = row.facts
    personal = json.loads(runtime.cipher.decrypt(row.personal, context=PERSONAL))
    return ApplicationSubmitted(
        case_id=row.id,
        case_no=row.case_no,
        revision=row.revision,
        channel=row.channel,
        referring_system=row.referring_system,
        county_code=row.county_code,
        township_code=row.township_code,
        category=row.category,
        subtype=row.subtype,
        incident_date=row.incident_date,
        incident_ongoing=facts["incident_ongoing"],
        household=[MemberFacts(**m) for m in facts["household"]],
        persons_helped=row.persons_helped,
        requested_months=facts["requested_months"],
        annual_household_income=facts["annual_household_income"],
        property=Property.model_validate(facts["property"]),
        medical=MedicalCosts.model_validate(facts["medical"]) if facts["medical"] else None,
        education=EducationCosts.model_validate(facts["education"]) if facts["education"] else None,
        consents=Consents.model_validate(row.consents),
        payee_sealed=runtime.cipher.encrypt(
            json.dumps(personal["payee"], ensure_ascii=False), context=PAYEE_SEAL_CONTEXT
        )
        if personal["payee"]
        else None,
        submitted_at=row.created_at,
        applicant_index=row.applicant_bidx,
        contact_sealed=runtime.cipher.encrypt(personal["phone"], context=CONTACT_SEAL_CONTEXT)
        if personal["phone"]
        else None,
        amended_at=row.updated_at if row.revision > 1 else None,
        amended_by=(amended_by or _caller_subject()) if row.revision > 1 else None,
        duplicate_review=duplicate_review,
        needs=stated_needs(facts),
        members_sealed=runtime.cipher.encrypt(
            json.dumps([m["id_number"] for m in personal["household"]]), context=MEMBERS_SEAL_CONTEXT
        ),
    )


def stated_needs_facts(data: ApplicationFacts) -> list[dict[str, Any]]:
    """The needs assessment as stored in the revision's facts (R-AID-1)."""
    return [n.model_dump(mode="json") for n in data.needs]


def stated_needs(facts: dict[str, Any]) -> list[StatedNeed]:
    """The needs assessment of a revision; revisions before it have none."""
    return [StatedNeed.model_validate(n) for n in facts.get("needs") or []]


async def amend_application(runtime: Runtime, application_id: str, data: AmendmentIn) -> Application:
    """A new revision (the old ones stay), re-screened (R-FLOW-5, duplicates) and re-published for
    assessment."""
    async with runtime.transaction() as session:
        return await record_amendment(runtime, session, application_id, data)


async def record_amendment(
    runtime: Runtime, session: AsyncSession, application_id: str, data: AmendmentIn
) -> Application:
    """``amend_application`` inside the caller's transaction (an applied correction writes its review and
    the amendment together, or neither)."""
    validate_rules(data)
    bidxs = _bidxs(runtime, data)
    await repo.lock_people(session, bidxs)
    row = await repo.get(session, application_id, for_update=True)
    if row is None:
        raise ApplicationNotFound(application_id)
    guard(row.county_code, row.township_code, "application")
    if row.status not in AMENDABLE or row.flow_status not in AMENDABLE:
        # needs_attention is amendable only where the case stopped before review: a decided case
        # whose scheme referral is overdue (R-AID-1) is not reopened by the attention
        raise CaseNotAmendable(
            f"case {row.case_no} is {row.flow_status}: it can be amended only while "
            f"{', '.join(sorted(AMENDABLE))}"
        )
    if data.consents is not None and data.consents.model_dump() != row.consents:
        raise ConsentsChangeByWithdrawal(
            "consents", "consents change only through the withdrawal endpoint (R-CHA-2)", rule="R-CHA-2"
        )
    await check_policy_coverage(session, data)
    now = clock.now()
    found = await _screen(session, data, bidxs, now, exclude=application_id)
    already = {f.matched_application_id for f in await repo.flags_of(session, application_id)}
    new_flags = [(k, c) for k, c in found if c.id not in already]
    personal, facts = _stated(runtime, data, now)
    sealed = runtime.cipher.encrypt(json.dumps(personal, ensure_ascii=False), context=PERSONAL)
    number = row.revision + 1
    held = bool(new_flags) or row.status is ApplicationStatus.held
    await repo.amend(
        session,
        application_id,
        {
            "revision": number,
            "status": (ApplicationStatus.held if held else ApplicationStatus.submitted).value,
            "attention": None,  # the amended case is processed again
            "county_code": data.address.county_code,
            "township_code": data.address.township_code,
            "category": data.category.value,
            "subtype": data.subtype.value,
            "incident_date": data.incident.occurred_on,
            "household_size": len(data.household),
            "persons_helped": data.persons_helped,
            "facts": facts,
            "personal": sealed,
            "applicant_bidx": bidxs[[m.relation for m in data.household].index("self")],
            "updated_at": now,
        },
        _member_rows(application_id, data, bidxs),
    )
    await repo.add_revision(
        session,
        _revision_row(
            application_id,
            number,
            data,
            facts,
            sealed,
            now,
            amended_by=data.amended_by,
            reason=data.reason,
        ),
    )
    await repo.add_flags(session, _flag_rows(application_id, data, new_flags, now))
    stored = await repo.get(session, application_id)
    if stored is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    if not held:
        with log_context(case_id=application_id):
            await runtime.outbox.add(
                session,
                submitted_event(runtime, stored, amended_by=data.amended_by),
                subject=application_id,
            )
    await publish_completeness(runtime, session, stored)  # the sub-type decides the checklist
    return stored


def _caller_subject() -> str | None:
    principal = caller()
    return principal.subject if principal else None


async def review_duplicates(runtime: Runtime, application_id: str, body: DuplicateReviewIn) -> Application:
    """A supervisor clears a held case (it goes on to assessment) or merges it into a flagged case; the
    flags keep who, when and why."""
    async with runtime.transaction() as session:
        row = await repo.get(session, application_id, for_update=True)
        if row is None:
            raise ApplicationNotFound(application_id)
        guard(row.county_code, row.township_code, "application")
        open_flags = await repo.flags_of(session, application_id, status=FlagStatus.open)
        if row.status is not ApplicationStatus.held or not open_flags:
            raise NoOpenDuplicateFlags(f"case {row.case_no} is {row.status} with no open duplicate flag")
        now = clock.now()
        if body.outcome is ReviewOutcome.merged:
            matched = [f.matched_application_id for f in open_flags]
            target = body.merged_into or matched[0]
            if target not in matched:
                raise InvalidApplication(
                    "merged_into", "must be one of the cases this one was flagged against"
                )
            await repo.resolve_flags(
                session,
                application_id,
                status=FlagStatus.merged,
                actor=body.actor,
                reason=body.reason,
                at=now,
            )
            await repo.set_status(session, application_id, ApplicationStatus.merged, merged_into=target)
        else:
            await repo.resolve_flags(
                session,
                application_id,
                status=FlagStatus.cleared,
                actor=body.actor,
                reason=body.reason,
                at=now,
            )
            await repo.set_status(session, application_id, ApplicationStatus.submitted)
            cleared = await repo.get(session, application_id)
            if cleared is None:
                raise RuntimeError("the row just written is missing from its own transaction")
            with log_context(case_id=application_id):
                await runtime.outbox.add(
                    session,
                    submitted_event(runtime, cleared, duplicate_review="cleared"),
                    subject=application_id,
                )
        stored = await repo.get(session, application_id)
    if stored is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return stored


def _check_storage_uri(runtime: Runtime, uri: str, field: str = "storage_uri") -> None:
    """R-ARC-1: only the allowed document stores (``storage_uri_problem``); 422 naming the field."""
    s: IntakeSettings = runtime.settings  # type: ignore[assignment]
    problem = storage_uri_problem(uri, schemes=s.document_uri_schemes, file_root=s.document_file_root)
    if problem:
        raise InvalidApplication(field, problem)


def _recorded(document: Document) -> DocumentRecorded:
    return DocumentRecorded(
        case_id=document.application_id,
        kind=document.kind,
        sha256=document.sha256,
        recorded_at=document.recorded_at,
    )


def _batch_recorded(application_id: str, documents: list[Document]) -> DocumentsRecorded:
    """The new items of a batch in one event, in the order sent (R-ARC-1): kind and hash only."""
    return DocumentsRecorded(
        case_id=application_id,
        items=[RecordedItem(kind=d.kind, sha256=d.sha256, recorded_at=d.recorded_at) for d in documents],
    )


async def announce_document(runtime: Runtime, session: AsyncSession, document: Document) -> None:
    """DocumentRecorded in the same transaction as the item (R-ARC-1): assessment starts the verification
    (R-CAT-3) once the signed authorisation is on file. Kind and hash only, no content."""
    await runtime.outbox.add(session, _recorded(document), subject=document.application_id)


async def record_document(runtime: Runtime, application_id: str, body: DocumentIn) -> tuple[Document, bool]:
    """R-ARC-1: record one archive item; the same content recorded again as the same kind is a replay."""
    async with runtime.transaction() as session:
        row = await repo.get(session, application_id, for_update=True)
        if row is None:
            raise ApplicationNotFound(application_id)
        guard(row.county_code, row.township_code, "application")
        _known_kind(row, body.kind)
        _check_storage_uri(runtime, body.storage_uri)
        inserted = await repo.add_document(
            session,
            {
                "id": str(uuid.uuid4()),
                "application_id": application_id,
                "kind": body.kind,
                "media_type": body.media_type,
                "size_bytes": body.size_bytes,
                "sha256": body.sha256,
                "storage_uri": body.storage_uri,
                "metadata": body.metadata,
                "recorded_by": body.recorded_by,
                "recorded_at": clock.now(),
            },
        )
        if inserted is not None:
            await announce_document(runtime, session, inserted)
            await publish_completeness(runtime, session, row)
            return inserted, True
        existing = await repo.document_by_hash(session, application_id, body.kind, body.sha256)
    if existing is None:
        raise RuntimeError("the document that blocked the insert is missing")
    return existing, False


def _distinct_items(items: list[DocumentIn]) -> None:
    """One batch names each content of a kind once (422 naming the repeated item)."""
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(items):
        if (item.kind, item.sha256) in seen:
            raise InvalidApplication(
                f"documents[{i}]", "the same content as the same kind is already an earlier item of the batch"
            )
        seen.add((item.kind, item.sha256))


def _document_row(application_id: str, body: DocumentIn, now: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "application_id": application_id,
        "kind": body.kind,
        "media_type": body.media_type,
        "size_bytes": body.size_bytes,
        "sha256": body.sha256,
        "storage_uri": body.storage_uri,
        "metadata": body.metadata,
        "recorded_by": body.recorded_by,
        "recorded_at": now,
    }


async def record_documents(
    runtime: Runtime, application_id: str, items: list[DocumentIn]
) -> list[tuple[Document, bool]]:
    """R-ARC-1: a township's paper set in one transaction, all or none: every item checked as
    ``record_document`` checks one (422 naming ``documents[i].<field>``), inserted in one statement, a
    DocumentsRecorded listing the new items (one message for the set, not one per item) and one
    ArchiveCompleteness for the set. Items already on file (same kind and content) are replays: a batch of
    replays publishes nothing. Returns (document, created) in the order sent."""
    _distinct_items(items)
    async with runtime.transaction() as session:
        row = await repo.get(session, application_id, for_update=True)
        if row is None:
            raise ApplicationNotFound(application_id)
        guard(row.county_code, row.township_code, "application")
        for i, item in enumerate(items):
            _known_kind(row, item.kind, field=f"documents[{i}].kind")
            _check_storage_uri(runtime, item.storage_uri, field=f"documents[{i}].storage_uri")
        now = clock.now()
        inserted = await repo.add_documents(session, [_document_row(application_id, i, now) for i in items])
        by_key = {(d.kind, d.sha256): d for d in inserted}
        missing = [i.sha256 for i in items if (i.kind, i.sha256) not in by_key]
        on_file = {
            (d.kind, d.sha256): d for d in await repo.documents_by_hash(session, application_id, missing)
        }
        if inserted:
            new = [by_key[(i.kind, i.sha256)] for i in items if (i.kind, i.sha256) in by_key]  # order sent
            await runtime.outbox.add(session, _batch_recorded(application_id, new), subject=application_id)
            await publish_completeness(runtime, session, row)
    out = []
    for item in items:
        key = (item.kind, item.sha256)
        if key in by_key:
            out.append((by_key[key], True))
        elif key in on_file:
            out.append((on_file[key], False))
        else:
            raise RuntimeError("the document that blocked the insert is missing")
    return out


def content_store(settings: IntakeSettings) -> ContentStore:
    """The configured store of documents' content (R-ARC-1)."""
    if settings.content_store_kind == "s3":
        if not (settings.s3_endpoint and settings.s3_bucket and settings.s3_access_key_id):
            raise RuntimeError("CONTENT_STORE=s3 needs S3_ENDPOINT, S3_BUCKET and S3 credentials")
        secret = settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else ""
        return S3Store(
            settings.s3_endpoint,
            settings.s3_bucket,
            region=settings.s3_region,
            access_key=settings.s3_access_key_id,
            secret_key=secret,
        )
    return FilesystemStore(settings.content_dir)


def _content_context(application_id: str, document_id: str) -> str:
    return f"intake.document.content:{application_id}:{document_id}"


async def reencrypt_contents(runtime: Runtime, rotation: Rotation) -> Progress:
    """Key rotation of documents' content (R-ARC-1, ``python -m services intake reencrypt``): every blob
    this store holds, sealed under an old key, opened, checked against its SHA-256 and written again under
    the current key and suite (the store replaces it whole: a temporary file and a rename, or one PUT).
    Pages of documents in id order, each in one transaction holding its rows locked; a blob under the
    current key is only read, so the run is idempotent and a rerun resumes; a blob no configured key opens
    stops the run (DecryptionError) with the blobs before it done."""
    store = content_store(runtime.settings)  # type: ignore[arg-type]
    cipher = rotation.cipher
    async with runtime.reading() as session:
        total = await repo.count_documents(session)
    progress = Progress("intake.documents content", total)
    last: str | None = None
    while not rotation.stop.requested:
        async with runtime.sessions() as session, session.begin():
            page = await repo.documents_after(session, last, rotation.batch_size, lock=True)
            for document in page:
                key = store.key_of(document.storage_uri)
                if key is None:
                    continue  # recorded by reference: its content is not held here
                blob = await store.get(key)
                if cipher.is_current_bytes(blob):
                    continue
                context = _content_context(document.application_id, document.id)
                content = cipher.decrypt_bytes(blob, context=context)  # raises if no key opens it
                if hashlib.sha256(content).hexdigest() != document.sha256:
                    raise RuntimeError(f"document {document.id}: stored content does not match its SHA-256")
                await store.put(key, cipher.encrypt_bytes(content, context=context))
                progress.rewritten += 1
        if not page:
            break
        last = page[-1].id
        progress.checked += len(page)
        progress.batches += 1
        rotation.report(progress.line())
    return progress


def _known_kind(row: Application, kind: str, *, generated: bool = False, field: str = "kind") -> None:
    rules = policy.in_force(clock.local_date(row.created_at))
    if kind not in rules.documents:
        raise InvalidApplication(field, f"unknown document kind; one of {', '.join(sorted(rules.documents))}")
    if kind in GENERATED and not generated:
        raise ReportThroughVisit(
            field,
            f"{kind} is made by the system (the home-visit report through /home-visits, signed by both "
            "visitors; the approval form through /forms/approval-form), never uploaded (R-ARC-1)",
            rule="R-ARC-1",
        )


async def upload_document(
    runtime: Runtime,
    application_id: str,
    *,
    kind: str,
    media_type: str,
    content: bytes,
    recorder: str,
    store: ContentStore | None = None,
    generated: bool = False,
) -> tuple[Document, bool]:
    """R-ARC-1: a document with its content: scanned, hashed (SHA-256), stored encrypted, recorded and
    published (ArchiveCompleteness) in one transaction; a failure removes the stored blob again. The same
    content as the same kind again is a replay."""
    settings: IntakeSettings = runtime.settings  # type: ignore[assignment]
    store = store or content_store(settings)
    problem = await scanners.load(settings.document_scanner).scan(media_type, content)
    if problem:
        raise ContentRefused("content", f"{problem} (R-ARC-1)", rule="R-ARC-1")
    digest = hashlib.sha256(content).hexdigest()
    document_id = str(uuid.uuid4())
    key, stored = f"{application_id}/{document_id}", False
    try:
        async with runtime.transaction() as session:
            row = await repo.get(session, application_id, for_update=True)
            if row is None:
                raise ApplicationNotFound(application_id)
            guard(row.county_code, row.township_code, "application")
            _known_kind(row, kind, generated=generated)
            existing = await repo.document_by_hash(session, application_id, kind, digest)
            if existing is not None:
                return existing, False
            sealed = runtime.cipher.encrypt_bytes(
                content, context=_content_context(application_id, document_id)
            )
            await store.put(key, sealed)
            stored = True
            inserted = await repo.add_document(
                session,
                {
                    "id": document_id,
                    "application_id": application_id,
                    "kind": kind,
                    "media_type": media_type,
                    "size_bytes": len(content),
                    "sha256": digest,
                    "storage_uri": store.uri(key),
                    "metadata": {},
                    "recorded_by": recorder,
                    "recorded_at": clock.now(),
                },
            )
            if inserted is None:
                raise RuntimeError("the same content was recorded concurrently")
            await announce_document(runtime, session, inserted)
            await publish_completeness(runtime, session, row)
    except BaseException:
        if stored:
            await store.delete(key)  # nothing half-written: no blob without its record
        raise
    return inserted, True


async def document_content(
    runtime: Runtime, application_id: str, document_id: str, *, store: ContentStore | None = None
) -> tuple[Document, bytes]:
    """R-ARC-1: the decrypted content, for staff covering the case (the request's audit entry is written by
    the runtime); checked against its recorded SHA-256."""
    store = store or content_store(runtime.settings)  # type: ignore[arg-type]
    async with runtime.reading() as session:
        row = await repo.get(session, application_id)
        if row is None:
            raise ApplicationNotFound(application_id)
        guard(row.county_code, row.township_code, "application")
        found = await repo.documents_by_id(session, application_id, [document_id])
    if not found:
        raise ApplicationNotFound(f"{application_id} document {document_id}")
    document = found[0]
    key = store.key_of(document.storage_uri)
    if key is None:
        raise ContentNotHeld(
            f"document {document_id} was recorded by reference ({document.storage_uri}); its content is not "
            "held here (R-ARC-1)"
        )
    content = runtime.cipher.decrypt_bytes(
        await store.get(key), context=_content_context(application_id, document_id)
    )
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise RuntimeError(f"document {document_id}: stored content does not match its SHA-256")
    return document, content


def checklist(row: Application) -> tuple[policy.IntakePolicy, list[str]]:
    """R-ARC-1: the intake policy in force when the case was submitted and the items this case requires."""
    rules = policy.in_force(clock.local_date(row.created_at))
    return rules, rules.required(row.subtype, raised=row.raised, county=row.county_code)


async def publish_completeness(
    runtime: Runtime, session: AsyncSession, row: Application, *, recorded: set[str] | None = None
) -> None:
    """R-ARC-1: tell approval what the archive lacks and what of it blocks (outbox, this transaction). The
    caller holds the case row locked, so the events of one case carry growing ``as_of``. ``recorded``: the
    kinds on file when the caller knows them (a case created in this transaction has none), else read."""
    rules, required = checklist(row)
    if recorded is None:
        recorded = (await repo.document_kinds(session, [row.id]))[row.id]
    missing = policy.missing(required, recorded)
    event = ArchiveCompleteness(
        case_id=row.id,
        county_code=row.county_code,
        township_code=row.township_code,
        policy_version=rules.version,
        required=required,
        missing=missing,
        blocking=rules.blocking(row.county_code, missing),
        as_of=clock.now(),
    )
    with log_context(case_id=row.id):
        await runtime.outbox.add(session, event, subject=row.id)


async def _photos(session: AsyncSession, application_id: str, ids: list[str]) -> list[Document]:
    """The visit's photographs: archive documents of this case of kind ``home_visit_photo`` (422 else)."""
    found = {d.id: d for d in await repo.documents_by_id(session, application_id, ids)}
    for i, doc_id in enumerate(ids):
        doc = found.get(doc_id)
        if doc is None or doc.kind != HOME_VISIT_PHOTO:
            raise InvalidApplication(
                f"photo_document_ids[{i}]", f"not a {HOME_VISIT_PHOTO} document of this case"
            )
    return [found[i] for i in ids]


async def record_visit(runtime: Runtime, application_id: str, body: HomeVisitIn, recorder: str) -> HomeVisit:
    """R-ARC-1: the first visitor (the caller) records the report; it awaits the second one's signature."""
    if body.second_visitor == recorder:
        raise VisitorsNotDistinct(
            "a home visit is made by two distinct officers: the second visitor cannot be the one recording "
            "the report (R-ARC-1)",
            rule="R-ARC-1",
            errors=[{"field": "second_visitor", "message": "must be another officer"}],
        )
    async with runtime.transaction() as session:
        row = await repo.get(session, application_id, for_update=True)
        if row is None:
            raise ApplicationNotFound(application_id)
        guard(row.county_code, row.township_code, "application")
        if body.visited_on > clock.local_today():
            raise InvalidApplication("visited_on", "the visit date is in the future")
        if body.visited_on < row.incident_date:
            raise InvalidApplication("visited_on", "the visit date is before the incident")
        await _photos(session, application_id, list(body.photo_document_ids))
        report = {"findings": body.findings, "living_conditions": body.living_conditions}
        return await repo.add_visit(
            session,
            {
                "id": str(uuid.uuid4()),
                "application_id": application_id,
                "visited_on": body.visited_on,
                "first_visitor": recorder,
                "second_visitor": body.second_visitor,
                "report": runtime.cipher.encrypt(
                    json.dumps(report, ensure_ascii=False), context=VISIT_REPORT
                ),
                "photo_document_ids": list(body.photo_document_ids),
                "status": VisitStatus.awaiting_confirmation.value,
                "recorded_at": clock.now(),
            },
        )


def _report_document(
    runtime: Runtime, visit: HomeVisit, photos: list[Document], at: datetime
) -> dict[str, Any]:
    """The signed report as an archive item: its canonical JSON's SHA-256 (photographs by their hashes)."""
    report = json.loads(runtime.cipher.decrypt(visit.report, context=VISIT_REPORT))
    canonical = json.dumps(
        {
            "home_visit_id": visit.id,
            "application_id": visit.application_id,
            "visited_on": visit.visited_on.isoformat(),
            "visitors": [visit.first_visitor, visit.second_visitor],
            **report,
            "photographs": [p.sha256 for p in photos],
            "confirmed_at": at.isoformat(),
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode()
    return {
        "id": str(uuid.uuid4()),
        "application_id": visit.application_id,
        "kind": HOME_VISIT_REPORT,
        "media_type": "application/json",
        "size_bytes": len(canonical),
        "sha256": hashlib.sha256(canonical).hexdigest(),
        "storage_uri": f"intake://home-visits/{visit.id}",
        "metadata": {
            "home_visit_id": visit.id,
            "visited_on": visit.visited_on.isoformat(),
            "visitors": f"{visit.first_visitor}; {visit.second_visitor}",
        },
        "recorded_by": visit.second_visitor,
        "recorded_at": at,
    }


async def confirm_visit(runtime: Runtime, application_id: str, visit_id: str, confirmer: str) -> HomeVisit:
    """R-ARC-1: the second visitor signs; the report becomes the archive item ``home_visit_report`` and
    approval learns the archive's new completeness, all in one transaction."""
    async with runtime.transaction() as session:
        row = await repo.get(session, application_id, for_update=True)
        if row is None:
            raise ApplicationNotFound(application_id)
        guard(row.county_code, row.township_code, "application")
        visit = await repo.visit(session, application_id, visit_id, for_update=True)
        if visit is None:
            raise VisitNotFound(visit_id)
        if visit.status is VisitStatus.confirmed:
            raise VisitAlreadyConfirmed(f"home visit {visit_id} was confirmed at {visit.confirmed_at}")
        if confirmer != visit.second_visitor:
            raise NotTheSecondVisitor(
                f"only {visit.second_visitor}, named as the second visitor, confirms this report (R-ARC-1)",
                rule="R-ARC-1",
            )
        now = clock.now()
        photos = await _photos(session, application_id, visit.photo_document_ids)
        document = await repo.add_document(session, _report_document(runtime, visit, photos, now))
        if document is None:
            raise RuntimeError("a report document with a fresh timestamp already exists")
        confirmed = await repo.confirm_visit(session, visit_id, at=now, document_id=document.id)
        await announce_document(runtime, session, document)
        await publish_completeness(runtime, session, row)
    return confirmed


def visit_out(runtime: Runtime, visit: HomeVisit) -> HomeVisitOut:
    report = json.loads(runtime.cipher.decrypt(visit.report, context=VISIT_REPORT))
    return HomeVisitOut(
        id=visit.id,
        application_id=visit.application_id,
        visited_on=visit.visited_on,
        visitors=[visit.first_visitor, visit.second_visitor],
        findings=report["findings"],
        living_conditions=report["living_conditions"],
        photo_document_ids=visit.photo_document_ids,
        status=visit.status,
        recorded_at=visit.recorded_at,
        confirmed_at=visit.confirmed_at,
        document_id=visit.document_id,
    )


VISIT_OPEN = [
    s.value
    for s in (
        ApplicationStatus.held,
        ApplicationStatus.submitted,
        ApplicationStatus.assessed,
        ApplicationStatus.returned,
        ApplicationStatus.needs_attention,
    )
]
"""Cases that may still be visited before review."""


def needs_visit(row: Application) -> bool:
    """R-ARC-1: the case's checklist (county and sub-type) requires a home-visit report."""
    return HOME_VISIT_REPORT in checklist(row)[1]


async def withdraw_consent(runtime: Runtime, application_id: str, consent: ConsentName) -> Application:
    """A withdrawal is recorded and published; referral stops sharing (R-CHA-2)."""
    async with runtime.transaction() as session:
        row = await repo.get(session, application_id, for_update=True)
        if row is None:
            raise ApplicationNotFound(application_id)
        guard(row.county_code, row.township_code, "application")
        consents = dict(row.consents)
        if consents.get(consent.value):
            consents[consent.value] = False
            if consent is ConsentName.share_with_charities:
                consents[ConsentName.share_health_data.value] = False
            await repo.set_consents(session, application_id, consents, consent.value)
            await runtime.outbox.add(
                session,
                ConsentWithdrawn(case_id=application_id, consent=consent.value, withdrawn_at=clock.now()),
                subject=application_id,
            )
        updated = await repo.get(session, application_id)
    if updated is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return updated


def to_out(
    runtime: Runtime,
    row: Application,
    *,
    recorded: set[str] | None = None,
    open_flags: int = 0,
    flag_kinds: dict[str, int] | None = None,
) -> ApplicationOut:
    """Masked view: names as 张*明, ID numbers as 140302********1234."""
    personal = json.loads(runtime.cipher.decrypt(row.personal, context=PERSONAL))
    flags = row.facts["household"]
    household = [
        MemberOut(
            name=idnumber.mask_name(p["name"]),
            id_number=idnumber.mask(p["id_number"]),
            relation=f["relation"],
            dibao=f["dibao"],
            tekun=f["tekun"],
            jiandang=f["jiandang"],
        )
        for p, f in zip(personal["household"], flags, strict=True)
    ]
    _, required = checklist(row)
    return ApplicationOut(
        id=row.id,
        case_no=row.case_no,
        status=row.status,
        revision=row.revision,
        channel=row.channel,
        referring_system=row.referring_system,
        county_code=row.county_code,
        township_code=row.township_code,
        category=row.category,
        subtype=row.subtype,
        household=household,
        persons_helped=row.persons_helped,
        consents=row.consents,
        submitted_at=row.created_at,
        updated_at=row.updated_at,
        merged_into=row.merged_into,
        open_duplicate_flags=open_flags,
        missing_documents=policy.missing(required, recorded or set()),
        hold_reason=_hold(row, flag_kinds or {}),
        attention=Attention.model_validate(row.attention)
        if row.status is ApplicationStatus.needs_attention and row.attention
        else None,
        needs=stated_needs(row.facts),
    )


def _hold(row: Application, flag_kinds: dict[str, int]) -> HoldReason | None:
    hold = holds.hold_reason(flag_kinds) if row.status is ApplicationStatus.held else None
    return HoldReason(**vars(hold)) if hold else None


async def views(runtime: Runtime, session: AsyncSession, rows: list[Application]) -> list[ApplicationOut]:
    """Masked views with each case's missing archive items and open flags (two queries for the whole list)."""
    ids = [r.id for r in rows]
    kinds = await repo.document_kinds(session, ids)
    flags = await repo.open_flag_kinds(session, ids)
    hidden = await _merged_elsewhere(session, rows)
    return [
        to_out(
            runtime,
            r,
            recorded=kinds.get(r.id, set()),
            open_flags=sum(flags.get(r.id, {}).values()),
            flag_kinds=flags.get(r.id, {}),
        ).model_copy(update={"merged_into": None} if r.id in hidden else {})
        for r in rows
    ]


async def _merged_elsewhere(session: AsyncSession, rows: list[Application]) -> set[str]:
    """Cases merged into a case outside the caller's jurisdiction: that case's id is not shown (R-FLOW-5)."""
    principal, hidden = caller(), set()
    for r in rows:
        if principal is None or not r.merged_into:
            continue
        target = await repo.get(session, r.merged_into)
        if target is None or not covers(principal, target.county_code, target.township_code):
            hidden.add(r.id)
    return hidden


# --- the case's progress, as intake follows it from the other services' events (handlers.py) ---


async def mark_needs_attention(
    session: AsyncSession,
    case_id: str,
    *,
    service: str,
    reason: str,
    event_type: str | None,
    scheme_referral_id: str | None = None,
) -> None:
    """A service could not process the case: the case shows it (``needs_attention``: which, why, when); with
    ``scheme_referral_id``, a referral to a scheme that passed its due date without an outcome (R-AID-1)."""
    if not is_case_id(case_id):
        return  # not about a case: the dead letter itself is the record
    row = await repo.get(session, case_id, for_update=True)
    if row is None or row.status is ApplicationStatus.merged:
        return  # not one of intake's cases, or folded into another case
    attention: dict[str, Any] = {
        "service": service,
        "reason": reason,
        "failed_event_type": event_type,
        "at": clock.now().isoformat(),
        "previous_status": row.flow_status.value,
    }
    if scheme_referral_id is not None:
        attention["scheme_referral_id"] = scheme_referral_id
    await repo.mark_attention(session, case_id, attention)


async def keep_coverage(session: AsyncSession, ev: PolicyCoverage) -> None:
    """Keep assessment's policy periods (the event carries all of them) for the coverage check (R-AMT-3)."""
    await repo.replace_coverage(session, [p.model_dump() for p in ev.periods])


async def follow_assessed(runtime: Runtime, session: AsyncSession, ev: CaseAssessed) -> None:
    row = await repo.get(session, ev.case_id, for_update=True)
    if row is None or (ev.application_revision or ev.revision) != row.revision:
        return  # not ours, or an older revision's assessment
    if ev.raise_decision is not None and not row.raised:
        await repo.set_raised(session, ev.case_id)  # R-ARC-1: the raise's minutes join the checklist
        raised = await repo.get(session, ev.case_id)
        if raised is not None:
            await publish_completeness(runtime, session, raised)
    await _move_on(session, row, ApplicationStatus.assessed)


async def follow_opinion(session: AsyncSession, ev: CaseReviewed | CaseDecided) -> None:
    """A review's opinion or the decision: a step of the case's 审批表 (R-ARC-1), then the case moves on
    (to ``reviewed``, or to ``approved``/``rejected`` with the decision's instant) where domain/flow.py
    lets it."""
    row = await repo.get(session, ev.case_id, for_update=True)
    if row is None:
        return
    if isinstance(ev, CaseReviewed):
        step, opinion, reasons, at = "review", ev.opinion, ev.reasons, ev.reviewed_at
        to, values = ApplicationStatus.reviewed, {}
    else:
        step, opinion, reasons, at = "approval", ev.decision, None, ev.decided_at
        to, values = ApplicationStatus(ev.decision.value), {"decided_at": ev.decided_at}
    await repo.add_step(
        session,
        {
            "application_id": ev.case_id,
            "step": step,
            "opinion": opinion.value,
            "level": ev.level,
            "actor": ev.actor,
            "reasons": reasons,
            "amount": ev.amount,
            "at": at,
        },
    )
    await _move_on(session, row, to, **values)


async def follow_returned(session: AsyncSession, ev: CaseReturned) -> None:
    row = await repo.get(session, ev.case_id, for_update=True)
    if row is not None:
        await _move_on(session, row, ApplicationStatus.returned)


async def _move_on(session: AsyncSession, row: Application, to: ApplicationStatus, **values: Any) -> None:
    """The case's new status, if the event may move it from where it is (domain/flow.py)."""
    if moves_on(row.flow_status, to):
        await repo.set_status(session, row.id, to, **values)


# --- the case's forms and its archive for the records office (R-ARC-1) ---

OPINIONS = {"approved": "同意 approved", "rejected": "不同意 rejected", "returned": "退回 returned"}


def _local(at: datetime | None) -> str:
    return clock.local_date(at).isoformat() if at else ""


def _form_sections(
    runtime: Runtime, row: Application, visits: list[HomeVisit], steps: list[CaseStep], docs: list[Document]
) -> list[Section]:
    personal = json.loads(runtime.cipher.decrypt(row.personal, context=PERSONAL))
    applicant = next(
        (
            p
            for p, f in zip(personal["household"], row.facts["household"], strict=True)
            if f["relation"] == "self"
        ),
        personal["household"][0],
    )
    sections: list[Section] = [
        (
            "一、申请 application",
            [
                ("案件编号 case no", row.case_no),
                ("申请人 applicant", f"{applicant['name']}  {idnumber.mask(applicant['id_number'])}"),
                ("申请日期 submitted", _local(row.created_at)),
                ("类别 category", f"{row.category} / {row.subtype}"),
                ("事发日期 incident", row.incident_date.isoformat()),
                ("家庭人口/救助人数 household", f"{row.household_size} / {row.persons_helped}"),
                ("申报年收入 declared income", str(row.facts["annual_household_income"])),
            ],
        ),
        (
            "二、核对 verification",
            [
                (
                    "家庭经济状况核对 verification",
                    "未接入核对系统，以申报为准 (declared figures; issue 19 part 1)",
                )
            ],
        ),
    ]
    signed = [v for v in visits if v.status is VisitStatus.confirmed]
    visit_rows: list[tuple[str, str]] = []
    for v in signed:
        report = json.loads(runtime.cipher.decrypt(v.report, context=VISIT_REPORT))
        visit_rows += [
            ("调查日期 visited on", v.visited_on.isoformat()),
            ("调查人 visitors", f"{v.first_visitor}、{v.second_visitor} (签字确认 {_local(v.confirmed_at)})"),
            ("调查情况 findings", report["findings"]),
            ("生活状况 living conditions", report["living_conditions"]),
        ]
    sections.append(("三、入户调查 home visit", visit_rows or [("入户调查 home visit", "无 none")]))
    for heading, step in (("四、审核意见 review", "review"), ("五、审批意见 approval", "approval")):
        rows = [
            (
                f"{OPINIONS.get(s.opinion, s.opinion)}",
                f"{s.actor or ''}  {_local(s.at)}  金额 {s.amount}  {s.reasons or ''}".strip(),
            )
            for s in steps
            if s.step == step
        ]
        sections.append((heading, rows or [("意见 opinion", "尚无 none yet")]))
    decided = [s for s in steps if s.step == "approval"]
    sections.append(
        (
            "六、救助金额与档案 amount and archive",
            [
                ("救助金额 amount (元)", str(decided[-1].amount) if decided else "未审批 not decided"),
                ("档案材料 archive items", "、".join(sorted({d.kind for d in docs})) or "无 none"),
            ],
        )
    )
    return sections


async def approval_form(runtime: Runtime, application_id: str, recorder: str) -> tuple[Document, bool]:
    """R-ARC-1: render the 临时救助审核审批表 from the case's trail (application, verification, visit, review
    and approval opinions with names and dates, amount) and archive it with its SHA-256."""
    async with runtime.reading() as session:
        row = await repo.get(session, application_id)
        if row is None:
            raise ApplicationNotFound(application_id)
        guard(row.county_code, row.township_code, "application")
        visits = await repo.visits_of(session, application_id)
        steps = await repo.steps_of(session, application_id)
        docs = await repo.documents_of(session, application_id)
    sections = _form_sections(runtime, row, visits, steps, docs)
    pdf = render_form(
        "临时救助审核审批表", f"{row.case_no} · {application_id}", sections, made_at=clock.now()
    )
    return await upload_document(
        runtime,
        application_id,
        kind=APPROVAL_FORM,
        media_type="application/pdf",
        content=pdf,
        recorder=recorder,
        generated=True,
    )


EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/json": ".json",
}


async def archive_export(runtime: Runtime, application_id: str) -> tuple[Application, bytes]:
    """R-ARC-1: the case's archive as one ZIP for the records office: ``index.json`` (checklist, every
    item with its SHA-256 and where its file is), the held contents, and the signed home-visit reports."""
    import io
    import zipfile

    store = content_store(runtime.settings)  # type: ignore[arg-type]
    async with runtime.reading() as session:
        row = await repo.get(session, application_id)
        if row is None:
            raise ApplicationNotFound(application_id)
        guard(row.county_code, row.township_code, "application")
        docs = await repo.documents_of(session, application_id)
        visits = await repo.visits_of(session, application_id)
    rules, required = checklist(row)
    buffer, items = io.BytesIO(), []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for d in docs:
            key, name = store.key_of(d.storage_uri), None
            if key is not None:
                content = runtime.cipher.decrypt_bytes(
                    await store.get(key), context=_content_context(application_id, d.id)
                )
                name = f"documents/{d.kind}-{d.id}{EXTENSIONS.get(d.media_type, '')}"
                archive.writestr(name, content)
            items.append(
                {
                    "id": d.id,
                    "kind": d.kind,
                    "title": rules.documents[d.kind].title if d.kind in rules.documents else d.kind,
                    "media_type": d.media_type,
                    "size_bytes": d.size_bytes,
                    "sha256": d.sha256,
                    "recorded_by": d.recorded_by,
                    "recorded_at": d.recorded_at.isoformat(),
                    "file": name,
                    "storage_uri": None if name else d.storage_uri,
                }
            )
        for v in visits:
            archive.writestr(f"home-visits/{v.id}.json", visit_out(runtime, v).model_dump_json(indent=1))
        index = {
            "case_no": row.case_no,
            "application_id": row.id,
            "county_code": row.county_code,
            "township_code": row.township_code,
            "exported_at": clock.now().isoformat(),
            "policy_version": rules.version,
            "required": required,
            "missing": policy.missing(required, {d.kind for d in docs}),
            "documents": items,
            "home_visits": [f"home-visits/{v.id}.json" for v in visits],
        }
        archive.writestr("index.json", json.dumps(index, ensure_ascii=False, indent=1))
    return row, buffer.getvalue()
