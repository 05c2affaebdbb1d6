"""Retention (R-RET-1, R-RET-2; PIPL arts. 19, 47): how long each class of personal data is kept after a case
is closed, and the purge-or-pseudonymise job that removes it once that period is over.

- **Policy is data.** The periods (years per data class) are effective-dated county versions kept in each
  service's ``retention_policies`` table over the national default seeded in
  ``shared/reference/retention.json``; a policy administrator of the county sets them once, at intake (the
  one owner, audit-logged like every change), which publishes each version as RetentionPolicySet; the
  other five copy it into their own table through their inbox. The audit trail is never a data class: the
  log is append-only and is never purged.
- **Each service answers for its own data.** A service declares in ``ServiceModule.retention`` when its
  cases are closed (a query of its own tables: case id, county, closed-at instant) and, per data class,
  which columns of which tables hold the personal data: sealed columns are replaced by a sealed pseudonym
  (the same JSON shape, every text value replaced), blind indexes by a random value that matches nobody,
  plain personal columns by a fixed value or NULL, plain JSON columns by the service's scrub of them (the
  same shape without the person's figures); a class may delete content blobs too (documents).
  Counts, amounts, dates, township, case type and status are never touched, so the figures do not change.
- **A dry run first** (R-RET-2): it lists, per class, the cases closed before the class's cut-off (local
  dates, Asia/Shanghai) whose data is still there, and stores that set with counts only (no personal data
  in the report). Applying needs the dry run's id and a second officer (four eyes): it applies exactly that
  set (each case re-checked), in batches of ``batch_size`` cases, each batch one transaction that also
  records which case's class was purged (``retention_purges``) and appends a ``purge`` entry to the
  service's audit log. Applying again changes nothing.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Index,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit, clock
from shared.access import Actor, current_actor
from shared.auth import Principal
from shared.contracts.intake import RetentionPolicySet
from shared.crypto import FieldCipher
from shared.domain_errors import InvalidValue, RecordNotFound, RuleRefused
from shared.events import Envelope
from shared.policy_versions import version_in_force

if TYPE_CHECKING:
    from shared.runtime import Runtime

DATA_CLASSES = (
    "application_personal",
    "documents",
    "bank_accounts",
    "health",
    "partner_sharing",
    "notices",
)
"""The data classes a county sets a period for (R-RET-1). The audit trail is not one: it is never purged."""

PSEUDONYM_TEXT = "已清除"
"""What a purged text value reads as (in sealed JSON and in plain personal columns)."""

PURGE_RULE = "R-RET-2"

POLICY_OWNER = "intake"
"""The one service where a county sets its periods (R-RET-1); it publishes each version as
RetentionPolicySet and the other five keep a copy in their own ``retention_policies``."""


# --- the tables every service keeps (added to its metadata like the outbox) -------------------------------


def add_retention_tables(metadata: MetaData) -> tuple[Table, Table, Table]:
    """``retention_policies`` (county versions), ``retention_runs`` (dry runs and their application) and
    ``retention_purges`` (which case's class is gone: the job's idempotency)."""
    policies = Table(
        "retention_policies",
        metadata,
        Column("version", String(60), primary_key=True),
        Column("county_code", String(6), nullable=False),
        Column("effective_from", Date, nullable=False),
        Column("years", JSONB, nullable=False),
        Column("set_by", String(100), nullable=False),
        Column("reason", Text),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Index("ix_retention_policies_county", "county_code", "effective_from"),
    )
    runs = Table(
        "retention_runs",
        metadata,
        Column("id", UUID(as_uuid=False), primary_key=True),
        Column("county_code", String(6), nullable=False),
        Column("as_of", Date, nullable=False),
        Column("periods", JSONB, nullable=False),
        Column("plan", JSONB, nullable=False),
        Column("counts", JSONB, nullable=False),
        Column("status", String(20), nullable=False),
        Column("planned_by", String(100), nullable=False),
        Column("planned_at", DateTime(timezone=True), nullable=False),
        Column("applied_by", String(100)),
        Column("applied_at", DateTime(timezone=True)),
        Column("applied", JSONB),
        Index("ix_retention_runs_county", "county_code", "planned_at"),
    )
    purges = Table(
        "retention_purges",
        metadata,
        Column("case_id", UUID(as_uuid=False), primary_key=True),
        Column("data_class", String(40), primary_key=True),
        Column("run_id", UUID(as_uuid=False), nullable=False),
        Column("purged_at", DateTime(timezone=True), nullable=False),
    )
    return policies, runs, purges


# --- what a service declares ----------------------------------------------------------------------------

ClosedRows = Select[tuple[str, str, datetime]]
"""(case_id, county_code, closed_at) of a service's closed cases."""
ClosedCases = Callable[[], ClosedRows]
"""The query of the service's own tables that finds its closed cases."""

