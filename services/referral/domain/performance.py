"""Partners' performance (R-CHA-3 激励扶持): the published ranking of a county's partners for a period and
each purchased-service contract's performance against its targets, from the offers made (pure rules).

Figures, all over the offers made to the partner in the county in the period (by the offer's local date):
``acceptance_rate`` = accepted / offers; ``fulfilment_rate`` = fulfilled / accepted (none accepted: no
rate); ``avg_response_seconds`` = the mean time from offer to acceptance over the accepted offers;
``amount_delivered`` = the sum of the fulfilled amounts.

Ranking order (documented tie-breaks, exact rates so no rounding makes a tie): fulfilment rate (higher
first, none last), then acceptance rate (higher first), then mean response time (shorter first, none
last), then amount delivered (more first), then the partner's USCC and id (ascending) so that the order
is total and the same on every run. Equal figures on every measure share a rank (competition ranking
1, 2, 2, 4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from services.referral.domain.contract_terms import Terms
from services.referral.domain.model import PartnerNeedFigure
from shared.money import ZERO

RATE = Decimal("0.0001")
SECONDS = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class Figures:
    """Summed counts of one partner (or one of its need types)."""

    offers: int = 0
    accepted: int = 0
    fulfilled: int = 0
    amount_delivered: Decimal = ZERO
    response_seconds_total: Decimal = ZERO
    responses: int = 0

    def plus(self, f: PartnerNeedFigure | Figures) -> Figures:
        return Figures(
            self.offers + f.offers,
            self.accepted + f.accepted,
            self.fulfilled + f.fulfilled,
            self.amount_delivered + f.amount_delivered,
            self.response_seconds_total + f.response_seconds_total,
            self.responses + f.responses,
        )

    @property
    def acceptance(self) -> Fraction | None:
        return Fraction(self.accepted, self.offers) if self.offers else None

    @property
    def fulfilment(self) -> Fraction | None:
        return Fraction(self.fulfilled, self.accepted) if self.accepted else None

    @property
    def mean_response(self) -> Fraction | None:
        return Fraction(self.response_seconds_total) / self.responses if self.responses else None

    def shown(self) -> dict[str, Any]:
        """The figures as published: rates to 4 places, seconds to 0.1 (half up)."""
        return {
            "offers": self.offers,
            "accepted": self.accepted,
            "fulfilled": self.fulfilled,
            "acceptance_rate": _decimal(self.acceptance, RATE),
            "fulfilment_rate": _decimal(self.fulfilment, RATE),
            "avg_response_seconds": _decimal(self.mean_response, SECONDS),
            "amount_delivered": self.amount_delivered,
        }


def _decimal(value: Fraction | None, places: Decimal) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(places, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class RankedPartner:
    rank: int
    partner_id: str
    name: str
    uscc: str | None
    figures: Figures


def _sort_key(row: tuple[str, str, str | None, Figures]) -> tuple[Any, ...]:
    partner_id, _, uscc, f = row
    fulfilment, acceptance, response = f.fulfilment, f.acceptance, f.mean_response
    return (
        fulfilment is None,
        -(fulfilment or 0),
        acceptance is None,
        -(acceptance or 0),
        response is None,
        response or 0,
        -f.amount_delivered,
        uscc is None,
        uscc or "",
        partner_id,
    )


def _measures(f: Figures) -> tuple[Any, ...]:
    return (f.fulfilment, f.acceptance, f.mean_response, f.amount_delivered)


def ranking(rows: list[PartnerNeedFigure]) -> list[RankedPartner]:
    """Partners with at least one offer in the period, in the documented order (module docstring)."""
    totals: dict[str, tuple[str, str, str | None, Figures]] = {}
    for r in rows:
        _, name, uscc, figures = totals.get(r.partner_id, (r.partner_id, r.name, r.uscc, Figures()))
        totals[r.partner_id] = (r.partner_id, name, uscc, figures.plus(r))
    ordered = sorted((t for t in totals.values() if t[3].offers > 0), key=_sort_key)
    ranked: list[RankedPartner] = []
    for position, (partner_id, name, uscc, figures) in enumerate(ordered, start=1):
        tied = ranked and _measures(ranked[-1].figures) == _measures(figures)
        rank = ranked[-1].rank if tied else position
        ranked.append(RankedPartner(rank, partner_id, name, uscc, figures))
    return ranked


def overlaps(a_start: date, a_end: date, b_start: date, b_end: date) -> bool:
    """Two inclusive periods share a day."""
    return a_start <= b_end and b_start <= a_end


def contract_performance(terms: Terms, rows: list[PartnerNeedFigure]) -> dict[str, Any]:
    """A contract's performance (R-CHA-3) against the terms in force (``domain.contract_terms``): the
    partner's figures in the contract's county over the days counted, each target's volume against the help
    fulfilled for that need type, and the amount delivered against the budget."""
    by_need: dict[str, Figures] = {}
    for r in rows:
        by_need[r.need_type] = by_need.get(r.need_type, Figures()).plus(r)
    total = Figures()
    for f in by_need.values():
        total = total.plus(f)
    targets = []
    for t in terms.targets:
        done = by_need.get(t["need_type"], Figures()).fulfilled
        volume = int(t["volume"])
        targets.append(
            {
                "need_type": t["need_type"],
                "volume": volume,
                "fulfilled": done,
                "progress": _decimal(Fraction(done, volume), RATE) if volume else None,
            }
        )
    budget_used = (
        _decimal(Fraction(total.amount_delivered) / Fraction(terms.budget), RATE)
        if terms.budget > ZERO
        else None
    )
    return {
        **total.shown(),
        "targets": targets,
        "budget": terms.budget,
        "budget_used": budget_used,
        "by_need_type": [{"need_type": k, **v.shown()} for k, v in sorted(by_need.items())],
    }
