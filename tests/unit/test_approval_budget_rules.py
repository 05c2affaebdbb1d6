"""Budgets (R-OVS-3), the pure rules: which source a case draws on, whether an approval fits, refusal or
escalation beyond the envelope (R-FLOW-3), help first never held back (R-FLOW-2), spreading a payment."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from services.approval.domain.budget import (
    BudgetPolicy,
    Envelope,
    Verdict,
    plan_commitment,
    sources_for,
    spread,
)
from services.approval.domain.tiers import Level

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def envelope(
    source: str, amount: str, committed: str = "0.00", spent: str = "0.00", ident: int = 1
) -> Envelope:
    return Envelope(
        ident, "140302", 2026, source, Decimal(amount), Decimal(committed), Decimal(spent), None, NOW
    )


def policy(order: list[str], by_category: dict[str, list[str]] | None = None) -> BudgetPolicy:
    return BudgetPolicy(1, "140302", date(2026, 1, 1), order, by_category or {}, "refuse", None, NOW)


def test_a_sub_types_own_order_wins_over_its_category_and_the_county_order() -> None:
    rules = policy(["central"], {"emergency": ["local"], "fire_or_accident": ["provincial", "local"]})
    assert sources_for(rules, "emergency", "fire_or_accident") == ["provincial", "local"]
    assert sources_for(rules, "emergency", "sudden_illness") == ["local"]
    assert sources_for(rules, "expenditure", "medical") == ["central"]
    assert sources_for(None, "expenditure", "medical") == ["central", "provincial", "local"]


def test_the_first_source_with_the_whole_amount_left_takes_it_to_the_fen() -> None:
    envelopes = {
        "central": envelope("central", "1000.00", committed="600.00", spent="399.99", ident=1),
        "local": envelope("local", "0.01", ident=2),
    }
    verdict, plan = plan_commitment(
        envelopes, ["central", "local"], Decimal("0.01"), over_envelope="refuse", level=Level.township
    )
    assert verdict is Verdict.fits and plan is not None and plan.envelope.source == "central"
    verdict, plan = plan_commitment(
        envelopes, ["central", "local"], Decimal("0.02"), over_envelope="refuse", level=Level.county
    )
    assert (verdict, plan) == (Verdict.refused, None)  # 0.01 + 0.01 left, but never split over sources


def test_beyond_the_envelope_escalate_sends_the_township_up_and_lets_the_county_overrun() -> None:
    envelopes = {"central": envelope("central", "100.00", committed="90.00")}
    township = plan_commitment(
        envelopes, ["central"], Decimal("15.00"), over_envelope="escalate", level=Level.township
    )
    assert township == (Verdict.escalated, None)
    verdict, plan = plan_commitment(
        envelopes, ["central"], Decimal("15.00"), over_envelope="escalate", level=Level.county
    )
    assert verdict is Verdict.fits and plan is not None and plan.overrun == Decimal("5.00")
    refused = plan_commitment(
        envelopes, ["central"], Decimal("15.00"), over_envelope="refuse", level=Level.county
    )
    assert refused == (Verdict.refused, None)


def test_no_envelope_set_refuses_an_approval_but_never_help_first() -> None:
    assert plan_commitment(
        {}, ["central"], Decimal("1.00"), over_envelope="escalate", level=Level.township
    ) == (
        Verdict.refused,
        None,
    )
    assert plan_commitment(
        {}, ["central"], Decimal("1.00"), over_envelope="refuse", level=Level.township, help_first=True
    ) == (Verdict.fits, None)
    short = {"local": envelope("local", "10.00")}
    verdict, plan = plan_commitment(
        short, ["local"], Decimal("25.50"), over_envelope="refuse", level=Level.township, help_first=True
    )
    assert verdict is Verdict.fits and plan is not None and plan.overrun == Decimal("15.50")


def test_a_payment_spreads_over_commitments_in_order_and_says_what_found_no_room() -> None:
    shares, rest = spread(
        [(1, Decimal("400.00")), (2, Decimal("0.00")), (3, Decimal("500.00"))], Decimal("700.01")
    )
    assert shares == [(1, Decimal("400.00")), (3, Decimal("300.01"))] and rest == Decimal("0.00")
    shares, rest = spread([(1, Decimal("1.00"))], Decimal("1.50"))
    assert shares == [(1, Decimal("1.00"))] and rest == Decimal("0.50")