BlobHook = Callable[["Runtime", AsyncSession, Sequence[str]], Awaitable[int]]
"""Deletes content outside the database for these cases (inside the batch's transaction: a failure rolls
the batch back); returns how many blobs it deleted."""


@dataclass(frozen=True)
class Target:
    """The personal columns of one table, for the rows of the cases purged. ``case_column`` holds the case
    id, or — with ``through`` = (table, its key column, its case column) — a key of that table."""

    table: str
    case_column: str
    sealed: Sequence[tuple[str, str]] = ()
    """(column, encryption context): replaced by a sealed pseudonym of the same shape (NULL stays NULL)."""
    pseudonyms: Sequence[str] = ()
    """Blind indexes and other linking keys: replaced by a random value that matches nobody."""
    values: Mapping[str, Any] = field(default_factory=dict)
    """Plain columns set to a fixed value (None: NULL)."""
    scrubbed: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    """Plain JSON columns rewritten by a function of their value (NULL stays NULL): the service's own rule
    of what in them is personal (amounts, ages, texts) and what the readers and figures need (the shape,
    types, counts and categories)."""
    through: tuple[str, str, str] | None = None
    holds: bool = True
    """Whether rows here make a case count as holding the class (not so for the outbox: every case has
    events, but a case whose data is otherwise gone has nothing left to purge)."""
    only_set: str | None = None
    """Rewrite only rows where this column is set (the outbox: published events, never one still to go)."""


def messaging_targets(service: str) -> tuple[Target, ...]:
    """The service's published events and dead letters about the case: their envelopes carry the sealed
    personal fields and indexes of the case, so they go with the class that holds those (R-RET-2)."""
    return (
        Target(
            f"{service}.outbox",
            "key",
            values={"envelope": {"purged": True}},
            holds=False,
            only_set="published_at",
        ),
        Target(f"{service}.dead_letter", "key", values={"value": '{"purged": true}'}, holds=False),
    )


@dataclass(frozen=True)
class DataClassSpec:
    name: str
    targets: Sequence[Target]
    blobs: BlobHook | None = None


@dataclass(frozen=True)
class RetentionSpec:
    closed: ClosedCases
    classes: Sequence[DataClassSpec]


# --- errors (mapped to problem+json by shared/errors.py through their kind) -----------------------------


class DryRunRequired(RuleRefused):
    slug, title = "retention-dry-run-required", "A purge needs a dry run of this service first"


class SameOfficer(RuleRefused):
    slug, title = "retention-four-eyes", "A second officer applies the dry run"


class UnknownDataClass(InvalidValue):
    pass


class PolicyOwnedElsewhere(RuleRefused):
    slug, title = "retention-policy-owner", "A county's retention periods are set at intake only"


# --- policy ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyVersion:
    version: str
    county_code: str | None
    effective_from: date
    years: dict[str, int]
    set_by: str | None = None
    reason: str | None = None


@cache
def national_default() -> tuple[PolicyVersion, ...]:
    data = json.loads((Path(__file__).parent / "reference" / "retention.json").read_text(encoding="utf-8"))
    return tuple(
        PolicyVersion(v["version"], None, date.fromisoformat(v["effective_from"]), dict(v["years"]))
        for v in data["versions"]
    )


def validate_years(years: Mapping[str, int]) -> dict[str, int]:
    """Known classes only, whole years from 1 to 100 (R-RET-1)."""
    for name, value in years.items():
        if name not in DATA_CLASSES:
            raise UnknownDataClass(f"years.{name}", f"unknown data class; one of {', '.join(DATA_CLASSES)}")
        if not 1 <= value <= 100:
            raise InvalidValue(f"years.{name}", "a retention period is 1 to 100 years")
    return dict(years)


