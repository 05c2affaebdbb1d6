"""Intake's REST API: one window (一门受理) for walk-ins and other government systems."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status

from services.intake import repository as repo
from services.intake import service
from services.intake.domain import policy
from services.intake.domain.duplicates import FlagKind
from services.intake.domain.errors import ApplicationNotFound
from services.intake.domain.model import Channel, DuplicateFlag, FlagStatus
from services.intake.schemas import (
    AmendmentIn,
    ApplicationIn,
    ApplicationOut,
    ArchiveOut,
    ChecklistItem,
    ConsentName,
    DocumentBatchIn,
    DocumentBatchOut,
    DocumentIn,
    DocumentOut,
    DuplicateReviewIn,
    FlagOut,
    HomeVisitIn,
    HomeVisitOut,
    OfficeOut,
    PersonSearchIn,
    RecordedDocumentOut,
    RevisionOut,
    VisitTaskOut,
)
from services.intake.settings import IntakeSettings
from shared.access import DECIDERS, STAFF, covers, ensure_covers, require, scope
from shared.api import FIRST_DAY, LAST_DAY, PROBLEM_RESPONSES, CaseId, DateQuery, runtime_of
from shared.auth import Principal, Role
from shared.contracts.common import Category, Subtype
from shared.errors import Forbidden, Problem
from shared.pagination import Page, decode_cursor, encode_cursor
from shared.reference import office
from shared.runtime import Runtime

router = APIRouter(prefix="/intake/v1", tags=["intake"], responses=PROBLEM_RESPONSES)

UUID_QUERY = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
VisitId = Annotated[str, Path(pattern=UUID_QUERY, description="A record's id (a home visit, a document)")]
CASE_STATUSES = r"^(held|submitted|assessed|reviewed|returned|approved|rejected|merged|needs_attention)$"

Submitter = Annotated[Principal, Depends(require(Role.intake_clerk, Role.gov_system))]
Clerk = Annotated[Principal, Depends(require(Role.intake_clerk))]
Reader = Annotated[Principal, Depends(require(*STAFF))]
Supervisor = Annotated[Principal, Depends(require(*DECIDERS))]
Archivist = Annotated[Principal, Depends(require(Role.intake_clerk, Role.township_reviewer))]
Visitor = Annotated[Principal, Depends(require(Role.intake_clerk, Role.township_reviewer))]
FormMaker = Annotated[Principal, Depends(require(Role.intake_clerk, Role.township_reviewer, *DECIDERS))]


async def _view(runtime: Runtime, application_id: str, principal: Principal) -> ApplicationOut:
    async with runtime.reading() as session:
        row = await repo.get(session, application_id)
        if row is None:
            raise ApplicationNotFound(application_id)
        ensure_covers(principal, row.county_code, row.township_code, "application")
        return (await service.views(runtime, session, [row]))[0]


def channel_from_token(body: ApplicationIn, principal: Principal) -> ApplicationIn:
    """R-OVS-2: the channel and the referring system come from the token, never from the body. A
    government-system token (role ``gov_system``) is recorded as ``gov_system`` with its subject as the
    referring system; anyone else claiming ``channel=gov_system`` or a ``referring_system`` is refused with
    403 ``not-a-government-system`` naming the field."""
    if principal.has(Role.gov_system):
        return body.model_copy(
            update={"channel": Channel.gov_system, "referring_system": principal.subject[:100]}
        )
    for field, claimed in (
        ("channel", body.channel is Channel.gov_system),
        ("referring_system", body.referring_system is not None),
    ):
        if claimed:
            raise Forbidden(
                f"{field}: only a government system's own token refers an application (R-OVS-2); "
                "a clerk records a walk-in",
                slug="not-a-government-system",
                field=field,
                errors=[{"field": field, "message": "set from a government-system token only"}],
            )
    return body


@router.post(
    "/applications",
    status_code=status.HTTP_201_CREATED,
    response_model=ApplicationOut,
    summary="Submit an application (walk-in or from another government system)",
    description="Refused with 409 `repeat-application` when the household already applied for the same "
    "cause (R-FLOW-5; the problem names the earlier case, or only the office to contact when it is "
    "outside your jurisdiction). `channel=gov_system` and `referring_system` come from a government-"
    "system token only: a clerk claiming them gets 403 `not-a-government-system`. A person already in "
    "another open "
    "case, or a household being helped, is flagged: the case is `held` until a supervisor "
    "reviews it (`hold_reason` says why and who). An incident dated where no policy of the county is in "
    "force: 409 `no-policy-in-force` naming the field, county and date (R-AMT-3).",
)
async def submit_application(
    body: ApplicationIn,
    request: Request,
    response: Response,
    principal: Submitter,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> ApplicationOut:
    if not principal.covers(body.address.county_code, body.address.township_code):
        raise Forbidden(f"township {body.address.township_code} is outside your jurisdiction")
    body = channel_from_token(body, principal)
    runtime = runtime_of(request, "intake")
    row, created, view = await service.submit_application(runtime, body, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/intake/v1/applications/{row.id}"
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return view


@router.get("/applications/{application_id}", response_model=ApplicationOut, summary="One application")
async def get_application(application_id: CaseId, request: Request, principal: Reader) -> ApplicationOut:
    return await _view(runtime_of(request, "intake"), application_id, principal)


@router.put(
    "/applications/{application_id}",
    response_model=ApplicationOut,
    summary="Amend an application: a new revision, re-assessed (earlier revisions and assessments stay)",
    description="A case under review or decided: 409 `case-not-amendable`. Consents change only by "
    "withdrawal: different consents in the amendment are 409 `consents-change-by-withdrawal` (R-CHA-2). "
    "A repeat of another case's cause: 409 `repeat-application` (R-FLOW-5); no policy in force on the "
    "incident date: 409 `no-policy-in-force` (R-AMT-3).",
)
async def amend_application(
    application_id: CaseId, body: AmendmentIn, request: Request, principal: Clerk
) -> ApplicationOut:
    runtime = runtime_of(request, "intake")
    if not principal.covers(body.address.county_code, body.address.township_code):
        raise Forbidden(f"township {body.address.township_code} is outside your jurisdiction")
    body = body.model_copy(update={"amended_by": principal.subject})
    row = await service.amend_application(runtime, application_id, body)
    return await _view(runtime, row.id, principal)


@router.get(
    "/applications/{application_id}/revisions",
    response_model=list[RevisionOut],
    summary="Every revision of an application, oldest first",
)
async def list_revisions(application_id: CaseId, request: Request, principal: Reader) -> list[RevisionOut]:
    async with runtime_of(request, "intake").reading() as session:
        case = await repo.get(session, application_id)
        if case is None:
            raise ApplicationNotFound(application_id)
        ensure_covers(principal, case.county_code, case.township_code, "application")
        rows = await repo.revisions(session, application_id)
    if not rows:
        raise ApplicationNotFound(application_id)
    return [RevisionOut.model_validate(asdict(r)) for r in rows]


@router.get(
    "/applications",
    response_model=Page[ApplicationOut],
    summary="List applications, newest first",
    description="`status=needs_attention` lists the cases a service could not process (with `attention`: "
    "which service, why). Submission dates are China's calendar days (TIME_ZONE).",
)
async def list_applications(
    request: Request,
    principal: Reader,
    county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    township_code: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
    status_: Annotated[str | None, Query(alias="status", pattern=CASE_STATUSES)] = None,
    category: Category | None = None,
    subtype: Subtype | None = None,
    submitted_from: DateQuery = None,
    submitted_to: Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY, description="inclusive")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ApplicationOut]:
    county_code, township_code = scope(principal, county_code, township_code)
    runtime = runtime_of(request, "intake")
    async with runtime.reading() as session:
        rows = await repo.page(
            session,
            county_code=county_code,
            township_code=township_code,
            status=status_,
            category=category.value if category else None,
            subtype=subtype.value if subtype else None,
            submitted_from=submitted_from,
            submitted_to=submitted_to + timedelta(days=1) if submitted_to else None,
            after=decode_cursor(cursor) if cursor else None,
            limit=limit + 1,
        )
        items = await service.views(runtime, session, rows[:limit])
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return Page[ApplicationOut](items=items, next_cursor=next_cursor)


@router.post(
    "/applications/search",
    response_model=list[ApplicationOut],
    summary="Every case of one person, any status (merged and cleared included), by ID number",
)
async def search_person(
    body: PersonSearchIn, request: Request, principal: Reader, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[ApplicationOut]:
    runtime = runtime_of(request, "intake")
    bidx = runtime.cipher.blind_index(body.id_number, purpose="id_number")
    async with runtime.reading() as session:
        rows = [
            r
            for r in await repo.applications_of_person(session, bidx, limit)
            if principal.covers(r.county_code, r.township_code)
        ]
        return await service.views(runtime, session, rows)


@router.post(
    "/applications/{application_id}/duplicate-review",
    response_model=ApplicationOut,
    summary="A supervisor clears a held case (it goes on to assessment) or merges it (audited)",
)
async def review_duplicates(
    application_id: CaseId, body: DuplicateReviewIn, request: Request, principal: Supervisor
) -> ApplicationOut:
    runtime = runtime_of(request, "intake")
    await service.review_duplicates(
        runtime, application_id, body.model_copy(update={"actor": principal.subject})
    )
    return await _view(runtime, application_id, principal)


def _flag_out(principal: Principal, row: DuplicateFlag) -> FlagOut:
    """R-FLOW-5: a matched case outside the caller's jurisdiction is shown only as the office to contact."""
    flag = {
        k: v for k, v in asdict(row).items() if not k.startswith("matched_") or k == "matched_application_id"
    }
    county, township = row.matched_county_code, row.matched_township_code
    if county is not None and covers(principal, county, township):
        return FlagOut.model_validate(flag)
    where = OfficeOut.model_validate(office(county, township)) if county is not None else None
    return FlagOut.model_validate({**flag, "matched_application_id": None, "matched_office": where})


