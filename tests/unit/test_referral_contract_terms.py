"""The terms of a purchased-service contract in force on a day, the days it counts and holds, and the
refusals of amendments and cancellations (R-CHA-3; pure rules, services/referral/domain/contract_terms.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from services.referral.domain.contract_terms import (
    ContractView,
    amendment_changes,
    check_amendment,
    check_budget,
    check_cancellation,
)
from services.referral.domain.errors import BudgetBelowSpent, ContractCancelled
from services.referral.domain.model import Contract, ContractAmendment, ContractCancellation
from shared.domain_errors import InvalidValue

NOW = datetime(2026, 10, 1, tzinfo=UTC)
CONTRACT = Contract(
    id="c",
    partner_id="p",
    county_code="140322",
    procurement_ref="ref",
    title="t",
    starts_on=date(2026, 10, 1),
    ends_on=date(2026, 10, 31),
    budget=Decimal("20000.00"),
    targets=[{"need_type": "living", "volume": 4}],
    created_by="x",
    created_at=NOW,
)


def amendment(revision: int, effective: date, budget: str, ends_on: date) -> ContractAmendment:
    return ContractAmendment(
        id=str(revision),
        contract_id="c",
        revision=revision,
        effective_on=effective,
        budget=Decimal(budget),
        ends_on=ends_on,
        targets=CONTRACT.targets,
        changes={},
        reason="r",
        amended_by="x",
        amended_at=NOW,
    )


AMENDED = ContractView(
    CONTRACT,
    [
        amendment(1, date(2026, 10, 10), "15000.00", date(2026, 11, 30)),
        amendment(2, date(2026, 10, 20), "12000.00", date(2026, 12, 31)),
    ],
)


def test_the_terms_in_force_are_the_latest_amendment_effective_on_or_before_the_day() -> None:
    assert AMENDED.in_force(date(2026, 10, 9)).revision == 0
    assert AMENDED.in_force(date(2026, 10, 10)).budget == Decimal("15000.00")  # on its effective day
    assert AMENDED.in_force(date(2026, 10, 19)).revision == 1
    assert AMENDED.in_force(date(2027, 6, 1)).revision == 2
    assert AMENDED.in_force(date(2026, 9, 1)).budget == CONTRACT.budget  # before the start: as signed


def test_a_contract_counts_up_to_the_day_asked_its_end_in_force_and_the_day_before_its_cancellation() -> None:
    assert AMENDED.counted_until(date(2026, 10, 15)) == date(2026, 10, 15)
    assert AMENDED.counted_until(date(2027, 1, 5)) == date(2026, 12, 31)
    cancelled = ContractView(
        CONTRACT, AMENDED.amendments, ContractCancellation("c", date(2026, 11, 15), "r", "x", NOW)
    )
    assert cancelled.counted_until(date(2027, 1, 5)) == date(2026, 11, 14)
    assert cancelled.holds_until == date(2026, 11, 14)
    assert AMENDED.holds_until == date(2026, 12, 31)


def test_an_amendment_is_refused_outside_the_period_before_the_latest_one_or_after_a_cancellation() -> None:
    assert check_amendment(AMENDED, date(2026, 10, 20)).revision == 2
    for day in (date(2026, 9, 30), date(2027, 1, 1), date(2026, 10, 19)):
        with pytest.raises(InvalidValue) as refused:
            check_amendment(AMENDED, day)
        assert refused.value.field == "effective_on"
    cancelled = ContractView(CONTRACT, [], ContractCancellation("c", date(2026, 10, 15), "r", "x", NOW))
    with pytest.raises(ContractCancelled):
        check_amendment(cancelled, date(2026, 10, 20))
    with pytest.raises(ContractCancelled):
        check_cancellation(cancelled, date(2026, 10, 20))


def test_an_amendment_names_old_and_new_values_and_only_extends_the_period() -> None:
    current = AMENDED.latest
    assert amendment_changes(current, {"budget": Decimal("9000.00"), "ends_on": date(2027, 1, 31)}) == {
        "budget": {"from": "12000.00", "to": "9000.00"},
        "ends_on": {"from": "2026-12-31", "to": "2027-01-31"},
    }
    with pytest.raises(InvalidValue) as shorter:
        amendment_changes(current, {"ends_on": date(2026, 12, 31)})
    assert shorter.value.field == "ends_on"
    with pytest.raises(InvalidValue):
        amendment_changes(current, {"budget": Decimal("12000.00")})  # changes nothing


def test_a_cancellation_takes_effect_within_the_period_in_force_that_day() -> None:
    check_cancellation(AMENDED, date(2026, 12, 31))  # the extended end
    check_cancellation(ContractView(CONTRACT), date(2026, 10, 1))  # its first day
    for view, day in ((ContractView(CONTRACT), date(2026, 11, 1)), (AMENDED, date(2026, 9, 30))):
        with pytest.raises(InvalidValue) as refused:
            check_cancellation(view, day)
        assert refused.value.field == "effective_on"


def test_a_budget_may_not_go_below_what_was_delivered_plus_what_accepted_offers_hold() -> None:
    check_budget(Decimal("6500.00"), Decimal("1500.00"), Decimal("5000.00"))
    with pytest.raises(BudgetBelowSpent):
        check_budget(Decimal("6499.99"), Decimal("1500.00"), Decimal("5000.00"))
