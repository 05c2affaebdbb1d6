"""Referral's REST API, staff side (bearer JWTs, roles and jurisdiction: shared/access.py): needs records and
referral history per case, the partner registry, per-partner performance, webhook deliveries, the AsyncAPI
document. The partner side (API-key authenticated) is in ``api.partner``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from services.referral import repository as repo
from services.referral.api.asyncapi_doc import partner_asyncapi
from services.referral.api.partner import DeliveryId, PartnerId
from services.referral.domain.errors import CaseNotFound, PartnerNotFound
from services.referral.domain.model import Case, NeedsRecord
from services.referral.repository.contract_queries import rewards_of_partner
from services.referral.schemas import (
    NULLABLE,
    DeliveryOut,
    HistoryOut,
    NeedsRecordOut,
    PartnerCredentials,
    PartnerDetailOut,
    PartnerIn,
    PartnerOut,
    PartnerPatch,
    PartnerPatched,
    PerformanceOut,
    RewardOut,
    fields_of,
)
from services.referral.service import partners as registry
from services.referral.service.deliveries import redeliver
from shared.access import STAFF, ensure_covers, require, scope
from shared.api import PROBLEM_RESPONSES, UUID_PATTERN, CaseId, runtime_of
from shared.auth import Principal, Role

router = APIRouter(prefix="/referral/v1", tags=["referral"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Principal, Depends(require(*STAFF))]
Admin = Annotated[Principal, Depends(require(Role.policy_admin))]
Directory = Annotated[Principal, Depends(require(*STAFF, Role.policy_admin))]
Oversight = Annotated[Principal, Depends(require(Role.county_approver, Role.auditor, Role.policy_admin))]

CountyCode = Annotated[str | None, Query(pattern=r"^\d{6}$", description="a county code")]


def _covers(principal: Principal, records: list[NeedsRecord]) -> None:
    """Object level: a case's records are in one township; elsewhere the case does not exist."""
    for r in records:
        ensure_covers(principal, r.county_code, r.township_code)


def _known_case(principal: Principal, case_id: str, case: Case | None) -> None:
    """An unknown case, or one outside the caller's jurisdiction, is 404 (never an empty list)."""
    if case is None:
        raise CaseNotFound(case_id)
    decided = case.decision or {}
    ensure_covers(
        principal,
        case.county_code or decided.get("county_code"),
        case.township_code or decided.get("township_code"),
    )


@router.get(
    "/cases/{case_id}/needs-records",
    response_model=list[NeedsRecordOut],
    summary="Needs records shared with partner charities for a case",
)
async def case_records(case_id: CaseId, request: Request, principal: Reader) -> list[NeedsRecordOut]:
    async with runtime_of(request, "referral").reading() as session:
        _known_case(principal, case_id, await repo.known_case(session, case_id))
        rows = await repo.records_for(session, case_id)
    _covers(principal, rows)
    return [NeedsRecordOut.of(r) for r in rows]


@router.get(
    "/cases/{case_id}/referrals",
    response_model=list[HistoryOut],
    summary="A case's referral history: every offer to a partner and its outcome (township view)",
)
async def case_referrals(case_id: CaseId, request: Request, principal: Reader) -> list[HistoryOut]:
    async with runtime_of(request, "referral").reading() as session:
        _known_case(principal, case_id, await repo.known_case(session, case_id))
        _covers(principal, await repo.records_for(session, case_id))
        rows = await repo.case_history(session, case_id)
    return [
        HistoryOut(
            task_id=r.id,
            referral_id=r.record_id,
            **fields_of(r, HistoryOut, skip=("task_id", "referral_id")),
        )
        for r in rows
    ]


@router.post(
    "/partners",
    status_code=201,
    response_model=PartnerCredentials,
    summary="Register a partner organisation; its API key and webhook secret are shown only now",
    description="Scope: a county's policy admin registers partners serving only that county (403 naming "
    "`service_areas` otherwise); partners serving several counties are registered by city admins. "
    "The same scope governs changes, suspension and key rotation.",
)
async def register_partner(body: PartnerIn, request: Request, _: Admin) -> PartnerCredentials:
    row, key, secret = await registry.register(runtime_of(request, "referral"), body.model_dump(mode="json"))
    return PartnerCredentials(**PartnerOut.of(row).model_dump(), api_key=key, webhook_secret=secret)