@router.get(
    "/duplicate-flags",
    response_model=Page[FlagOut],
    summary="Duplicate flags, newest first (open, cleared and merged ones)",
)
async def list_duplicate_flags(
    request: Request,
    principal: Reader,
    status_: Annotated[FlagStatus | None, Query(alias="status")] = None,
    kind: FlagKind | None = None,
    county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    township_code: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
    application_id: Annotated[
        str | None, Query(pattern=UUID_QUERY, description="flags of this case or against it")
    ] = None,
    created_from: DateQuery = None,
    created_to: Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY, description="inclusive")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[FlagOut]:
    county_code, township_code = scope(principal, county_code, township_code)
    after = decode_cursor(cursor) if cursor else None  # typed: a UUID id, an aware timestamp
    async with runtime_of(request, "intake").reading() as session:
        rows = await repo.flags_page(
            session,
            status=status_.value if status_ else None,
            kind=kind.value if kind else None,
            county_code=county_code,
            township_code=township_code,
            application_id=application_id,
            created_from=created_from,
            created_to=created_to + timedelta(days=1) if created_to else None,
            after=after,
            limit=limit + 1,
        )
    items = [_flag_out(principal, r) for r in rows[:limit]]
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return Page[FlagOut](items=items, next_cursor=next_cursor)


