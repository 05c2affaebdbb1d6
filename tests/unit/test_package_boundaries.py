"""What is packaged stands alone: product code (services/, shared/: the wheel and the container image) never
imports the ops scripts or the tests, and the scripts never import the tests. Scripts may import the
package (scripts/pg.py runs shared/embedded_pg.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def _sources(*tops: str) -> list[Path]:
    return sorted(p for top in tops for p in (ROOT / top).rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", _sources("services", "shared"), ids=lambda p: str(p.relative_to(ROOT)))
def test_product_code_imports_neither_scripts_nor_tests(path: Path) -> None:
    assert not _imported_roots(path) & {"scripts", "tests"}


@pytest.mark.parametrize("path", _sources("scripts"), ids=lambda p: str(p.relative_to(ROOT)))
def test_scripts_never_import_the_tests(path: Path) -> None:
    assert "tests" not in _imported_roots(path)
