"""Referral's REST API, partner side: each partner authenticates with its API key
(``Authorization: Bearer <key>``) and sees and answers only its own referrals. Another partner's id or
referral is a 404, so existence does not leak. Every call is audited with the partner as actor
(``partner:<id>``), refused ones (unknown key, suspended, another partner's id) too (shared/audit_http.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.referral import repository as repo
from services.referral.domain.errors import PartnerNotFound, ReferralNotFound
from services.referral.domain.model import Partner as PartnerEntity
from services.referral.domain.model import PartnerTask, RecordStatus
from services.referral.domain.tasks import Action
from services.referral.schemas import DeclineIn, DeliveryOut, FeedPage, FulfilIn, TaskOut
from services.referral.service import exchange
from services.referral.service import partners as registry
from services.referral.service.deliveries import redeliver
from services.referral.service.exchange import contact_route
from shared.access import ANONYMOUS, note_place, record_actor
from shared.api import PROBLEM_RESPONSES, UUID_PATTERN, runtime_of
from shared.auth import Principal, Role
from shared.errors import Unauthorized
from shared.ratelimit import failures_counted

_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid partner API key (problem+json)"},
    403: {"description": "Partner suspended (problem+json)"},
    429: {"description": "Locked out after failed authentication; see Retry-After (problem+json)"},
}
router = APIRouter(
    prefix="/referral/v1/partners/{partner_id}",
    tags=["referral: partners"],
    responses={**PROBLEM_RESPONSES, **_AUTH},
)

PartnerId = Annotated[str, Path(pattern=UUID_PATTERN, description="The partner id")]
TaskId = Annotated[str, Path(pattern=UUID_PATTERN, description="The referral (Task) id")]
DeliveryId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The webhook delivery id")]
bearer = HTTPBearer(
    auto_error=False, scheme_name="partnerApiKey", description="The partner API key issued at registration"
)


async def current_partner(
    request: Request,
    partner_id: PartnerId,
    credentials: HTTPAuthorizationCredentials | None = Security(bearer),
) -> PartnerEntity:
    runtime = runtime_of(request, "referral")
    record_actor(request, ANONYMOUS)  # an unknown key is audited too
    if credentials is None:
        raise Unauthorized("a partner API key is required (Authorization: Bearer <key>)")
    key = credentials.credentials.strip()
    with failures_counted(request, f"partner:{partner_id}"):  # lockout per key and per source
        if not key.startswith(registry.KEY_PREFIX):
            raise Unauthorized("a partner API key is required (Authorization: Bearer <key>)")
        partner = await registry.authenticate(runtime, key)  # suspended: 403
        if partner is None:
            raise Unauthorized("unknown or revoked API key")
    record_actor(
        request,
        Principal(subject=f"partner:{partner.id}", roles=frozenset({Role.partner}), partner_id=partner.id),
    )
    if partner.id != partner_id:
        raise PartnerNotFound(partner_id)
    return partner


Partner = Annotated[PartnerEntity, Depends(current_partner)]


def _task_out(row: PartnerTask) -> TaskOut:
    asked = row.requested_amount if row.requested_amount is not None else row.remaining_amount
    return TaskOut(
        task_id=row.id,
        referral_id=row.record_id,
        status=row.status.value,
        status_reason=row.status_reason,
        case_ref=row.case_ref,
        county_code=row.county_code,
        township_code=row.township_code,
        need_type=row.need_type,
        remaining_amount=asked,
        household_size=row.household_size,
        contact_route=contact_route(row.township_code),
        offered_at=row.offered_at,
        expires_at=row.expires_at,
        responded_at=row.responded_at,
        completed_at=row.completed_at,
        fulfilled_amount=row.fulfilled_amount,
        fulfilled_form=row.fulfilled_form,
    )


WITHDRAWN_HIDDEN = (
    "case_ref",
    "county_code",
    "township_code",
    "need_type",
    "remaining_amount",
    "household_size",
    "contact_route",
    "fulfilled_amount",
    "fulfilled_form",
)
"""What a partner no longer sees of a task whose record was withdrawn (R-CHA-2): the needs record."""


def _withdrawn_out(row: PartnerTask) -> TaskOut:
    """The task's final status only (docs/partners.md: cancelled on withdrawal), no needs data."""
    out = _task_out(row)
    return out.model_copy(update=dict.fromkeys(WITHDRAWN_HIDDEN) | {"record_withdrawn": True})


