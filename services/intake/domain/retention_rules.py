"""What of an application's stated facts is personal (R-RET-2): the purge's scrub of the ``facts`` column of
applications and their revisions (class ``application_personal``).

The facts hold no name or ID number (those are sealed in ``personal``) but the household's figures: its
declared income, property, medical and education costs, the amounts of its stated needs and its members'
ages. Those become zero (or no amount); what the readers and the figures use stays: the shape, the members'
relations and 低保/特困/建档立卡 flags (also kept on ``intake.members``), the need types, whether the incident
is ongoing (duplicate screening) and the months asked for."""

from __future__ import annotations

from typing import Any

ZERO_MONEY = "0.00"
FIGURE_PARTS = ("property", "medical", "education")
"""Parts of the facts made of the household's own amounts and counts only."""


def zeroed(value: Any) -> Any:
    """The same shape with every amount (a decimal string) "0.00" and every count 0; flags and nulls kept."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return 0
    if isinstance(value, str):
        return ZERO_MONEY
    if isinstance(value, list):
        return [zeroed(v) for v in value]
    if isinstance(value, dict):
        return {k: zeroed(v) for k, v in value.items()}
    return value


def scrub_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """An application revision's facts without the household's figures (R-RET-2)."""
    out = dict(facts)
    if "annual_household_income" in out:
        out["annual_household_income"] = ZERO_MONEY
    for part in FIGURE_PARTS:
        if out.get(part) is not None:
            out[part] = zeroed(out[part])
    if isinstance(out.get("needs"), list):
        out["needs"] = [{**n, "amount": None} for n in out["needs"]]
    if isinstance(out.get("household"), list):
        out["household"] = [{**m, "age": 0} for m in out["household"]]
    return out
