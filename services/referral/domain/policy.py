"""The referral desk's county policy (seed/referral_policy.json, effective-dated; policy is data): the due
date of a scheme referral and the 低保 suggestion rule (R-AID-1, R-CHA-1)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

SEED = Path(__file__).resolve().parent / "seed" / "referral_policy.json"


@dataclass(frozen=True, slots=True)
class ReferralPolicy:
    county_code: str
    effective_from: date
    scheme_due_days: int
    dibao_min_months: int
    dibao_living_remaining_at_least: Decimal


def _version(raw: dict[str, Any]) -> ReferralPolicy:
    rule = raw["dibao_suggestion"]
    return ReferralPolicy(
        county_code=raw["county_code"],
        effective_from=date.fromisoformat(raw["effective_from"]),
        scheme_due_days=int(raw["scheme_due_days"]),
        dibao_min_months=int(rule["min_months"]),
        dibao_living_remaining_at_least=Decimal(rule["living_remaining_at_least"]),
    )


@cache
def versions() -> tuple[ReferralPolicy, ...]:
    return tuple(_version(v) for v in json.loads(SEED.read_text(encoding="utf-8"))["versions"])


def policy_for(county_code: str, on: date) -> ReferralPolicy:
    """The county's own newest version effective on ``on``, else the default (``*``)."""
    for county in (county_code, "*"):
        found = [v for v in versions() if v.county_code == county and v.effective_from <= on]
        if found:
            return max(found, key=lambda v: v.effective_from)
    raise LookupError("referral_policy.json has no default version effective on " + on.isoformat())