async def _own_task(request: Request, partner: PartnerEntity, task_id: str) -> TaskOut:
    async with runtime_of(request, "referral").reading() as session:
        row = await repo.task_with_record(session, task_id)
    if row is not None:
        note_place(row.county_code, row.township_code)
    if row is None or row.partner_id != partner.id:
        raise ReferralNotFound(task_id)
    if row.record_status is RecordStatus.withdrawn:
        return _withdrawn_out(row)
    if row.record_status is not RecordStatus.published:
        raise ReferralNotFound(task_id)
    return _task_out(row)


@router.get(
    "/feed",
    response_model=FeedPage,
    summary="Pull feed: this partner's events after a cursor (withdrawn records disappear)",
)
async def feed(
    partner: Partner,
    request: Request,
    after: Annotated[str, Query(pattern=r"^\d{1,18}$", description="next_cursor of the last page")] = "0",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> FeedPage:
    async with runtime_of(request, "referral").reading() as session:
        rows = await repo.feed(session, partner.id, int(after), limit)
    return FeedPage(items=[r.envelope for r in rows], next_cursor=str(rows[-1].seq) if rows else after)


@router.get("/referrals", response_model=list[TaskOut], summary="This partner's referrals (newest first)")
async def list_referrals(
    partner: Partner,
    request: Request,
    status: Annotated[
        str | None,
        Query(
            pattern=r"^(requested|accepted|rejected|in-progress|"
            r"completed|cancelled)$"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[TaskOut]:
    async with runtime_of(request, "referral").reading() as session:
        rows = await repo.partner_tasks(session, partner.id, status, limit)
    return [_task_out(r) for r in rows]


@router.get("/referrals/{task_id}", response_model=TaskOut, summary="One of this partner's referrals")
async def get_referral(partner: Partner, task_id: TaskId, request: Request) -> TaskOut:
    return await _own_task(request, partner, task_id)


@router.post("/referrals/{task_id}/accept", response_model=TaskOut, summary="Accept an offer (Task accepted)")
async def accept(partner: Partner, task_id: TaskId, request: Request) -> TaskOut:
    await exchange.respond(runtime_of(request, "referral"), partner.id, task_id, Action.accept)
    return await _own_task(request, partner, task_id)


@router.post(
    "/referrals/{task_id}/decline",
    response_model=TaskOut,
    summary="Decline an offer with a reason (Task rejected); it goes to the next partner",
)
async def decline(partner: Partner, task_id: TaskId, body: DeclineIn, request: Request) -> TaskOut:
    await exchange.respond(
        runtime_of(request, "referral"), partner.id, task_id, Action.decline, reason=body.reason
    )
    return await _own_task(request, partner, task_id)


@router.post(
    "/referrals/{task_id}/start", response_model=TaskOut, summary="Work has started (Task in-progress)"
)
async def start(partner: Partner, task_id: TaskId, request: Request) -> TaskOut:
    await exchange.respond(runtime_of(request, "referral"), partner.id, task_id, Action.start)
    return await _own_task(request, partner, task_id)


@router.post(
    "/referrals/{task_id}/fulfil",
    response_model=TaskOut,
    summary="Help given: amount and form (Task completed)",
)
async def fulfil(partner: Partner, task_id: TaskId, body: FulfilIn, request: Request) -> TaskOut:
    await exchange.respond(
        runtime_of(request, "referral"),
        partner.id,
        task_id,
        Action.fulfil,
        amount=body.amount,
        form=body.form.value,
    )
    return await _own_task(request, partner, task_id)


@router.get("/deliveries", response_model=list[DeliveryOut], summary="This partner's webhook deliveries")
async def deliveries(
    partner: Partner, request: Request, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[DeliveryOut]:
    async with runtime_of(request, "referral").reading() as session:
        rows = await repo.deliveries(session, partner.id, None, limit)
    return [DeliveryOut.of(r) for r in rows]


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryOut,
    summary="Ask for a webhook delivery again (same webhook-id: deduplicate by it)",
)
async def redeliver_own(partner: Partner, delivery_id: DeliveryId, request: Request) -> DeliveryOut:
    return DeliveryOut.of(
        await redeliver(runtime_of(request, "referral"), delivery_id, partner_id=partner.id)
    )
