"""Who acts (R-FLOW-1, R-FLOW-3): the recorded actor and acting level come from the token, never from the
request body."""

from __future__ import annotations

from typing import TypeVar

from services.approval.domain.tiers import Level
from services.approval.schemas import BatchItem, DecisionIn, GrantIn, ReviewBatchItem, ReviewIn
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