@router.post(
    "/applications/{application_id}/documents",
    response_model=DocumentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record an archive document (R-ARC-1): kind, metadata, SHA-256 and where it is stored",
)
async def record_document(
    application_id: CaseId, body: DocumentIn, request: Request, response: Response, principal: Archivist
) -> DocumentOut:
    body = body.model_copy(update={"recorded_by": principal.subject})
    row, created = await service.record_document(runtime_of(request, "intake"), application_id, body)
    if not created:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return DocumentOut.model_validate(asdict(row))


@router.post(
    "/applications/{application_id}/documents/batch",
    response_model=DocumentBatchOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record several archive documents at once (R-ARC-1): all of them in one transaction, or none",
    description="A township's paper set in one request (up to 50 items), each item as "
    "`POST .../documents` takes it. One wrong item refuses the whole batch, naming it "
    "(`documents[i].<field>`: 422 for a bad value, 409 `home-visit-report-through-visit`), and nothing "
    "is recorded. Items already on file (same kind and content) come back with `replayed: true`; when "
    "every item is a replay the answer is 200 with `Idempotent-Replayed`. Publishes one DocumentsRecorded "
    "listing the new items (kind and hash, in the order sent) and one ArchiveCompleteness for the set; "
    "nothing when every item is a replay.",
)
async def record_documents(
    application_id: CaseId, body: DocumentBatchIn, request: Request, response: Response, principal: Archivist
) -> DocumentBatchOut:
    items = [d.model_copy(update={"recorded_by": principal.subject}) for d in body.documents]
    recorded = await service.record_documents(runtime_of(request, "intake"), application_id, items)
    if not any(created for _, created in recorded):
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return DocumentBatchOut(
        documents=[RecordedDocumentOut(**asdict(row), replayed=not created) for row, created in recorded]
    )


DocumentKind = Annotated[
    str, Path(min_length=1, max_length=40, pattern=r"^[a-z_]+$", description="The archive item's kind")
]
BINARY = {"schema": {"type": "string", "format": "binary"}}


