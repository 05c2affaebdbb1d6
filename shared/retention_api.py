"""The retention router every service mounts (R-RET-1, R-RET-2): its county policy versions, a dry run of
the purge, its application by a second officer, and the report. Mechanism in shared/retention.py."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from shared import clock, retention
from shared.access import ensure_county_level, ensure_covers, note_place, require
from shared.api import PROBLEM_RESPONSES, runtime_of
from shared.auth import Principal, Role
from shared.domain_errors import RecordNotFound

COUNTY = r"^\d{6}$"
OFFICERS = (Role.policy_admin, Role.county_approver)
"""Who makes a dry run and who applies it (two different people, R-RET-2)."""
READERS = (Role.policy_admin, Role.county_approver, Role.auditor)


class PolicyIn(BaseModel):
    effective_from: date = Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))
    years: dict[str, Annotated[int, Field(ge=1, le=100, strict=True)]] = Field(
        min_length=1, description=f"years after closure, per data class: {', '.join(retention.DATA_CLASSES)}"
    )
    reason: str | None = Field(default=None, max_length=500)


class PolicyVersionOut(BaseModel):
    version: str
    county_code: str | None
    effective_from: date
    years: dict[str, int]
    set_by: str | None
    reason: str | None


class PoliciesOut(BaseModel):
    county_code: str
    on: date
    in_force: dict[str, int] = Field(description="the periods in force today (local date), in years")
    national: list[PolicyVersionOut]
    county: list[PolicyVersionOut]


class DryRunIn(BaseModel):
    county_code: str = Field(pattern=COUNTY)


class ApplyIn(BaseModel):
    dry_run_id: str = Field(min_length=1, max_length=64)


class RunOut(BaseModel):
    id: str
    service: str
    county_code: str
    as_of: date = Field(description="the local date (Asia/Shanghai) the cut-offs were computed for")
    periods: dict[str, int]
    counts: dict[str, dict[str, int]] = Field(description="per class: cases and rows per table — counts only")
    status: str = Field(description="planned | applying | applied")
    planned_by: str
    planned_at: datetime
    applied_by: str | None
    applied_at: datetime | None
    applied: dict[str, int] | None = Field(description="per class: cases purged by the application")


def _version(v: retention.PolicyVersion) -> PolicyVersionOut:
    return PolicyVersionOut(**asdict(v))


def retention_router(service: str) -> APIRouter:
    router = APIRouter(prefix="/retention", tags=["retention"], responses=PROBLEM_RESPONSES)

    @router.get("/policies", summary="Retention periods per data class in force for a county (R-RET-1)")
    async def policies(
        request: Request,
        principal: Annotated[Principal, Depends(require(*READERS))],
        county_code: Annotated[str, Query(pattern=COUNTY)],
    ) -> PoliciesOut:
        ensure_covers(principal, county_code, None, what="county")
        runtime = runtime_of(request, service)
        today = clock.local_today()
        async with runtime.reading() as session:
            table = runtime.module.metadata.tables[f"{service}.retention_policies"]
            county = await retention.county_versions(session, table, county_code)
        return PoliciesOut(
            county_code=county_code,
            on=today,
            in_force=retention.in_force(retention.national_default(), county, today),
            national=[_version(v) for v in retention.national_default()],
            county=[_version(v) for v in county],
        )

    @router.put(
        "/policies/{county_code}",
        status_code=201,
        summary="A new effective-dated version of the county's retention periods (policy admin, R-RET-1)",
        description="Set at intake, the policy's one owner: it publishes the version (RetentionPolicySet) "
        "and the other five services keep a copy; on any other service this is a 409 naming intake. "
        "The same date, periods and reason as the county's latest version again (a retried request) is "
        "200 with that version and `Idempotent-Replayed: true`; nothing new is stored or published.",
        responses={
            200: {"description": "A replay of the county's latest version (Idempotent-Replayed)"},
            409: {"description": "Not the policy's owner: set the periods at intake"},
        },
    )
    async def set_policy(
        request: Request,
        response: Response,
        body: PolicyIn,
        principal: Annotated[Principal, Depends(require(Role.policy_admin))],
        county_code: Annotated[str, Path(pattern=COUNTY)],
    ) -> PolicyVersionOut:
        note_place(county_code, None)
        ensure_county_level(principal, county_code)
        made, replayed = await retention.set_policy(
            runtime_of(request, service), principal, county_code, body.effective_from, body.years, body.reason
        )
        if replayed:
            response.status_code = 200
            response.headers["Idempotent-Replayed"] = "true"
        return _version(made)

    @router.post(
        "/dry-runs",
        status_code=201,
        summary="What the purge would remove today, per data class: counts only, nothing changed (R-RET-2)",
    )
    async def dry_run(
        request: Request, body: DryRunIn, principal: Annotated[Principal, Depends(require(*OFFICERS))]
    ) -> RunOut:
        note_place(body.county_code, None)
        ensure_county_level(principal, body.county_code)
        made = await retention.dry_run(runtime_of(request, service), principal, body.county_code)
        return RunOut(**asdict(made))

    @router.post(
        "/purges",
        summary="Apply a dry run's set: a second officer, in batches, idempotent (R-RET-2)",
        responses={409: {"description": "No such dry run, or the same officer (four eyes)"}},
    )
    async def purge(
        request: Request, body: ApplyIn, principal: Annotated[Principal, Depends(require(*OFFICERS))]
    ) -> RunOut:
        runtime = runtime_of(request, service)
        county = await retention.run_county(runtime, body.dry_run_id)
        if county is not None:
            note_place(county, None)
            ensure_county_level(principal, county)
        done = await retention.apply(runtime, principal, body.dry_run_id)
        return RunOut(**asdict(done))

    @router.get("/runs/{run_id}", summary="A dry run and its application (counts only)")
    async def run(
        request: Request,
        principal: Annotated[Principal, Depends(require(*READERS))],
        run_id: Annotated[str, Path(max_length=64)],
    ) -> RunOut:
        runtime = runtime_of(request, service)
        county = await retention.run_county(runtime, run_id)
        if county is None:
            raise RecordNotFound("no such retention run", run_id=run_id)
        ensure_covers(principal, county, None, what="retention run")
        return RunOut(**asdict(await retention.report(runtime, run_id)))

    return router
