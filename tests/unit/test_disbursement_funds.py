"""Pure disbursement rules: the reserve-fund allocation and balance (R-RES), payment states (R-AID-2)."""

from decimal import Decimal

import pytest

from services.disbursement.domain.rules import (
    balance_after_draw,
    payment_reference,
    result_allowed,
    retry_allowed,
    yearly_allocation,
)


def test_yearly_allocation_is_the_county_proportion_of_last_years_spending_to_the_fen():
    assert yearly_allocation(Decimal("0.1"), Decimal("123456.78")) == Decimal("12345.68")
    assert yearly_allocation(Decimal("0.0333"), Decimal("1000.00")) == Decimal("33.30")
    assert yearly_allocation(Decimal("0"), Decimal("1000.00")) == Decimal("0.00")
    with pytest.raises(ValueError):
        yearly_allocation(Decimal("1.5"), Decimal("1"))


def test_the_balance_never_goes_negative():
    assert balance_after_draw(Decimal("100.00"), Decimal("100.00")) == Decimal("0.00")
    assert balance_after_draw(Decimal("100.00"), Decimal("100.01")) is None
    with pytest.raises(ValueError):
        balance_after_draw(Decimal("100.00"), Decimal("0"))


def test_results_follow_the_payment_state():
    assert result_allowed("scheduled", "paid") and result_allowed("scheduled", "failed")
    assert result_allowed("paid", "returned")
    assert not result_allowed("paid", "paid") and not result_allowed("paid", "failed")
    assert not result_allowed("failed", "paid") and not result_allowed("awaiting_handover", "paid")
    assert retry_allowed("failed") and retry_allowed("returned") and retry_allowed("unfunded")
    assert not retry_allowed("paid") and not retry_allowed("scheduled")


def test_the_reference_is_stable_per_case_and_stage():
    case = "0b7e7c1e-1111-2222-3333-444455556666"
    assert payment_reference(case, 1) == payment_reference(case, 1) != payment_reference(case, 2)
    assert payment_reference(case, 0).endswith("-00")
