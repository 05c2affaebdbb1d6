"""Referral's REST API for partners' charity projects (需求导向, R-CHA-1) and for government schemes'
answers (R-AID-1), both API-key authenticated like ``api.partner``: a partner publishes and manages its own
projects; a scheme sees the referrals made to it and records their outcomes. Staff read the project
directory."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from services.referral.api.desk import SchemeReferralId, answer_scheme_referral
from services.referral.api.partner import _AUTH, Partner
from services.referral.domain.errors import ProjectNotFound
from services.referral.repository import project_queries as project_repo
from services.referral.repository import scheme_queries as schemes_repo
from services.referral.schemas import (
    ProjectIn,
    ProjectOut,
    ProjectPatch,
    SchemeOutcomeIn,
    SchemeReferralOut,
)
from services.referral.service import projects
from shared.access import STAFF, require
from shared.api import PROBLEM_RESPONSES, UUID_PATTERN, runtime_of
from shared.auth import Principal, Role

router = APIRouter(
    prefix="/referral/v1/partners/{partner_id}",
    tags=["referral: partners"],
    responses={**PROBLEM_RESPONSES, **_AUTH},
)
staff_router = APIRouter(prefix="/referral/v1", tags=["referral"], responses=PROBLEM_RESPONSES)
Directory = Annotated[Principal, Depends(require(*STAFF, Role.policy_admin))]
ProjectId = Annotated[str, Path(pattern=UUID_PATTERN, description="The project id")]


@router.post(
    "/projects",
    status_code=201,
    response_model=ProjectOut,
    summary="Publish a charity project: need types, area, capacity, budget, period, eligibility (R-CHA-1)",
)
async def publish_project(partner: Partner, body: ProjectIn, request: Request) -> ProjectOut:
    row = await projects.publish(runtime_of(request, "referral"), partner, body.model_dump(mode="python"))
    return ProjectOut.of(row)


@router.get("/projects", response_model=list[ProjectOut], summary="This partner's projects")
async def own_projects(partner: Partner, request: Request) -> list[ProjectOut]:
    async with runtime_of(request, "referral").reading() as session:
        rows = await project_repo.projects_of(session, partner.id, None)
    return [ProjectOut.of(r) for r in rows]


@router.get("/projects/{project_id}", response_model=ProjectOut, summary="One of this partner's projects")
async def own_project(partner: Partner, project_id: ProjectId, request: Request) -> ProjectOut:
    async with runtime_of(request, "referral").reading() as session:
        row = await project_repo.get_project(session, project_id)
    if row is None or row.partner_id != partner.id:
        raise ProjectNotFound(project_id)
    return ProjectOut.of(row)


@router.patch(
    "/projects/{project_id}",
    response_model=ProjectOut,
    summary="Change a project's capacity, budget, period, areas or eligibility, or withdraw it",
    description="A capacity below the places taken and held is refused: 409 `project-over-capacity`.",
)
async def patch_project(
    partner: Partner, project_id: ProjectId, body: ProjectPatch, request: Request
) -> ProjectOut:
    changes = {k: v for k, v in body.model_dump(mode="python", exclude_unset=True).items() if v is not None}
    row = await projects.update(runtime_of(request, "referral"), partner, project_id, changes)
    return ProjectOut.of(row)


@router.get(
    "/scheme-referrals",
    response_model=list[SchemeReferralOut],
    summary="A government scheme's referrals (its tasks, by due date)",
)
async def scheme_tasks(
    partner: Partner, request: Request, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[SchemeReferralOut]:
    async with runtime_of(request, "referral").reading() as session:
        rows = await schemes_repo.referrals_of_partner(session, partner.id, limit)
    return [SchemeReferralOut.of(r) for r in rows]


@router.post(
    "/scheme-referrals/{scheme_referral_id}/outcome",
    response_model=SchemeReferralOut,
    summary="The scheme's answer: accepted, applied, granted (amount) or refused (reason)",
)
async def scheme_outcome(
    partner: Partner, scheme_referral_id: SchemeReferralId, body: SchemeOutcomeIn, request: Request
) -> SchemeReferralOut:
    return await answer_scheme_referral(request, scheme_referral_id, body, partner.id)


@staff_router.get(
    "/projects", response_model=list[ProjectOut], summary="The charity project directory (R-CHA-1)"
)
async def project_directory(
    request: Request, _: Directory, status: Literal["open", "closed"] | None = None
) -> list[ProjectOut]:
    async with runtime_of(request, "referral").reading() as session:
        rows = await project_repo.projects_of(session, None, status)
    return [ProjectOut.of(r) for r in rows]
