"""docs/RULES.md resolves every rule id the code cites, and everything it points at exists.

Rule ids (``R-FLOW-5``) appear in comments, tests, seed data and problem+json answers; a fresh clone must be
able to look each one up. So: every id cited under services/, shared/ and tests/ has an entry (a heading
and an index row) in docs/RULES.md, and every repository path and test the document names exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "docs" / "RULES.md"
RULE_ID = re.compile(r"\bR-[A-Z]+-\d+\b")
TOP_FOLDERS = ("services/", "shared/", "tests/", "scripts/", "docs/", "deploy/")


def _text() -> str:
    return RULES.read_text(encoding="utf-8")


def _cited() -> dict[str, set[str]]:
    """Rule id -> the files under services/, shared/ and tests/ that cite it."""
    cited: dict[str, set[str]] = {}
    for top in ("services", "shared", "tests"):
        for path in (ROOT / top).rglob("*"):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".pyc", ".png"):
                continue
            for rule in RULE_ID.findall(path.read_text(encoding="utf-8", errors="ignore")):
                cited.setdefault(rule, set()).add(str(path.relative_to(ROOT)))
    return cited


def _entries() -> set[str]:
    return set(re.findall(r"^### (R-[A-Z]+-\d+) — ", _text(), re.M))


def _index() -> set[str]:
    return set(re.findall(r"^\| (R-[A-Z]+-\d+) \|", _text(), re.M))


def _references() -> list[str]:
    """Backticked repository paths in the document, tests as ``path::[Class::]name``."""
    spans = re.findall(r"`([^`\s]+)`", _text())
    return sorted({s for s in spans if s.startswith(TOP_FOLDERS) and not s.startswith("/")})


def test_every_rule_id_cited_in_code_and_tests_has_an_entry() -> None:
    cited = _cited()
    assert cited, "no rule ids found at all: the scan is broken"
    missing = {rule: sorted(files) for rule, files in cited.items() if rule not in _entries()}
    assert missing == {}, f"cited but not explained in docs/RULES.md: {missing}"


def test_each_entry_has_an_index_row_and_says_what_where_and_how_tested() -> None:
    text = _text()
    assert _entries() == _index()
    sections = re.split(r"^### ", text, flags=re.M)[1:]
    for section in sections:
        rule = section.split(" ", 1)[0]
        for part in ("**Means.**", "**Implemented.**", "**Tested.**"):
            assert part in section, f"{rule}: no {part}"
        tested = section.split("**Tested.**", 1)[1]
        assert "::test_" in tested, f"{rule}: names no test"


def test_ids_run_without_gaps_within_each_family() -> None:
    families: dict[str, list[int]] = {}
    for rule in _entries():
        family, number = rule.rsplit("-", 1)
        families.setdefault(family, []).append(int(number))
    for family, numbers in families.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), family


@pytest.mark.parametrize("reference", _references())
def test_every_path_and_test_the_document_names_exists(reference: str) -> None:
    path, *names = reference.split("::")
    target = ROOT / path
    assert target.exists(), f"docs/RULES.md names {path}, which does not exist"
    if names:
        source = target.read_text(encoding="utf-8")
        *classes, function = names
        for cls in classes:
            assert re.search(rf"^class {re.escape(cls)}\b", source, re.M), f"{reference}: no class {cls}"
        assert re.search(rf"^\s*(async )?def {re.escape(function)}\(", source, re.M), (
            f"{reference}: no test {function}"
        )


def test_the_readme_points_to_the_rules_document() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/RULES.md" in readme
    assert "../shared/DOMAIN.md" not in readme
