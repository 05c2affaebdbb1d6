"""Intake's effective-dated rules as data (domain/seed/intake_policy.json): repeat window, duplicate window
and the archive checklist per case sub-type (R-ARC-1)."""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

SEED = Path(__file__).resolve().parent / "seed" / "intake_policy.json"
ANY_COUNTY = "*"
GATE_STAGES = ("intake", "investigation")
"""What blocks a decision when a county says nothing: the items due before review (the application's
papers and the home-visit report); verification and payment items follow later."""


class DocumentKind(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    title: str
    stage: str
    """When in the flow the item is normally produced: intake, investigation, verification, decision,
    payment."""


class IntakePolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    effective_from: date
    repeat_episode_days: int = Field(ge=0)
    """R-FLOW-5: how long an ongoing expenditure episode counts as the same cause."""
    helping_window_days: int = Field(ge=0)
    """How long after approval a household still counts as 'being helped' (duplicate flag)."""
    documents: dict[str, DocumentKind]
    checklists: dict[str, list[str]]
    """R-ARC-1: required archive items per case sub-type."""
    when_raised: list[str] = []
    """Extra items required once the county government raised the amount (R-AMT-4: its minutes)."""
    county_checklists: dict[str, dict[str, list[str]]] = {}
    """R-ARC-1: a county's own checklist for a sub-type (e.g. whether a home visit is required), replacing
    the city's for that county."""
    archive_gate: dict[str, list[str]] = {ANY_COUNTY: list(GATE_STAGES)}
    """R-ARC-1: per county (``*``: every county without an entry of its own), the stages whose missing
    required items block an approving review or decision. On unless configured off: an empty list."""

    @model_validator(mode="after")
    def _known_kinds(self) -> IntakePolicy:
        county_lists = [items for lists in self.county_checklists.values() for items in lists.values()]
        for items in [*self.checklists.values(), self.when_raised, *county_lists]:
            unknown = set(items) - set(self.documents)
            if unknown:
                raise ValueError(f"checklist names unknown document kinds: {sorted(unknown)}")
        return self

    def required(self, subtype: str, *, raised: bool = False, county: str | None = None) -> list[str]:
        """R-ARC-1: the archive items a case of this sub-type (in this county) must have."""
        own = self.county_checklists.get(county or "", {})
        items = list(own[subtype] if subtype in own else self.checklists.get(subtype, []))
        if raised:
            items += [k for k in self.when_raised if k not in items]
        return items

    def blocking(self, county: str, missing: list[str]) -> list[str]:
        """R-ARC-1: the missing items that stop an approving review or decision in this county."""
        stages = self.archive_gate.get(county, self.archive_gate.get(ANY_COUNTY, []))
        return [kind for kind in missing if self.documents[kind].stage in stages]


@lru_cache(maxsize=1)
def versions() -> tuple[IntakePolicy, ...]:
    raw = json.loads(SEED.read_text(encoding="utf-8"))["versions"]
    return tuple(sorted((IntakePolicy.model_validate(v) for v in raw), key=lambda p: p.effective_from))


def in_force(on: date) -> IntakePolicy:
    """The latest version effective on ``on`` (the earliest one for dates before every version)."""
    chosen = versions()[0]
    for version in versions():
        if version.effective_from <= on:
            chosen = version
    return chosen


def missing(required: list[str], recorded: set[str]) -> list[str]:
    """R-ARC-1: required items not yet recorded, in checklist order."""
    return [kind for kind in required if kind not in recorded]
