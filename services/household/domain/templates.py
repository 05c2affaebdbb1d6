"""Notice templates (告知书): Chinese, effective-dated and configurable per county (policy is data).

A template set is seed JSON (``seed/notice_templates.json``, versioned): each template names its ``kind``,
its ``county_code`` (``*`` for every county), the local date it takes effect and its ``version``; the one
that applies to a notice is the newest in effect on the notice's local date, a county's own before ``*``.
Offices to contact are configured the same way, per county and per township. The re-examination window a
letter states is not configured here: it is approval's, carried by the decision (R-REX-1)."""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

SEED = Path(__file__).resolve().parent / "seed" / "notice_templates.json"
KINDS = (
    "accepted",
    "documents_missing",
    "approved",
    "refused",
    "paid",
    "payment_given_up",
    "referred",
    "scheme_referred",
    "scheme_outcome",
    "paperwork_due",
    "reexamined",
)
"""Notice kinds; ``approved``, ``refused`` and ``reexamined`` also print a letter (救助决定书 / 不予救助决定书
/ 复核决定书)."""
LETTER_KINDS = frozenset({"approved", "refused", "reexamined"})


@dataclass(frozen=True)
class Template:
    kind: str
    county_code: str
    effective_from: date
    version: str
    sms: str
    letter_title: str | None = None
    letter_body: tuple[str, ...] = ()


@dataclass(frozen=True)
class Office:
    name: str
    phone: str
    address: str


@dataclass(frozen=True)
class TemplateSet:
    version: str
    templates: tuple[Template, ...]
    offices: dict[str, Office]

    def template(self, kind: str, county_code: str | None, on: date) -> Template:
        """The newest template of ``kind`` in effect on ``on``, the county's own before the default."""
        for county in (county_code, "*"):
            found = [
                t
                for t in self.templates
                if t.kind == kind and t.county_code == county and t.effective_from <= on
            ]
            if found:
                return max(found, key=lambda t: t.effective_from)
        raise LookupError(f"no notice template {kind!r} in effect on {on} for county {county_code}")

    def office(self, county_code: str | None, township_code: str | None) -> Office:
        for code in (township_code, county_code, "*"):
            if code and code in self.offices:
                return self.offices[code]
        raise LookupError("no office configured (offices['*'])")


def parse(data: dict[str, Any]) -> TemplateSet:
    templates = tuple(
        Template(
            kind=t["kind"],
            county_code=t.get("county_code", "*"),
            effective_from=date.fromisoformat(t["effective_from"]),
            version=t["version"],
            sms=t["sms"],
            letter_title=t.get("letter_title"),
            letter_body=tuple(t.get("letter_body", ())),
        )
        for t in data["templates"]
    )
    unknown = {t.kind for t in templates} - set(KINDS)
    if unknown:
        raise ValueError(f"unknown notice kinds in the templates: {sorted(unknown)}")
    offices = {code: Office(**o) for code, o in data["offices"].items()}
    return TemplateSet(data["version"], templates, offices)


def load(path: Path = SEED) -> TemplateSet:
    return parse(json.loads(path.read_text(encoding="utf-8")))


class _Facts(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render(text: str, facts: dict[str, Any]) -> str:
    """``{placeholder}`` substitution; a placeholder without a fact renders empty (never a KeyError)."""
    return string.Formatter().vformat(text, (), _Facts(facts))
