"""Every setting a service reads is in README's settings tables ("Configuration"): the base class's
fields by their key (``DATABASE_URL``, given with any prefix or ``ASSISTANCE_``), each service's own
fields with its prefix (``ASSESSMENT_VERIFICATION_IDLE_MAX_SECONDS``). A new setting without its row
fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.registry import all_modules
from shared.settings import ServiceSettings

README = Path(__file__).resolve().parents[2] / "README.md"
INTERNAL = {"service_name"}
"""Set by each service's class, not by an operator."""


def _table_keys() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Configuration") :]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {key for row in rows for key in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split(" | ")[0])}


def test_every_shared_setting_has_its_row() -> None:
    keys = _table_keys()
    missing = sorted(
        f.upper() for f in ServiceSettings.model_fields if f not in INTERNAL and f.upper() not in keys
    )
    assert missing == [], f"README's settings table lacks {missing}"


@pytest.mark.parametrize("module", all_modules(), ids=lambda m: m.name)
def test_every_setting_of_a_service_has_its_row(module) -> None:
    keys = _table_keys()
    prefix = str(module.settings_cls.model_config.get("env_prefix"))
    own = [f for f in module.settings_cls.model_fields if f not in ServiceSettings.model_fields]
    missing = sorted(f"{prefix}{f.upper()}" for f in own if f"{prefix}{f.upper()}" not in keys)
    assert missing == [], f"README's settings table lacks {missing}"
