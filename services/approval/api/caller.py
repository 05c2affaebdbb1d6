"""Who acts (R-FLOW-1, R-FLOW-3): the recorded actor and acting level come from the token, never from the
request body; who may read, bring and decide re-examinations and complaints, and the jurisdiction their
overdue lists are scoped to (R-REX-1..4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query

from services.approval.domain.reexamination_rules import channel
from services.approval.domain.tiers import Level
from services.approval.schemas import BatchItem, DecisionIn, GrantIn, ReviewBatchItem, ReviewIn
from shared.access import DECIDERS, STAFF, require, scope
from shared.auth import Principal, Role

Body = TypeVar("Body", ReviewIn, DecisionIn, BatchItem, ReviewBatchItem, GrantIn)


def level_of(principal: Principal, requested: Level | None) -> Level:
    """The level the caller acts at (R-FLOW-3): county approvers at the county (or the township level when
    they also hold that role and ask for it), everyone else at the township."""
    if principal.has(Role.county_approver) and not (
        requested is Level.township and principal.has(Role.township_approver, Role.township_reviewer)
    ):
        return Level.county
    return Level.township


def as_caller(body: Body, principal: Principal) -> Body:
    """The recorded actor and acting level come from the token, never from the request body."""
    return body.model_copy(update={"actor": principal.subject, "role": level_of(principal, body.role)})


Reader = Annotated[Principal, Depends(require(*STAFF))]
Requester = Annotated[
    Principal,
    Depends(
        require(
            Role.intake_clerk,
            Role.township_reviewer,
            Role.township_approver,
            Role.county_approver,
            Role.gov_system,
        )
    ),
]
"""Who brings a re-examination request or a complaint for the applicant: township/county staff or a
government system on their behalf."""
Decider = Annotated[Principal, Depends(require(*DECIDERS))]


def channel_of(principal: Principal) -> str:
    """How a request or complaint came in (R-REX-1): a government system, or the township's/county's
    office."""
    return channel(principal.has(Role.gov_system), principal.township_code)


@dataclass(frozen=True, slots=True)
class OverdueScope:
    county_code: str | None
    township_code: str | None
    limit: int


def overdue_scope(
    principal: Reader,
    county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    township_code: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> OverdueScope:
    """The filters of an overdue list, narrowed to the caller's jurisdiction (a list is never wider)."""
    county, township = scope(principal, county_code, township_code)
    return OverdueScope(county, township, limit)


Overdue = Annotated[OverdueScope, Depends(overdue_scope)]
