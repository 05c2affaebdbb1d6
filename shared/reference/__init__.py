"""Reference data of the city (division codes). Data, not rules: loaded from the JSON beside this file."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TypedDict


class Division(TypedDict):
    code: str
    name: str


class County(Division):
    townships: list[Division]


class Jurisdictions(TypedDict):
    note: str
    city: Division
    counties: list[County]


@cache
def jurisdictions() -> Jurisdictions:
    """{'city': ..., 'counties': [{'code', 'name', 'townships': [{'code', 'name'}]}]}."""
    data: Jurisdictions = json.loads((Path(__file__).parent / "yangquan.json").read_text(encoding="utf-8"))
    return data


def township_county(township_code: str) -> str | None:
    for county in jurisdictions()["counties"]:
        if any(t["code"] == township_code for t in county["townships"]):
            return county["code"]
    return None