async def _body_within(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is larger than ``limit`` (never read whole)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> Problem:
    return Problem(
        f"the document is larger than {limit} bytes (INTAKE_DOCUMENT_MAX_BYTES, R-ARC-1)",
        status=413,
        slug="document-too-large",
        title="Document too large",
        limit_bytes=limit,
    )


def _media_type(request: Request, allowed: frozenset[str]) -> str:
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if declared not in allowed:
        raise Problem(
            f"media type {declared or '(none)'} is not accepted; one of {', '.join(sorted(allowed))} "
            "(R-ARC-1)",
            status=415,
            slug="unsupported-media-type",
            title="Unsupported media type",
            accepted=sorted(allowed),
        )
    return declared


@router.post(
    "/applications/{application_id}/documents/{kind}/content",
    response_model=DocumentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Upload an archive document with its content (R-ARC-1): hashed, scanned, stored encrypted",
    description="The body is the file; `Content-Type` its media type. Larger than the limit: 413 "
    "`document-too-large`; a media type not accepted: 415 `unsupported-media-type`; content the scanner "
    "refuses (by default: its first bytes are not the declared type): 422 `content-refused`. Nothing is "
    "stored then. The same content as the same kind again: 200 with `Idempotent-Replayed`.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": dict.fromkeys(("application/pdf", "image/jpeg", "image/png"), BINARY),
        }
    },
    responses={
        413: {**PROBLEM_RESPONSES[422], "description": "Document too large (problem+json)"},
        415: {**PROBLEM_RESPONSES[422], "description": "Media type not accepted (problem+json)"},
    },
)
async def upload_document(
    application_id: CaseId, kind: DocumentKind, request: Request, response: Response, principal: Archivist
) -> DocumentOut:
    runtime = runtime_of(request, "intake")
    async with runtime.reading() as session:  # the jurisdiction first: outsiders learn no limits
        case = await repo.get(session, application_id)
        if case is None:
            raise ApplicationNotFound(application_id)
        ensure_covers(principal, case.county_code, case.township_code, "application")
    settings: IntakeSettings = runtime.settings  # type: ignore[assignment]
    media_type = _media_type(request, settings.document_media_types)
    content = await _body_within(request, settings.document_max_bytes)
    row, created = await service.upload_document(
        runtime, application_id, kind=kind, media_type=media_type, content=content, recorder=principal.subject
    )
    if not created:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return DocumentOut.model_validate(asdict(row))


@router.get(
    "/applications/{application_id}/documents/{document_id}/content",
    response_class=Response,
    summary="An archive document's content, for staff of the case's jurisdiction (each download audited)",
    description="409 `content-not-held` for a document recorded by reference only.",
    responses={200: {"content": {"application/octet-stream": BINARY}}},
)
async def document_content(
    application_id: CaseId, document_id: VisitId, request: Request, principal: Reader
) -> Response:
    document, content = await service.document_content(
        runtime_of(request, "intake"), application_id, document_id
    )
    return Response(
        content,
        media_type=document.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{document.kind}-{document.id}"',
            "X-Content-SHA256": document.sha256,
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/applications/{application_id}/documents",
    response_model=ArchiveOut,
    summary="The case archive: its checklist by type, what is missing, every document (R-ARC-1)",
)
async def archive(application_id: CaseId, request: Request, principal: Reader) -> ArchiveOut:
    async with runtime_of(request, "intake").reading() as session:
        row = await repo.get(session, application_id)
        if row is None:
            raise ApplicationNotFound(application_id)
        ensure_covers(principal, row.county_code, row.township_code, "application")
        docs = await repo.documents_of(session, application_id)
    rules, required = service.checklist(row)
    recorded = {d.kind for d in docs}
    return ArchiveOut(
        application_id=application_id,
        policy_version=rules.version,
        required=[
            ChecklistItem(
                kind=k, title=rules.documents[k].title, stage=rules.documents[k].stage, recorded=k in recorded
            )
            for k in required
        ],
        missing=policy.missing(required, recorded),
        documents=[DocumentOut.model_validate(asdict(d)) for d in docs],
    )


@router.post(
    "/applications/{application_id}/consents/{consent}/withdrawal",
    response_model=ApplicationOut,
    summary="Withdraw a consent (R-CHA-2); published as ConsentWithdrawn",
)
async def withdraw_consent(
    application_id: CaseId, consent: ConsentName, request: Request, principal: Clerk
) -> ApplicationOut:
    runtime = runtime_of(request, "intake")
    await service.withdraw_consent(runtime, application_id, consent)
    return await _view(runtime, application_id, principal)


