"""What of a case's copied needs and assessment is personal (R-RET-2): the purge's scrubs of approval's
``cases.needs`` and ``cases.assessment`` JSON (the CaseAssessed payload as received).

- **health** (the shorter period): the amounts of the needs (a medical need's amount is the household's
  medical burden), the self-paid medical costs, the burden ratio of an extended duration and the rules'
  reasons — their messages and the figures they used cite the bills, the self-paid part and the income.
- **application_personal**: the per-capita income, and the county raise's free-text reason (it describes
  the household's situation; who decided, when and under which minutes stay).

What the decision and the figures read stays: need types, months, the monthly standard, the amount,
household size and persons helped, the tier and policy of an extended duration, eligibility and each
rule's id and outcome."""

from __future__ import annotations

from typing import Any

PURGED = "已清除"
"""The text a purged value reads as (shared.retention.PSEUDONYM_TEXT; domain code imports no framework)."""
ZERO_MONEY = "0.00"


def _needs(needs: Any) -> Any:
    if not isinstance(needs, list):
        return needs
    return [{**n, "amount": ZERO_MONEY} if isinstance(n, dict) else n for n in needs]


def scrub_needs(needs: Any) -> Any:
    """``cases.needs`` without the amounts (health, R-RET-2)."""
    return _needs(needs)


def _reason(reason: Any) -> Any:
    if not isinstance(reason, dict):
        return reason
    figures = reason.get("figures") or {}
    return {**reason, "message": PURGED, "figures": dict.fromkeys(figures, PURGED)}


def scrub_assessment_health(assessment: dict[str, Any]) -> dict[str, Any]:
    """``cases.assessment`` without its health figures (R-RET-2)."""
    out = dict(assessment)
    if "needs" in out:
        out["needs"] = _needs(out["needs"])
    if out.get("self_paid") is not None:
        out["self_paid"] = None
    if isinstance(out.get("reasons"), list):
        out["reasons"] = [_reason(r) for r in out["reasons"]]
    extended = out.get("extended_duration")
    if isinstance(extended, dict) and "burden_ratio" in extended:
        out["extended_duration"] = {**extended, "burden_ratio": "0"}
    return out


def scrub_assessment_personal(assessment: dict[str, Any]) -> dict[str, Any]:
    """``cases.assessment`` without the household's income and the raise's reason (R-RET-2)."""
    out = dict(assessment)
    if out.get("per_capita_income") is not None:
        out["per_capita_income"] = None
    raised = out.get("raise_decision")
    if isinstance(raised, dict) and raised.get("reason") is not None:
        out["raise_decision"] = {**raised, "reason": PURGED}
    return out