def _tables(runtime: Runtime) -> tuple[Table, Table, Table]:
    t = runtime.module.metadata.tables
    name = runtime.name
    return t[f"{name}.retention_policies"], t[f"{name}.retention_runs"], t[f"{name}.retention_purges"]


async def county_versions(session: AsyncSession, policies: Table, county_code: str) -> list[PolicyVersion]:
    rows = (
        await session.execute(
            select(policies)
            .where(policies.c.county_code == county_code)
            .order_by(policies.c.effective_from, policies.c.created_at)
        )
    ).mappings()
    return [
        PolicyVersion(
            r["version"], r["county_code"], r["effective_from"], dict(r["years"]), r["set_by"], r["reason"]
        )
        for r in rows
    ]


def in_force(versions: Sequence[PolicyVersion], county: Sequence[PolicyVersion], on: date) -> dict[str, int]:
    """The national default in force on ``on`` overlaid by the county's version in force then."""
    years: dict[str, int] = {}
    for group in (versions, county):  # each in the order set (shared/policy_versions.py's rule)
        current = version_in_force(group, on)
        if current:
            years.update(current.years)
    return years


async def periods(runtime: Runtime, session: AsyncSession, county_code: str, on: date) -> dict[str, int]:
    policies, _, _ = _tables(runtime)
    return in_force(national_default(), await county_versions(session, policies, county_code), on)


async def set_policy(
    runtime: Runtime,
    principal: Principal,
    county_code: str,
    effective_from: date,
    years: Mapping[str, int],
    reason: str | None,
) -> tuple[PolicyVersion, bool]:
    """A new county version (never an edit of one in force), set at the policy's owner only (intake); the
    caller is county-level (checked by the router with ``ensure_county_level``). The version and its
    RetentionPolicySet event (the other services' copy) commit with the request's audit entry (outbox).
    The same periods, date and reason as the county's latest version are a replay: that version, and
    ``True`` (nothing new is stored or published)."""
    if runtime.name != POLICY_OWNER:
        raise PolicyOwnedElsewhere(
            f"a county's retention periods are set once, at {POLICY_OWNER}: "
            f"PUT /{POLICY_OWNER}/v1/retention/policies/{county_code}; {runtime.name} keeps a copy",
            rule="R-RET-1",
            owner=POLICY_OWNER,
        )
    checked = validate_years(years)
    policies, _, _ = _tables(runtime)
    version = f"{county_code}-{effective_from.isoformat()}-{secrets.token_hex(3)}"
    made = PolicyVersion(version, county_code, effective_from, checked, principal.subject[:100], reason)
    async with runtime.transaction() as session:
        # one writer per county at a time, so a retried PUT finds the version its first attempt made
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"retention:{county_code}"))))
        versions = await county_versions(session, policies, county_code)
        latest = versions[-1] if versions else None
        if latest and (latest.effective_from, latest.years, latest.reason) == (
            effective_from,
            checked,
            reason,
        ):
            return latest, True
        now = clock.now()
        await _store(session, policies, made, now)
        await runtime.outbox.add(
            session,
            RetentionPolicySet(
                version=version,
                county_code=county_code,
                effective_from=effective_from,
                years=checked,
                set_by=made.set_by or "",
                reason=reason,
                set_at=now,
            ),
            subject=county_code,
        )
    return made, False


async def _store(session: AsyncSession, policies: Table, version: PolicyVersion, at: datetime) -> None:
    await session.execute(
        pg_insert(policies)
        .values(
            version=version.version,
            county_code=version.county_code,
            effective_from=version.effective_from,
            years=version.years,
            set_by=version.set_by,
            reason=version.reason,
            created_at=at,
        )
        .on_conflict_do_nothing(index_elements=["version"])
    )


async def on_policy_set(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: RetentionPolicySet
) -> None:
    """The owner's new county version, copied into this service's own table (R-RET-1) in the inbox's
    transaction; delivered twice, stored once (the version is the key)."""
    policies, _, _ = _tables(runtime)
    copy = PolicyVersion(
        ev.version, ev.county_code, ev.effective_from, validate_years(ev.years), ev.set_by, ev.reason
    )
    await _store(session, policies, copy, ev.set_at)


