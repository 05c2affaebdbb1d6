"""Test data: valid resident ID numbers and application bodies, and a wait helper."""

from __future__ import annotations

import asyncio
import copy
import itertools
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from shared import idnumber

T = TypeVar("T")
_seq = itertools.count(random.randint(1, 400) * 1000)


def resident_id(area: str = "140302", birth: str = "19800101") -> str:
    """A fresh, valid 18-character resident ID number (GB 11643 check character)."""
    first17 = f"{area}{birth}{next(_seq) % 1000:03d}"
    return first17 + idnumber.check_character(first17)


def unique_birth() -> str:
    n = next(_seq)
    return f"{1960 + n % 40}{1 + n % 12:02d}{1 + n % 28:02d}"


def application(**overrides: Any) -> dict[str, Any]:
    """A consented, eligible medical expenditure case in 城区/上站街道, with a fresh household."""
    birth = unique_birth()
    body: dict[str, Any] = {
        "household": [
            {"name": "张小明", "id_number": resident_id(birth=birth), "relation": "self"},
            {"name": "李花", "id_number": resident_id(birth=birth), "relation": "spouse", "dibao": True},
        ],
        "phone": "13800000000",
        "address": {"county_code": "140302", "township_code": "140302001", "detail": "上站街道某路1号"},
        "category": "expenditure",
        "subtype": "medical",
        "incident": {"description": "住院治疗", "occurred_on": "2026-10-01", "ongoing": False},
        "persons_helped": 2,
        "annual_household_income": "20000.00",
        "property": {"deposits": "1000.00", "vehicles": 0, "vehicle_value": "0.00", "houses": 1},
        "medical": {"total_bills": "80000.00", "basic_insurance": "40000.00",
                    "critical_illness_insurance": "10000.00", "commercial_insurance": "0.00",
                    "medical_assistance": "5000.00"},
        "payee": {"name": "张小明", "bank": "中国工商银行", "account": "6222020200112233445"},
        "consents": {"verify_economic_situation": True, "share_with_charities": True, "share_health_data": False},
    }
    for key, value in overrides.items():
        body[key] = value
    return copy.deepcopy(body)


def emergency_application(**overrides: Any) -> dict[str, Any]:
    body = application(category="emergency", subtype="fire_or_accident", medical=None,
                       incident={"description": "房屋失火", "occurred_on": "2026-11-01", "ongoing": False})
    body.update(overrides)
    return body


async def eventually(probe: Callable[[], Awaitable[T | None]], *, timeout: float = 30.0,
                     interval: float = 0.1, what: str = "condition") -> T:
    """Poll ``probe`` until it returns something truthy; fail with ``what`` after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)
