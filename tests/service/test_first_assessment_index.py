"""The assessment of an application revision as submitted is unique and found through its partial index.
Rows store ``raise_decision`` as the JSON ``null`` SQLAlchemy writes for None; the index and the query of
migration 0006 asked ``raise_decision IS NULL``, which no such row satisfies: the index covered nothing
(a second first assessment went in), the query never found the first one. Migration
``assessment_controls`` replaces the index; EXPLAIN shows the planner using it for the query it serves,
in a generic plan too (R-AMT-4, R-CAT-3)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from services.assessment import repository as repo
from services.assessment.domain.model import Assessment
from tests.conftest import _plain, create_database

pytestmark = pytest.mark.asyncio(loop_scope="session")

INDEX = "uq_assessments_first_per_revision"


@pytest.fixture(scope="module")
async def migrated(pg_server_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    from services.assessment import MODULE
    from shared.migrations import upgrade

    url = await create_database(pg_server_url, prefix="firstidx")
    await asyncio.to_thread(upgrade, MODULE.migrations, url=url, service="assessment", schema="assessment")
    engine = create_async_engine(url, connect_args={"server_settings": {"search_path": "assessment"}})
    try:
        yield url, engine
    finally:
        await engine.dispose()


def _assessment(case_id: str, *, revision: int, application_revision: int = 1, **kw: object) -> Assessment:
    return Assessment(
        id=str(uuid.uuid4()),
        case_id=case_id,
        revision=revision,
        application_revision=application_revision,
        county_code="140302",
        eligible=True,
        amount=Decimal("1000.00"),
        policy_version="140302-2026.1",
        inputs={"township_code": "140302001"},
        result={},
        created_at=datetime.now(UTC),
        **kw,  # type: ignore[arg-type]
    )


async def test_the_first_assessment_is_found_and_a_second_one_of_the_same_revision_is_refused(migrated):
    url, engine = migrated
    case_id = str(uuid.uuid4())
    async with engine.begin() as conn:
        session = AsyncSession(bind=conn)
        assert not await repo.assessed_application_revision(session, case_id, 1)
        assert await repo.add_assessment(session, _assessment(case_id, revision=1))
        stored = await session.scalar(
            text("SELECT jsonb_typeof(raise_decision) FROM assessments WHERE case_id = :c"), {"c": case_id}
        )
        assert stored == "null"  # what the write path stores: JSON null, not SQL NULL
        assert await repo.assessed_application_revision(session, case_id, 1)
        assert not await repo.add_assessment(session, _assessment(case_id, revision=2))  # the same revision
        raise_ = _assessment(case_id, revision=2, raise_decision={"months": 6}, recorded_by="officer")
        verified = _assessment(case_id, revision=3, basis="verification")
        assert await repo.add_assessment(session, raise_) and await repo.add_assessment(session, verified)
        first = await repo.as_submitted(session, case_id, 1)
        assert first is not None and first.revision == 1
    raw = await asyncpg.connect(_plain(url))
    try:
        count = await raw.fetchval("SELECT count(*) FROM assessment.assessments WHERE case_id = $1", case_id)
    finally:
        await raw.close()
    assert count == 3


async def test_the_planner_uses_the_partial_index_for_the_query_it_serves_also_in_a_generic_plan(migrated):
    url, _ = migrated
    raw = await asyncpg.connect(_plain(url))
    try:
        await raw.execute(
            """INSERT INTO assessment.assessments (id, case_id, revision, application_revision, county_code,
                 eligible, amount, policy_version, inputs, result, raise_decision, basis)
               SELECT gen_random_uuid(), c.id, r, 1, '140302', true, 100, 'v', '{}', '{}',
                      CASE WHEN r = 2 THEN '{"months": 6}'::jsonb ELSE 'null'::jsonb END,
                      CASE WHEN r = 3 THEN 'verification' ELSE 'application' END
               FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, 3000)) c,
                    generate_series(1, 3) r"""
        )
        await raw.execute("ANALYZE assessment.assessments")
        case_id = await raw.fetchval("SELECT case_id FROM assessment.assessments LIMIT 1")
        # the very statement the service sends (asyncpg prepares it: $1, $2 are parameters)
        sql = str(repo.first_of_revision(str(case_id), 1).compile(dialect=asyncpg_dialect()))
        await raw.execute(f"PREPARE first_of AS {sql}")
        plans = {}
        for mode in ("force_custom_plan", "force_generic_plan"):
            await raw.execute(f"SET plan_cache_mode = {mode}")
            rows = await raw.fetch(f"EXPLAIN EXECUTE first_of('{case_id}', 1)")
            plans[mode] = "\n".join(r[0] for r in rows)
    finally:
        await raw.close()
    for mode, plan in plans.items():
        assert INDEX in plan, f"{mode}:\n{plan}"