def policy_handlers(runtime: Runtime) -> dict[str, Callable[..., Awaitable[None]]]:
    """The consumer of the policy owner's RetentionPolicySet, in the handler table of every service but the
    owner (which does not consume its own topic)."""
    return {RetentionPolicySet.event_type: partial(on_policy_set, runtime)}


# --- dry run --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunReport:
    id: str
    service: str
    county_code: str
    as_of: date
    periods: dict[str, int]
    counts: dict[str, dict[str, int]]
    """Per class: ``cases``, and the rows per table (``intake.members``: n) — no personal data."""
    status: str
    planned_by: str
    planned_at: datetime
    applied_by: str | None
    applied_at: datetime | None
    applied: dict[str, int] | None


def cutoff(as_of: date, years: int) -> datetime:
    """Cases closed before the first instant of the local day ``years`` before ``as_of`` are due: one closed
    on 2016-12-02 (Shanghai) with 10 years is due from 2026-12-03 on."""
    try:
        day = as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February
        day = as_of.replace(year=as_of.year - years, day=28)
    return clock.start_of(day)


def _rows_of(tables: Mapping[str, Table], target: Target, case_ids: Any) -> Any:
    """The condition selecting ``target``'s rows of these cases (a list or a subquery of case ids)."""
    table = tables[target.table]
    present = [table.c[target.only_set].is_not(None)] if target.only_set else []
    if target.through is None:
        return and_(table.c[target.case_column].in_(case_ids), *present)
    via, key, case = target.through
    inner = tables[via]
    return and_(
        table.c[target.case_column].in_(select(inner.c[key]).where(inner.c[case].in_(case_ids))), *present
    )


def _due(
    runtime: Runtime,
    spec: DataClassSpec,
    county_code: str,
    before: datetime,
    only: Sequence[str] | None = None,
) -> Select[Any]:
    """The county's cases closed before ``before`` that still hold data of the class (``only``: of these)."""
    tables = runtime.module.metadata.tables
    _, _, purges = _tables(runtime)
    closed = runtime.module.retention.closed().subquery()  # type: ignore[union-attr]
    holding = [
        select(tables[t.table].c[t.case_column])
        if t.through is None
        else select(tables[t.through[0]].c[t.through[2]]).where(
            tables[t.through[0]].c[t.through[1]].in_(select(tables[t.table].c[t.case_column]))
        )
        for t in spec.targets
        if t.holds
    ]
    return (
        select(closed.c.case_id)
        .where(
            closed.c.county_code == county_code,
            closed.c.closed_at < before,
            closed.c.case_id.not_in(select(purges.c.case_id).where(purges.c.data_class == spec.name)),
            or_(*(closed.c.case_id.in_(h) for h in holding)),
            *([closed.c.case_id.in_(list(only))] if only is not None else []),
        )
        .distinct()
    )


async def dry_run(runtime: Runtime, principal: Principal, county_code: str) -> RunReport:
    """What would be purged today (local date) in the county, per class: stored, counted, nothing changed."""
    retention = runtime.module.retention
    if retention is None:
        raise RuntimeError(f"{runtime.name} declares no retention")
    tables = runtime.module.metadata.tables
    _, runs, _ = _tables(runtime)
    as_of = clock.local_today()
    run_id = str(uuid.uuid4())
    async with runtime.transaction() as session:
        years = await periods(runtime, session, county_code, as_of)
        plan: dict[str, list[str]] = {}
        counts: dict[str, dict[str, int]] = {}
        for spec in retention.classes:
            if spec.name not in years:
                continue
            ids = sorted(
                str(i)
                for i in (
                    await session.execute(_due(runtime, spec, county_code, cutoff(as_of, years[spec.name])))
                ).scalars()
            )
            plan[spec.name] = ids
            counts[spec.name] = {"cases": len(ids)}
            for target in spec.targets:
                n = await session.scalar(
                    select(func.count())
                    .select_from(tables[target.table])
                    .where(_rows_of(tables, target, ids))
                )
                rows = counts[spec.name]
                rows[target.table] = rows.get(target.table, 0) + int(n or 0)
        row = {
            "id": run_id,
            "county_code": county_code,
            "as_of": as_of,
            "periods": {k: years[k] for k in plan},
            "plan": plan,
            "counts": counts,
            "status": "planned",
            "planned_by": principal.subject[:100],
            "planned_at": clock.now(),
        }
        await session.execute(runs.insert().values(**row))
        if current_actor() is None:  # the CLI: no request entry, so the dry run records itself
            await _record(runtime, session, principal, "retention dry run", run_id, county_code, {})
    return await report(runtime, run_id)


