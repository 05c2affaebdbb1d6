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


def office(county_code: str, township_code: str | None) -> dict[str, str | None]:
    """The office to contact about a case of another jurisdiction (R-FLOW-5): codes and names, no case."""
    county = next((c for c in jurisdictions()["counties"] if c["code"] == county_code), None)
    township = next((t for t in (county["townships"] if county else []) if t["code"] == township_code), None)
    return {
        "county_code": county_code,
        "county_name": county["name"] if county else None,
        "township_code": township_code,
        "township_name": township["name"] if township else None,
    }


def township_county(township_code: str) -> str | None:
    for county in jurisdictions()["counties"]:
        if any(t["code"] == township_code for t in county["townships"]):
            return county["code"]
    return None
