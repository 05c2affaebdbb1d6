"""The published partner ranking's order and tie-breaks (R-CHA-3), and a contract's performance against its
targets and budget, on figures given here (pure rules, services/referral/domain/performance.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from services.referral.domain.contract_terms import ContractView
from services.referral.domain.model import Contract, PartnerNeedFigure
from services.referral.domain.performance import contract_performance, ranking


def fig(
    partner: str, uscc: str | None, offers: int, accepted: int, fulfilled: int, **kw: object
) -> PartnerNeedFigure:
    return PartnerNeedFigure(
        partner_id=partner,
        name=partner,
        uscc=uscc,
        need_type=str(kw.get("need", "living")),
        offers=offers,
        accepted=accepted,
        fulfilled=fulfilled,
        amount_delivered=Decimal(str(kw.get("amount", "0"))),
        response_seconds_total=Decimal(str(kw.get("seconds", 0))),
        responses=accepted,
    )


def test_equal_figures_share_a_rank_and_the_uscc_orders_them() -> None:
    rows = [
        fig("p-late", "B", 2, 2, 1, seconds=200, amount="10"),
        fig("p-early", "A", 2, 2, 1, seconds=200, amount="10"),
        fig("p-best", "Z", 1, 1, 1, seconds=9999),
    ]
    ranked = ranking(rows)
    assert [(r.partner_id, r.rank) for r in ranked] == [("p-best", 1), ("p-early", 2), ("p-late", 2)]


def test_a_partner_without_offers_is_not_ranked_and_one_without_acceptances_comes_last() -> None:
    rows = [fig("none", "A", 0, 0, 0), fig("refuser", "B", 3, 0, 0), fig("helper", "C", 1, 1, 0)]
    assert [r.partner_id for r in ranking(rows)] == ["helper", "refuser"]


def test_need_types_are_summed_per_partner_before_ranking() -> None:
    rows = [fig("p", "A", 1, 1, 1, amount="5"), fig("p", "A", 1, 0, 0, need="care")]
    [only] = ranking(rows)
    assert only.figures.shown()["acceptance_rate"] == Decimal("0.5000")
    assert only.figures.shown()["amount_delivered"] == Decimal("5")


def test_a_contracts_targets_and_budget_are_measured_per_need_type() -> None:
    contract = Contract(
        id="c",
        partner_id="p",
        county_code="140322",
        procurement_ref="ref",
        title="t",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        budget=Decimal("0.00"),
        targets=[{"need_type": "care", "volume": 3}],
        created_by="x",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    perf = contract_performance(
        ContractView(contract).signed, [fig("p", "A", 2, 2, 1, need="care", amount="40")]
    )
    assert perf["targets"] == [
        {"need_type": "care", "volume": 3, "fulfilled": 1, "progress": Decimal("0.3333")}
    ]
    assert perf["budget_used"] is None  # no budget, no ratio