async def report(runtime: Runtime, run_id: str) -> RunReport:
    _, runs, _ = _tables(runtime)
    async with runtime.reading() as session:
        row = await _run(session, runs, run_id)
    if row is None:
        raise RecordNotFound("no such retention run", run_id=run_id)
    return _report(runtime, row)


async def _run(session: AsyncSession, runs: Table, run_id: str, *, lock: bool = False) -> Any:
    try:
        uuid.UUID(run_id)
    except ValueError:
        return None
    query = select(runs).where(runs.c.id == run_id)
    return (await session.execute(query.with_for_update() if lock else query)).mappings().first()


def _report(runtime: Runtime, row: Any) -> RunReport:
    return RunReport(
        id=row["id"],
        service=runtime.name,
        county_code=row["county_code"],
        as_of=row["as_of"],
        periods=dict(row["periods"]),
        counts=dict(row["counts"]),
        status=row["status"],
        planned_by=row["planned_by"],
        planned_at=row["planned_at"],
        applied_by=row["applied_by"],
        applied_at=row["applied_at"],
        applied=dict(row["applied"]) if row["applied"] is not None else None,
    )


async def run_county(runtime: Runtime, run_id: str) -> str | None:
    """The county of a run (for the router's jurisdiction check), None when there is no such run."""
    _, runs, _ = _tables(runtime)
    async with runtime.sessions() as session:
        row = await _run(session, runs, run_id)
    return None if row is None else str(row["county_code"])


# --- apply ----------------------------------------------------------------------------------------------


async def apply(runtime: Runtime, principal: Principal, run_id: str, *, batch_size: int = 100) -> RunReport:
    """Apply exactly the dry run's set (R-RET-2): a second officer, in batches, each one transaction."""
    retention = runtime.module.retention
    if retention is None:
        raise RuntimeError(f"{runtime.name} declares no retention")
    _, runs, _ = _tables(runtime)
    me = principal.subject[:100]
    async with runtime.transaction() as session:
        row = await _run(session, runs, run_id, lock=True)
        if row is None:
            raise DryRunRequired(
                "no dry run of this id in this service: run POST …/retention/dry-runs first and apply its id",
                rule=PURGE_RULE,
                dry_run_id=run_id,
            )
        if row["status"] == "applied":
            return _report(runtime, row)  # applied already: nothing changes
        if row["planned_by"] == me:
            raise SameOfficer(
                "the officer who made the dry run cannot apply it: a second officer confirms (four eyes)",
                rule=PURGE_RULE,
                dry_run_id=run_id,
            )
        await session.execute(
            update(runs).where(runs.c.id == run_id).values(status="applying", applied_by=me)
        )
        plan: dict[str, list[str]] = dict(row["plan"])
        years: dict[str, int] = dict(row["periods"])
        as_of: date = row["as_of"]
        county: str = row["county_code"]
    done: dict[str, int] = {}
    for spec in retention.classes:
        ids = plan.get(spec.name, [])
        done[spec.name] = 0
        for start in range(0, len(ids), max(1, batch_size)):
            batch = ids[start : start + max(1, batch_size)]
            done[spec.name] += await _purge_batch(
                runtime, principal, spec, run_id, county, cutoff(as_of, years[spec.name]), batch
            )
    async with runtime.transaction() as session:
        await session.execute(
            update(runs)
            .where(runs.c.id == run_id)
            .values(status="applied", applied_at=clock.now(), applied=done)
        )
    return await report(runtime, run_id)


