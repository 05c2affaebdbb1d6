"""Find a service's module by name."""

from __future__ import annotations

import importlib

from services import SERVICE_NAMES
from shared.runtime import ServiceModule


def module(name: str) -> ServiceModule:
    if name not in SERVICE_NAMES:
        raise SystemExit(f"unknown service {name!r}; choose one of {', '.join(SERVICE_NAMES)}")
    return importlib.import_module(f"services.{name}").MODULE


def all_modules() -> list[ServiceModule]:
    return [module(n) for n in SERVICE_NAMES]
