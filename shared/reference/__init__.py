"""Reference data of the city (division codes). Data, not rules: loaded from the JSON beside this file."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path


@cache
def jurisdictions() -> dict:
    """{'city': ..., 'counties': [{'code', 'name', 'townships': [{'code', 'name'}]}]}."""
    return json.loads((Path(__file__).parent / "yangquan.json").read_text(encoding="utf-8"))


def township_county(township_code: str) -> str | None:
    for county in jurisdictions()["counties"]:
        if any(t["code"] == township_code for t in county["townships"]):
            return county["code"]
    return None