async def _purge_batch(
    runtime: Runtime,
    principal: Principal,
    spec: DataClassSpec,
    run_id: str,
    county: str,
    before: datetime,
    batch: Sequence[str],
) -> int:
    """One transaction: the batch's cases still due (re-checked: closed before the cut-off, not purged), their
    rows locked and rewritten, the purge recorded per case and in the audit log."""
    tables = runtime.module.metadata.tables
    _, _, purges = _tables(runtime)
    async with runtime.transaction() as session:
        due = _due(runtime, spec, county, before, only=batch)
        still = sorted(str(i) for i in (await session.execute(due)).scalars())
        if not still:
            return 0
        for target in spec.targets:
            await _rewrite(session, runtime.cipher, tables, target, still)
        blobs = await spec.blobs(runtime, session, still) if spec.blobs is not None else 0
        now = clock.now()
        await session.execute(
            pg_insert(purges)
            .values(
                [{"case_id": c, "data_class": spec.name, "run_id": run_id, "purged_at": now} for c in still]
            )
            .on_conflict_do_nothing()
        )
        extra = {"blobs": str(blobs)} if spec.blobs is not None else {}
        await _record(
            runtime,
            session,
            principal,
            f"retention purge {spec.name}",
            run_id,
            county,
            {"data_class": spec.name, "cases": str(len(still)), **extra},
        )
    return len(still)


async def _rewrite(
    session: AsyncSession,
    cipher: FieldCipher,
    tables: Mapping[str, Table],
    target: Target,
    case_ids: list[str],
) -> None:
    table = tables[target.table]
    pk = list(table.primary_key.columns)
    sealed_cols = [table.c[c] for c, _ in target.sealed]
    scrubbed = list(target.scrubbed.items())
    rows = (
        await session.execute(
            select(*pk, *sealed_cols, *(table.c[c] for c, _ in scrubbed))
            .where(_rows_of(tables, target, case_ids))
            .order_by(*pk)
            .with_for_update()
        )
    ).all()
    for row in rows:
        values: dict[str, Any] = dict(target.values)
        for i, (column, context) in enumerate(target.sealed):
            old = row[len(pk) + i]
            if old is not None:
                values[column] = pseudonym_sealed(cipher, old, context)
        for i, (column, scrub) in enumerate(scrubbed):
            old = row[len(pk) + len(sealed_cols) + i]
            if old is not None:
                values[column] = scrub(old)
        for column in target.pseudonyms:
            values[column] = unlinkable()
        if values:
            key = and_(*(c == v for c, v in zip(pk, row[: len(pk)], strict=True)))
            await session.execute(update(table).where(key).values(values))


def redact(value: Any) -> Any:
    """The same JSON shape with every text replaced (numbers, booleans and nulls kept)."""
    if isinstance(value, str):
        return PSEUDONYM_TEXT
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    return value


def pseudonym_sealed(cipher: FieldCipher, token: str, context: str) -> str:
    """A sealed value's pseudonym, sealed again under the current key: readers keep working, nothing of the
    person is left (a value no configured key opens stops the batch, rolled back)."""
    plain = cipher.decrypt(token, context=context)
    try:
        shaped = json.dumps(redact(json.loads(plain)), ensure_ascii=False)
    except ValueError:
        shaped = PSEUDONYM_TEXT
    return cipher.encrypt(shaped, context=context)


def unlinkable() -> str:
    """A blind index's replacement: random, so the purged case matches no person and no other case."""
    return f"purged:{secrets.token_hex(24)}"


async def _record(
    runtime: Runtime,
    session: AsyncSession,
    principal: Principal,
    action: str,
    run_id: str,
    county: str,
    target: dict[str, str],
) -> None:
    """An audit entry of the job itself (kind ``purge``), appended in the batch's transaction."""
    request = current_actor()
    actor = Actor(
        principal=principal,
        action=action,
        target={"retention_run": run_id, **target},
        ip=request.ip if request else None,
        reason=PURGE_RULE,
        request_id=request.request_id if request else None,
    )
    kind = "purge" if action.startswith("retention purge") else "change"
    await audit.append(
        session, runtime.audit_table, runtime.audit_keys, actor, kind, place=audit.Place(county, None)
    )