@router.get("/partners", response_model=list[PartnerOut], summary="The partner directory")
async def list_partners(
    request: Request, _: Directory, status: Literal["active", "suspended"] | None = None
) -> list[PartnerOut]:
    async with runtime_of(request, "referral").reading() as session:
        rows = await repo.list_partners(session, status)
    return [PartnerOut.of(r) for r in rows]


@router.get(
    "/partners/{partner_id}",
    response_model=PartnerDetailOut,
    summary="One partner, with its rewards and commendations (R-CHA-3)",
)
async def get_partner(partner_id: PartnerId, request: Request, principal: Directory) -> PartnerDetailOut:
    async with runtime_of(request, "referral").reading() as session:
        row = await repo.get_partner(session, partner_id)
        if row is None:
            raise PartnerNotFound(partner_id)
        rewards = await rewards_of_partner(session, partner_id, principal.county_code)
    return PartnerDetailOut(**PartnerOut.of(row).model_dump(), rewards=[RewardOut.of(r) for r in rewards])


@router.patch(
    "/partners/{partner_id}",
    response_model=PartnerPatched,
    summary="Change a partner (status active/suspended, needs, areas, webhook); a first webhook URL "
    "returns its new secret once",
)
async def patch_partner(
    partner_id: PartnerId, body: PartnerPatch, request: Request, _: Admin
) -> PartnerPatched:
    changes = body.model_dump(mode="json", exclude_unset=True)
    changes = {k: v for k, v in changes.items() if v is not None or k in NULLABLE}
    row, secret = await registry.update(runtime_of(request, "referral"), partner_id, changes)
    return PartnerPatched(**PartnerOut.of(row).model_dump(), webhook_secret=secret)


@router.post(
    "/partners/{partner_id}/credentials",
    response_model=PartnerCredentials,
    summary="Issue a new API key (and webhook secret); the old ones stop working at once",
)
async def rotate_credentials(partner_id: PartnerId, request: Request, _: Admin) -> PartnerCredentials:
    row, key, secret = await registry.rotate(runtime_of(request, "referral"), partner_id)
    return PartnerCredentials(**PartnerOut.of(row).model_dump(), api_key=key, webhook_secret=secret)


@router.get(
    "/performance",
    response_model=list[PerformanceOut],
    summary="Per-partner performance (R-CHA-3): offers, acceptance rate, time to respond, amount fulfilled",
)
async def performance(
    request: Request, principal: Oversight, county_code: CountyCode = None
) -> list[PerformanceOut]:
    county_code, _ = scope(principal, county_code, None)
    async with runtime_of(request, "referral").reading() as session:
        rows = await repo.performance(session, county_code)
    return [
        PerformanceOut(
            **fields_of(r, PerformanceOut),
            acceptance_rate=round(r.accepted / r.offers, 4) if r.offers else None,
        )
        for r in rows
    ]


@router.get("/deliveries", response_model=list[DeliveryOut], summary="Webhook deliveries (e.g. dead letters)")
async def list_deliveries(
    request: Request,
    principal: Admin,
    partner_id: Annotated[str | None, Query(pattern=UUID_PATTERN)] = None,
    status: Literal["pending", "delivered", "dead_letter", "cancelled"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    async with runtime_of(request, "referral").reading() as session:
        rows = await repo.deliveries(session, partner_id, status, limit)
        if principal.county_code is not None:  # a county's admins see its partners' deliveries only
            managed = {
                p.id
                for p in await repo.list_partners(session, None)
                if registry.partner_county(p.service_areas) == principal.county_code
            }
            rows = [r for r in rows if r.partner_id in managed]
    return [DeliveryOut.of(r) for r in rows]


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryOut,
    summary="Send a delivered or dead-lettered webhook again (same webhook-id)",
)
async def redeliver_staff(delivery_id: DeliveryId, request: Request, _: Admin) -> DeliveryOut:
    return DeliveryOut.of(await redeliver(runtime_of(request, "referral"), delivery_id))


@router.get("/asyncapi.json", summary="AsyncAPI 3 document of the partner channels and payloads")
async def asyncapi(request: Request) -> dict[str, Any]:
    return partner_asyncapi(runtime_of(request, "referral"))
