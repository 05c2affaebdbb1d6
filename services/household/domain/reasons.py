"""Written reasons of a refusal (书面告知理由), in Chinese, each citing its rule id and the figures it used,
from the reasons assessment recorded (``CaseAssessed.reasons``) and the reviewer's written opinion."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _income(f: Mapping[str, str]) -> str:
    return (
        f"家庭人均可支配收入{f['per_capita_income']}元（家庭年收入{f['annual_household_income']}元÷"
        f"{f['household_size']}人），不低于上年当地人均可支配收入{f['previous_year_income_per_capita']}元"
    )


def _property(f: Mapping[str, str]) -> str:
    return (
        f"家庭财产超出当地规定：人均存款{f['deposits_per_capita']}元（限{f['limit_deposits_per_capita']}元），"
        f"车辆{f['vehicles']}辆（限{f['limit_vehicles']}辆），车辆价值{f['vehicle_value']}元"
        f"（限{f['limit_vehicle_value']}元），住房{f['houses']}套（限{f['limit_houses']}套）"
    )


def _self_paid(f: Mapping[str, str]) -> str:
    return f"扣除各项保险和救助后的自付费用{f['self_paid']}元，未达到{f['min_self_paid']}元"


_WORDINGS = (
    ("R-CAT-3", "per_capita_income", _income),
    ("R-CAT-3", "deposits_per_capita", _property),
    ("R-CAT-2", "self_paid", _self_paid),
)


def wording(reason: Mapping[str, Any]) -> str:
    """One failed rule in Chinese with its figures; an unknown one keeps assessment's own message."""
    figures: Mapping[str, str] = reason.get("figures") or {}
    rule = reason["rule"]
    for rule_id, key, render in _WORDINGS:
        if rule == rule_id and key in figures:
            try:
                return f"{render(figures)}（{rule}）"
            except KeyError:
                break
    if rule == "R-CAT-3" and not figures and "authoris" in reason.get("message", ""):
        return f"未签署家庭经济状况核对授权书（{rule}）"
    shown = "，".join(f"{k} {v}" for k, v in figures.items())
    return f"{reason.get('message', '')}（{rule}{'；' + shown if shown else ''}）"


def refusal_reasons(assessed: Sequence[Mapping[str, Any]], review_opinion: str | None) -> list[str]:
    """The numbered reasons of a refusal: every failed rule, then the reviewer's written opinion."""
    lines = [wording(r) for r in assessed if not r.get("passed", True)]
    if review_opinion:
        lines.append(f"审核意见：{review_opinion}（R-FLOW-1）")
    if not lines:
        lines.append("经审核审批，不符合临时救助条件（R-FLOW-1）")
    return [f"{i}．{line}" for i, line in enumerate(lines, 1)]  # no space: CJK text wraps with it
