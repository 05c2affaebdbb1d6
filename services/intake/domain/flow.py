"""How a case's status moves on as intake follows the other services' events: an event moves the case only
from the statuses it may follow, so a late, replayed or out-of-order event never moves a case back (a review
arriving after the decision, an assessment after the review). A ``needs_attention`` case is judged where it
stopped (``Application.flow_status``)."""

from __future__ import annotations

from collections.abc import Mapping

from services.intake.domain.model import ApplicationStatus

_S = ApplicationStatus
_UNDECIDED = frozenset(_S) - {_S.merged, _S.approved, _S.rejected}

MOVES_FROM: Mapping[ApplicationStatus, frozenset[ApplicationStatus]] = {
    _S.assessed: frozenset({_S.submitted}),
    _S.reviewed: frozenset({_S.submitted, _S.assessed}),
    _S.returned: frozenset({_S.submitted, _S.assessed, _S.reviewed}),
    _S.approved: _UNDECIDED,
    _S.rejected: _UNDECIDED,
}
"""The status an event moves a case to -> the statuses it may move it from."""


def moves_on(current: ApplicationStatus, to: ApplicationStatus) -> bool:
    """Whether an event that would put a case at ``to`` moves a case now at ``current``."""
    return current in MOVES_FROM.get(to, frozenset())