@router.post(
    "/applications/{application_id}/home-visits",
    response_model=HomeVisitOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record a home-visit (入户调查) report as its first visitor (R-ARC-1)",
    description="The caller is the first visitor; `second_visitor` names the other officer, who confirms "
    "(signs) it with `POST .../home-visits/{visit_id}/confirmation`: only then is it the archive item "
    "`home_visit_report`. The same officer twice: 409 `visitors-not-distinct`. A visit date in the "
    "future or before the incident, or a photograph that is not a `home_visit_photo` document of the "
    "case: 422 naming the field.",
)
async def record_home_visit(
    application_id: CaseId, body: HomeVisitIn, request: Request, principal: Visitor
) -> HomeVisitOut:
    runtime = runtime_of(request, "intake")
    visit = await service.record_visit(runtime, application_id, body, principal.subject)
    return service.visit_out(runtime, visit)


@router.post(
    "/applications/{application_id}/home-visits/{visit_id}/confirmation",
    response_model=HomeVisitOut,
    summary="The second visitor confirms (signs) a home-visit report: it joins the archive (R-ARC-1)",
    description="Only the officer named as `second_visitor`: else 403 `not-the-second-visitor`. Twice: "
    "409 `visit-already-confirmed`. Publishes ArchiveCompleteness (approval stops refusing with "
    "`archive-incomplete` once nothing blocking is missing).",
)
async def confirm_home_visit(
    application_id: CaseId, visit_id: VisitId, request: Request, principal: Visitor
) -> HomeVisitOut:
    runtime = runtime_of(request, "intake")
    visit = await service.confirm_visit(runtime, application_id, visit_id, principal.subject)
    return service.visit_out(runtime, visit)


@router.get(
    "/applications/{application_id}/home-visits",
    response_model=list[HomeVisitOut],
    summary="The case's home-visit reports, oldest first (R-ARC-1)",
)
async def list_home_visits(application_id: CaseId, request: Request, principal: Reader) -> list[HomeVisitOut]:
    runtime = runtime_of(request, "intake")
    async with runtime.reading() as session:
        row = await repo.get(session, application_id)
        if row is None:
            raise ApplicationNotFound(application_id)
        ensure_covers(principal, row.county_code, row.township_code, "application")
        visits = await repo.visits_of(session, application_id)
    return [service.visit_out(runtime, v) for v in visits]


@router.get(
    "/home-visit-tasks",
    response_model=list[VisitTaskOut],
    summary="The township's visit tasks: open cases whose checklist requires a home visit not yet signed",
    description="Oldest first, scoped to the caller's jurisdiction (R-ARC-1).",
)
async def home_visit_tasks(
    request: Request,
    principal: Reader,
    county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    township_code: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[VisitTaskOut]:
    county_code, township_code = scope(principal, county_code, township_code)
    async with runtime_of(request, "intake").reading() as session:
        rows = await repo.awaiting_visit(
            session,
            county_code=county_code,
            township_code=township_code,
            open_statuses=service.VISIT_OPEN,
            limit=limit,
        )
        tasks = []
        for r in rows:
            if not service.needs_visit(r):
                continue
            pending = any(v.confirmed_at is None for v in await repo.visits_of(session, r.id))
            tasks.append(
                VisitTaskOut(
                    application_id=r.id,
                    case_no=r.case_no,
                    county_code=r.county_code,
                    township_code=r.township_code,
                    subtype=r.subtype,
                    status=r.status,
                    submitted_at=r.created_at,
                    report_awaiting_confirmation=pending,
                )
            )
    return tasks


@router.post(
    "/applications/{application_id}/forms/approval-form",
    response_model=DocumentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Render the 临时救助审核审批表 (PDF) from the case's trail and archive it with its SHA-256",
    description="Application, verification, home visit, review and approval opinions with names and "
    "dates, amount (R-ARC-1). Archived as kind `approval_form`; its content at `…/documents/{id}/content`.",
)
async def approval_form(
    application_id: CaseId, request: Request, response: Response, principal: FormMaker
) -> DocumentOut:
    row, created = await service.approval_form(
        runtime_of(request, "intake"), application_id, principal.subject
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return DocumentOut.model_validate(asdict(row))


@router.get(
    "/applications/{application_id}/archive/export",
    response_class=Response,
    summary="The case's archive as one ZIP with an index, for transfer to the records office (R-ARC-1)",
    description="`index.json` lists the checklist and every item with its SHA-256 and file; held contents "
    "under `documents/`, signed home-visit reports under `home-visits/`.",
    responses={200: {"content": {"application/zip": BINARY}}},
)
async def export_archive(application_id: CaseId, request: Request, principal: Reader) -> Response:
    row, zipped = await service.archive_export(runtime_of(request, "intake"), application_id)
    return Response(
        zipped,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="archive-{row.case_no}.zip"',
            "Cache-Control": "no-store",
        },
    )
