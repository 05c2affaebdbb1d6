"""Assessment's REST API: results with every reason and figure, and the policy configuration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status

from services.assessment import repository as repo
from services.assessment import service
from services.assessment.domain.errors import AssessmentNotFound
from services.assessment.domain.model import VerificationKind
from services.assessment.domain.policy import Policy
from services.assessment.schemas import (
    AssessmentOut,
    CaseVerificationOut,
    EssentialItemIn,
    EssentialItemOut,
    RaiseIn,
    VerificationAnswerIn,
    VerificationOut,
)
from services.assessment.service import verification
from shared.access import PROTECTION, STAFF, ensure_county_level, ensure_covers, require
from shared.api import PROBLEM_RESPONSES, CaseId, runtime_of
from shared.auth import Principal, Role
from shared.errors import Problem
from shared.person_data import PersonDataIn, PersonDataSection, dumped, per_case

router = APIRouter(prefix="/assessment/v1", tags=["assessment"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Principal, Depends(require(*STAFF))]
County = Annotated[Principal, Depends(require(Role.county_approver))]
PolicyReader = Annotated[Principal, Depends(require(*STAFF, Role.policy_admin))]
Admin = Annotated[Principal, Depends(require(Role.policy_admin))]
Protector = Annotated[Principal, Depends(require(*PROTECTION))]
RequestId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")]
ItemName = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[a-z0-9_]+$")]


@router.get("/cases/{case_id}", response_model=AssessmentOut, summary="The latest assessment of a case")
async def latest_assessment(case_id: CaseId, request: Request, principal: Reader) -> AssessmentOut:
    rows = await _assessments(request, case_id, principal)
    return rows[0]


@router.get(
    "/cases/{case_id}/assessments",
    response_model=list[AssessmentOut],
    summary="Every assessment of a case, newest revision first",
)
async def all_assessments(case_id: CaseId, request: Request, principal: Reader) -> list[AssessmentOut]:
    return await _assessments(request, case_id, principal)


async def _assessments(request: Request, case_id: str, principal: Principal) -> list[AssessmentOut]:
    async with runtime_of(request, "assessment").reading() as session:
        found = await repo.for_case(session, case_id)
    if not found:
        raise AssessmentNotFound(case_id)
    ensure_covers(principal, found[0].county_code, found[0].township_code)
    return [AssessmentOut.of(a) for a in found]


@router.post(
    "/cases/{case_id}/raises",
    response_model=AssessmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record a county-government raise (R-AMT-4): a new assessment revision, the old one stays",
    description="Approval takes the raised amount while the case awaits review (or was returned). A case "
    "approval has decided already: 409 `case-already-decided` (R-AMT-4); an ineligible case: 409 "
    "`not-eligible`; a raise beyond the policy's absolute maximum of months (R-AMT-2) or not above the "
    "current amount (R-AMT-4): 409 `raise-refused` naming the field; neither or both of months and "
    "amount, or a decision dated in the future: 422 naming the field.",
)
async def record_raise(case_id: CaseId, body: RaiseIn, request: Request, principal: County) -> AssessmentOut:
    body = body.model_copy(update={"recorded_by": principal.subject})
    return AssessmentOut.of(await service.record_raise(runtime_of(request, "assessment"), case_id, body))


@router.get("/policies", response_model=list[Policy], summary="Policy versions, per county, effective-dated")
async def list_policies(
    request: Request, _: PolicyReader, county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None
) -> list[Policy]:
    async with runtime_of(request, "assessment").reading() as session:
        return await repo.list_policies(session, county_code)


@router.post(
    "/policies",
    response_model=Policy,
    status_code=status.HTTP_201_CREATED,
    summary="Add a policy version (versions are immutable; assessments pin the one they used)",
)
async def add_policy(policy: Policy, request: Request, principal: Admin) -> Policy:
    ensure_county_level(principal, policy.county_code, "county policy")
    return await service.add_policy(runtime_of(request, "assessment"), policy, created_by=principal.subject)


Verifier = Annotated[Principal, Depends(require(Role.gov_system))]
Officer = Annotated[
    Principal, Depends(require(Role.township_reviewer, Role.township_approver, Role.county_approver))
]
ANSWER_ERRORS = (
    "An unknown request id: 404 `verification-request-not-found`; an answer after approval decided the case: "
    "409 `verification-answer-after-decision` naming the decision (nothing applied); a different second "
    "answer: 409 `verification-already-answered`; a request not awaiting an answer (overdue): 409 "
    "`verification-not-awaited`; members not those asked about or a figure missing: 422 naming the field; a "
    "government system other than the configured verification system: 403."
)


@router.get(
    "/cases/{case_id}/verification",
    response_model=CaseVerificationOut,
    summary="Declared against verified (R-CAT-3), registry statuses (R-CAT-4), requests' states and holds",
)
async def case_verification(case_id: CaseId, request: Request, principal: Reader) -> CaseVerificationOut:
    return await verification.case_view(runtime_of(request, "assessment"), case_id)


def _verifier(request: Request, principal: Principal) -> None:
    expected = runtime_of(request, "assessment").settings
    if principal.subject != getattr(expected, "verification_system", None):
        raise Problem(
            "only the configured verification system answers verification requests",
            status=403,
            slug="forbidden",
            title="Forbidden",
        )


@router.post(
    "/verification-answers/{request_id}",
    response_model=VerificationOut,
    summary="The city verification system's answer (callback, R-CAT-3): verified figures per member",
    description=ANSWER_ERRORS,
)
async def verification_answer(
    request_id: RequestId, body: VerificationAnswerIn, request: Request, principal: Verifier
) -> VerificationOut:
    return await _answer(request, principal, VerificationKind.economic, request_id, body)


@router.post(
    "/registry-answers/{request_id}",
    response_model=VerificationOut,
    summary="The source registry's answer (callback, R-CAT-4): 低保/特困/建档立卡 status per member",
    description=ANSWER_ERRORS,
)
async def registry_answer(
    request_id: RequestId, body: VerificationAnswerIn, request: Request, principal: Verifier
) -> VerificationOut:
    return await _answer(request, principal, VerificationKind.registry, request_id, body)


async def _answer(
    request: Request,
    principal: Principal,
    kind: VerificationKind,
    request_id: str,
    body: VerificationAnswerIn,
) -> VerificationOut:
    _verifier(request, principal)
    runtime = runtime_of(request, "assessment")
    await verification.answer_by_callback(
        runtime, kind, request_id, body.model_dump(exclude={"request_id", "status"})
    )
    view = await verification.case_view_of_request(runtime, request_id)
    return view


@router.post(
    "/cases/{case_id}/essential-spending/{item}",
    response_model=EssentialItemOut,
    summary="Record an essential-spending item as verified by the calling officer (R-CAT-4)",
    description="An item not on the case's checklist (or no checklist: the household is not "
    "registry-confirmed 低保/特困/建档立卡): 404 `essential-item-not-found`; an item verified already: 409 "
    "`essential-item-already-verified`.",
)
async def verify_essential_item(
    case_id: CaseId, item: ItemName, body: EssentialItemIn, request: Request, principal: Officer
) -> EssentialItemOut:
    done = await verification.verify_essential_item(
        runtime_of(request, "assessment"), case_id, item, officer=principal.subject, finding=body.finding
    )
    return EssentialItemOut(
        item=done.item, verified_by=done.verified_by, verified_at=done.verified_at, finding=done.finding
    )


@router.post(
    "/person-data",
    response_model=PersonDataSection,
    summary="A person's records held by assessment (PIPL art. 45): the assessments and verification of the "
    "cases intake names, within the caller's jurisdiction",
    description="Called by intake's export (`POST /intake/v1/person-data/export`) with the caller's token; "
    "the ID number is in the body, never in a URL or a log. Unknown or uncovered cases are absent.",
)
async def person_data(body: PersonDataIn, request: Request, principal: Protector) -> PersonDataSection:
    runtime = runtime_of(request, "assessment")
    assessments = await per_case(body.case_ids, lambda c: _assessments(request, c, principal))
    checks = await per_case(body.case_ids, lambda c: verification.case_view(runtime, c))
    return PersonDataSection(
        service="assessment",
        records={
            "assessments": dumped(assessments),
            "verification": dumped(checks),
        },
    )
