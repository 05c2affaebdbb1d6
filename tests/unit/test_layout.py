"""Every service has one shape (docs/CONVENTIONS.md), so knowing one means knowing all; this test keeps it.

Layout of ``services/<name>/``::

    __init__.py      MODULE (the ServiceModule)
    api.py | api/    FastAPI routers only (no SQL, no tables)
    schemas.py       request and response models
    handlers.py      event consumers (thin: they call the service)
    service.py | service/      use cases, one transaction each; one module per aggregate where several
    repository.py | repository/  every query (figure and gauge queries included)
    tables.py        SQLAlchemy tables of the service's schema
    domain/          pure rules, typed entities (model.py), domain errors (errors.py)
    migrations/      Alembic, DDL written out
    settings.py      pydantic-settings
    figures.py       the oversight figures and the scrape-time gauges, from repository queries
    adapters/        (optional) clients of other systems: banks, SMS gateways, webhooks, PDF rendering
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "assessment", "approval", "disbursement", "referral", "household")

REQUIRED = {
    "__init__.py": "file",
    "api": "either",
    "schemas": "either",
    "handlers.py": "file",
    "service": "either",
    "repository": "either",
    "tables.py": "file",
    "domain": "dir",
    "migrations": "dir",
    "settings.py": "file",
    "figures.py": "file",
}
OPTIONAL = {"adapters": "dir"}
FRAMEWORKS = ("fastapi", "starlette", "sqlalchemy", "asyncpg", "aiokafka", "httpx", "alembic")


def _entries(service: str) -> dict[str, Path]:
    base = ROOT / "services" / service
    return {p.name: p for p in base.iterdir() if p.name != "__pycache__" and not p.name.startswith(".")}


def _modules(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return [p for p in path.rglob("*.py") if "versions" not in p.parts or path.name == "migrations"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _part(service: str, name: str) -> list[Path]:
    entries = _entries(service)
    found: list[Path] = []
    for candidate in (name, f"{name}.py"):
        if candidate in entries:
            found.extend(_modules(entries[candidate]))
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_common_layout_and_nothing_else(service: str) -> None:
    entries = _entries(service)
    names = set()
    for name in entries:
        names.add(name[:-3] if name.endswith(".py") and name[:-3] in REQUIRED else name)
    missing = [n for n in REQUIRED if n not in names and f"{n}.py" not in entries]
    extra = sorted(
        name
        for name in entries
        if name not in REQUIRED and name not in OPTIONAL and name.removesuffix(".py") not in REQUIRED
    )
    assert not missing, f"services/{service} lacks {missing}"
    assert not extra, f"services/{service} has files outside the common layout: {extra}"
    domain = entries["domain"]
    assert (domain / "model.py").is_file(), "domain/model.py holds the typed entities and statuses"
    assert (domain / "errors.py").is_file(), "domain/errors.py holds the domain errors"


@pytest.mark.parametrize("service", SERVICES)
def test_no_two_files_of_one_name_with_different_roles(service: str) -> None:
    base = ROOT / "services" / service
    names = Counter(
        p.name for p in base.rglob("*.py") if p.name != "__init__.py" and "migrations" not in p.parts
    )
    assert [n for n, c in names.items() if c > 1] == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_domain_is_pure(service: str) -> None:
    """No framework, no database, no HTTP errors, no other layer of the service in domain/."""
    own_layers = tuple(f"services.{service}.{layer}" for layer in ("api", "service", "repository", "tables"))
    for module in _part(service, "domain"):
        for name in _imports(module):
            assert not name.startswith(FRAMEWORKS), f"{module.relative_to(ROOT)} imports {name}"
            assert not name.startswith(own_layers), f"{module.relative_to(ROOT)} imports {name}"
            assert not name.startswith("shared.errors"), f"{module.relative_to(ROOT)} raises HTTP errors"


@pytest.mark.parametrize("service", SERVICES)
def test_routers_and_use_cases_leave_queries_to_the_repository(service: str) -> None:
    tables = f"services.{service}.tables"
    for layer in ("api", "service", "handlers"):
        for module in _part(service, layer):
            for name in _imports(module):
                assert not name.startswith(tables), f"{module.relative_to(ROOT)} reads tables directly"
                if layer == "api":
                    assert not name.startswith("sqlalchemy"), f"{module.relative_to(ROOT)} builds SQL"


@pytest.mark.parametrize("service", SERVICES)
def test_use_cases_raise_domain_errors_not_http_problems(service: str) -> None:
    """Domain errors are mapped to problem+json in one place (shared/errors.py, STATUS_OF_KIND)."""
    for module in _part(service, "service"):
        for name in _imports(module):
            assert not name.startswith("shared.errors"), f"{module.relative_to(ROOT)} imports {name}"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_never_imports_another(service: str) -> None:
    others = tuple(f"services.{other}" for other in SERVICES if other != service)
    for module in (ROOT / "services" / service).rglob("*.py"):
        for name in _imports(module):
            assert not name.startswith(others), f"{module.relative_to(ROOT)} imports {name}"


def test_product_code_never_imports_scripts_or_tests() -> None:
    for top in ("services", "shared"):
        for module in (ROOT / top).rglob("*.py"):
            for name in _imports(module):
                assert not name.startswith(("scripts", "tests")), f"{module.relative_to(ROOT)} imports {name}"


@pytest.mark.parametrize("service", SERVICES)
def test_repositories_return_typed_entities_not_rows(service: str) -> None:
    """Repository functions say what they return, and it is an entity (domain/model.py), not a row."""
    untyped = ("RowMapping", "Row", "Result", "Any")
    for module in _part(service, "repository"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_"):
                assert node.returns is not None, f"{module.relative_to(ROOT)}:{node.name} has no return type"
                returned = {n.id for n in ast.walk(node.returns) if isinstance(n, ast.Name)}
                returned |= {n.attr for n in ast.walk(node.returns) if isinstance(n, ast.Attribute)}
                if module.name != "figures.py":  # figure bodies are JSON documents by design
                    assert not returned & set(untyped), f"{module.relative_to(ROOT)}:{node.name} returns rows"
