"""The row in force on a day, asked of the database (shared/policy_versions.py), on approval's real
effective-dated tables: re-examination windows (R-REX-1) and budget rules (R-OVS-3). The latest version
begun by the day is in force from its first day; of two begun the same day the one set last wins; before
the first version there is none, and a county never sees another county's versions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from services.approval import repository as repo
from services.approval.tables import budget_policies, reexamination_policies, township_limits
from tests.conftest import create_database, drop_database

COUNTY, OTHER = "140302", "140303"


@pytest.fixture(scope="module")
async def session(pg_server_url: str) -> AsyncIterator[AsyncSession]:
    url = await create_database(pg_server_url, prefix="versions")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE SCHEMA approval"))
            await conn.run_sync(
                lambda c: reexamination_policies.metadata.create_all(
                    c, tables=[reexamination_policies, budget_policies, township_limits]
                )
            )
        async with async_sessionmaker(engine)() as s:
            yield s
    finally:
        await engine.dispose()
        await drop_database(url)


async def _windows(session: AsyncSession, county: str, day: date, request_window_days: int) -> None:
    await repo.add_reexamination_policy(
        session,
        {
            "county_code": county,
            "effective_from": day,
            "request_window_days": request_window_days,
            "decision_days": 60,
            "complaint_days": 30,
            "actor": "policy-admin",
        },
    )


async def _budget(session: AsyncSession, county: str, day: date, over_envelope: str, **extra: Any) -> None:
    await repo.add_budget_policy(
        session,
        {
            "county_code": county,
            "effective_from": day,
            "source_order": ["central"],
            "by_category": {},
            "over_envelope": over_envelope,
            **extra,
        },
    )


async def test_reexamination_windows_are_in_force_from_the_day_of_the_change(session: AsyncSession) -> None:
    """R-REX-1: no window before the first version; the new window from its first day, not the day after."""
    await _windows(session, COUNTY, date(2026, 1, 1), 60)
    await _windows(session, COUNTY, date(2026, 7, 1), 90)
    await _windows(session, OTHER, date(2026, 3, 1), 15)
    assert await repo.reexamination_policy_on(session, COUNTY, date(2025, 12, 31)) is None
    on = {
        d: await repo.reexamination_policy_on(session, COUNTY, d)
        for d in (date(2026, 6, 30), date(2026, 7, 1))
    }
    assert [p.request_window_days if p else None for p in on.values()] == [60, 90]
    other = await repo.reexamination_policy_on(session, OTHER, date(2026, 7, 1))
    assert other is not None and other.request_window_days == 15


async def test_of_two_reexamination_versions_set_the_same_day_the_later_one_is_in_force(
    session: AsyncSession,
) -> None:
    """R-REX-1: a correction on the day a version begins replaces it (the later entry wins)."""
    await _windows(session, COUNTY, date(2027, 1, 1), 30)
    await _windows(session, COUNTY, date(2027, 1, 1), 45)
    current = await repo.reexamination_policy_on(session, COUNTY, date(2027, 1, 1))
    assert current is not None and current.request_window_days == 45


async def test_budget_rules_follow_the_same_rule_of_versions(session: AsyncSession) -> None:
    """R-OVS-3: none before the first; in force from the day of the change; same day: the one set last."""
    await _budget(session, COUNTY, date(2026, 1, 1), "refuse")
    await _budget(session, COUNTY, date(2026, 5, 1), "warn")
    await _budget(session, COUNTY, date(2026, 5, 1), "refuse")
    assert await repo.budget_policy_on(session, COUNTY, date(2025, 6, 1)) is None
    assert await repo.budget_policy_on(session, OTHER, date(2026, 6, 1)) is None
    before = await repo.budget_policy_on(session, COUNTY, date(2026, 4, 30))
    assert (
        before is not None and before.over_envelope == "refuse" and before.effective_from == date(2026, 1, 1)
    )
    changed = await repo.budget_policy_on(session, COUNTY, date(2026, 5, 1))
    assert (
        changed is not None
        and changed.effective_from == date(2026, 5, 1)
        and changed.over_envelope == "refuse"
    )
    rows = await repo.budget_policy_history(session, COUNTY)
    assert changed.id == max(r.id for r in rows)


async def test_the_set_order_column_decides_between_same_day_versions(session: AsyncSession) -> None:
    """A table whose set order is a creation instant (retention's policies): the latest instant wins, even
    when its identity is the smaller one."""
    from shared.policy_versions import row_in_force

    first = datetime(2026, 1, 1, tzinfo=UTC)
    await _budget(session, "140304", date(2028, 1, 1), "warn", created_at=first + timedelta(hours=1))
    await _budget(session, "140304", date(2028, 1, 1), "refuse", created_at=first)
    by_instant = await row_in_force(
        session, budget_policies, "140304", date(2028, 1, 1), set_order="created_at"
    )
    by_id = await row_in_force(session, budget_policies, "140304", date(2028, 1, 1))
    assert by_instant is not None and by_instant["over_envelope"] == "warn"
    assert by_id is not None and by_id["over_envelope"] == "refuse"


async def test_township_limits_are_looked_up_by_their_township(session: AsyncSession) -> None:
    """R-FLOW-3: the key column is the township; a neighbour township's newer limits are not its own."""
    for township, day, limit in (
        ("140302001", date(2026, 1, 1), "3000"),
        ("140302002", date(2026, 2, 1), "9000"),
    ):
        await repo.add_limit(
            session,
            {
                "county_code": COUNTY,
                "township_code": township,
                "effective_from": day,
                "approval_limit": Decimal(limit),
                "disbursement_limit": Decimal(limit),
            },
        )
    assert await repo.township_limit(session, "140302001", date(2026, 3, 1)) == Decimal("3000.00")
    assert await repo.township_limit(session, "140302002", date(2026, 1, 31)) is None
