"""How intake moves a case on from the other services' events (services/intake/domain/flow.py): only
forward from where the event finds the case, so a late or replayed event never moves it back."""

import pytest

from services.intake.domain.flow import moves_on
from services.intake.domain.model import ApplicationStatus as S


def test_an_assessment_moves_only_a_submitted_case() -> None:
    assert moves_on(S.submitted, S.assessed)
    assert not any(moves_on(s, S.assessed) for s in S if s is not S.submitted)


def test_a_review_moves_a_submitted_or_assessed_case_and_never_a_decided_one() -> None:
    assert moves_on(S.submitted, S.reviewed) and moves_on(S.assessed, S.reviewed)
    for later in (S.reviewed, S.returned, S.approved, S.rejected, S.merged):
        assert not moves_on(later, S.reviewed), later


def test_a_return_moves_a_case_not_yet_decided() -> None:
    assert all(moves_on(s, S.returned) for s in (S.submitted, S.assessed, S.reviewed))
    assert not any(moves_on(s, S.returned) for s in (S.held, S.returned, S.approved, S.rejected, S.merged))


@pytest.mark.parametrize("decision", [S.approved, S.rejected])
def test_a_decision_moves_every_undecided_case_but_never_a_merged_or_decided_one(decision: S) -> None:
    for undecided in (S.held, S.submitted, S.assessed, S.reviewed, S.returned, S.needs_attention):
        assert moves_on(undecided, decision), undecided
    for final in (S.merged, S.approved, S.rejected):
        assert not moves_on(final, decision), final


def test_no_event_moves_a_case_back_to_where_it_started() -> None:
    assert not any(moves_on(s, to) for s in S for to in (S.submitted, S.held, S.merged, S.needs_attention))
