#!/usr/bin/env python3
"""Benchmark of the whole pipeline on this machine (``make bench``; not part of the tests).

Starts its own PostgreSQL (with ``track_commit_timestamp``) and Kafka on loopback, the five services in
distributed mode, and drives cases through them without ever polling HTTP: progress is read from the topics
(stamped on receipt) and, after each phase, from the databases, where every hop is measured from one commit
to the next (``pg_xact_commit_timestamp`` of insert-only rows: audit entries, decisions, inbox records).

Phases, all in one run so every figure sits beside its references:
  warm-up -> idle burn (no load: just after work, then settled) -> maximum load (closed loop, N cases in
  flight) -> half load (open loop at half the measured maximum) -> intake POST against a bare FastAPI JSON
  echo (other services stopped) -> pgbench on the same server (its commit ceiling) and Kafka's produce rate.
Writes artifacts/bench/results.json, results.md and bench.svg. Stops by itself (every phase is bounded).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts import kafka, pg  # noqa: E402
from scripts.cluster import Cluster, free_port, open_cluster  # noqa: E402
from scripts.cluster import plain_dsn as _plain  # noqa: E402
from services.demo import STAFF  # noqa: E402
from services.intake.domain.policy import in_force  # noqa: E402
from shared import clock, embedded_pg, idnumber  # noqa: E402
from shared.auth import DevIssuer  # noqa: E402
from shared.settings import DEV_BLIND_INDEX_KEY  # noqa: E402

OUT = ROOT / "artifacts" / "bench"
VERIFICATION_SYSTEM = ROOT / "tests" / "service" / "fake_verification.py"
OUTSIDE = ("bench_driver", "verification_system")
"""Processes reported apart: the driver and the city's verification system are not the system under test."""
DEV_KEY_DIR = str(ROOT / ".run" / "bench-dev-issuer")
"""The development issuer the benchmark's services trust and its callers sign with."""
_households = itertools.count()


def archive_items() -> list[str]:
    """R-ARC-1: the documents the bench's case must have on file before its review (the intake and
    investigation stages of the medical checklist in force), the home-visit report apart."""
    rules = in_force(clock.local_today())
    return [
        kind
        for kind in rules.required("medical", county="140302")
        if rules.documents[kind].stage in ("intake", "investigation") and kind != "home_visit_report"
    ]


def auth(subject: str, *roles: str) -> dict[str, str]:
    token = DevIssuer(Path(DEV_KEY_DIR), "assistance-api").mint(subject, list(roles), ttl=4 * 3600)
    return {"Authorization": f"Bearer {token}"}


def officer() -> dict[str, str]:
    """A city-wide officer holding every staff role."""
    return auth("bench-officer", *STAFF)


def _resident_id(birth: date, member: int) -> str:
    first17 = f"140302{birth:%Y%m%d}{member:03d}"
    return first17 + idnumber.check_character(first17)


def application() -> dict:
    """A consented, eligible medical expenditure case with a household of two no other case shares (a fresh
    birth date per case, so neither the repeat rule nor the duplicate flags hold it back)."""
    birth = date(1950, 1, 1) + timedelta(days=next(_households))
    return {
        "household": [
            {"name": "张小明", "id_number": _resident_id(birth, 1), "relation": "self"},
            {"name": "李花", "id_number": _resident_id(birth, 2), "relation": "spouse", "dibao": True},
        ],
        "phone": "13800000000",
        "address": {"county_code": "140302", "township_code": "140302001", "detail": "上站街道某路1号"},
        "category": "expenditure",
        "subtype": "medical",
        "incident": {"description": "住院治疗", "occurred_on": "2026-10-01", "ongoing": False},
        "persons_helped": 2,
        "annual_household_income": "20000.00",
        "property": {"deposits": "1000.00", "vehicles": 0, "vehicle_value": "0.00", "houses": 1},
        "medical": {
            "total_bills": "80000.00",
            "basic_insurance": "40000.00",
            "critical_illness_insurance": "10000.00",
            "commercial_insurance": "0.00",
            "medical_assistance": "5000.00",
        },
        "payee": {"name": "张小明", "bank": "中国工商银行", "account": "6222020200112233445"},
        "consents": {
            "verify_economic_situation": True,
            "share_with_charities": True,
            "share_health_data": True,  # a medical need reaches partners only with it (R-CHA-2)
        },
    }


HOPS = (
    "intake_to_assessment",
    "assessment_to_approval",
    "approval_to_disbursement",
    "approval_to_referral",
    "referral_to_partner_topic",
)
CLK_TCK = os.sysconf("SC_CLK_TCK")
STATS_FLUSH_SECONDS = 11.0
"""PostgreSQL flushes an idle backend's statistics within 10 s (PGSTAT_IDLE_INTERVAL)."""
CONSENTS = json.dumps(
    {"verify_economic_situation": True, "share_with_charities": False, "share_health_data": False}
)


# ---------------------------------------------------------------- small statistics


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(seconds: list[float]) -> dict[str, float]:
    """p50/p90/p99 in ms; a negative sample would be a measurement bug, so it fails loudly."""
    if any(v < 0 for v in seconds):
        raise AssertionError(f"negative latency measured: {min(seconds)}")
    return {
        "p50_ms": round(pct(seconds, 50) * 1000, 1),
        "p90_ms": round(pct(seconds, 90) * 1000, 1),
        "p99_ms": round(pct(seconds, 99) * 1000, 1),
        "max_ms": round(max(seconds, default=0) * 1000, 1),
        "n": len(seconds),
    }


# ---------------------------------------------------------------- processes: CPU and memory


def _cpu_ticks(pid: int, children_too: bool = False) -> int:
    """utime+stime of ``pid`` (plus its waited-for children's, e.g. PostgreSQL backends that exited)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    ticks = int(fields[11]) + int(fields[12])
    if children_too:
        ticks += int(fields[13]) + int(fields[14])
    return ticks


def _pss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Processes:
    """The processes whose CPU is counted: the five services, Kafka's JVM and PostgreSQL (all backends)."""

    cluster: Cluster
    pg_data: str
    kafka_data: str
    verification_system: int | None = None

    def groups(self) -> dict[str, list[tuple[int, bool]]]:
        groups: dict[str, list[tuple[int, bool]]] = {
            name: [(proc.pid, False)] for name, proc in self.cluster.procs.items()
        }
        broker = kafka._broker_pid(kafka._data(self.kafka_data))
        groups["kafka"] = [(broker, False)] if broker else []
        postmaster = embedded_pg._postmaster(pg._data(self.pg_data))
        if postmaster:
            pid = postmaster[0]
            groups["postgresql"] = [(pid, True), *((c, False) for c in embedded_pg._children(pid))]
        groups["bench_driver"] = [(os.getpid(), False)]
        if self.verification_system is not None:
            groups["verification_system"] = [(self.verification_system, False)]
        return groups

    def cpu_seconds(self) -> dict[str, float]:
        return {
            name: sum(_cpu_ticks(pid, kids) for pid, kids in members) / CLK_TCK
            for name, members in self.groups().items()
        }

    def memory_mib(self) -> dict[str, float]:
        return {
            name: round(sum(_pss_mib(pid) for pid, _ in members), 1)
            for name, members in self.groups().items()
        }


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: max(0.0, after.get(k, 0.0) - v) for k, v in before.items()}


def system_total(cpu: dict[str, float]) -> float:
    """CPU of the system under test (the driver and the verification system are reported apart)."""
    return sum(v for k, v in cpu.items() if k not in OUTSIDE)


# ---------------------------------------------------------------- counters: commits, messages, offsets


class Counters:
    def __init__(self, database_url: str, bootstrap: str, prefix: str) -> None:
        self.database_url, self.bootstrap, self.prefix = database_url, bootstrap, prefix
        self.admin: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self.admin = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, exclude_internal_topics=False)
        await self.admin.start()

    async def stop(self) -> None:
        if self.admin is not None:
            await self.admin.stop()

    async def commits(self) -> int:
        return (await self._database_stats())[0]

    async def _database_stats(self) -> tuple[int, int]:
        """(commits, sessions opened) of the bench's database."""
        conn = await asyncpg.connect(_plain(self.database_url))
        try:
            row = await conn.fetchrow(
                "SELECT xact_commit, sessions FROM pg_stat_database WHERE datname = current_database()"
            )
            return int(row["xact_commit"]), int(row["sessions"])
        finally:
            await conn.close()

    async def _end_offsets(self, prefix: str | None = None, topic: str | None = None) -> int:
        """Sum of end offsets over the topics named ``prefix.*`` or the one ``topic`` (internal ones too)."""
        if self.admin is None:
            raise RuntimeError("counters not started")
        metadata = await self.admin._client.fetch_all_metadata()
        names = [topic] if topic else [t for t in metadata.topics() if prefix and t.startswith(prefix + ".")]
        parts = [TopicPartition(t, p) for t in names for p in metadata.partitions_for_topic(t) or ()]
        if not parts:
            return 0
        return sum((await self.admin.end_offsets(parts)).values())

    async def messages(self) -> int:
        """Records on the cluster's topics (its prefix), dead-letter topics included."""
        return await self._end_offsets(prefix=self.prefix)

    async def offset_commits(self) -> int:
        """Records written to ``__consumer_offsets``: one per partition per offset commit (and a few for
        group membership); the bench's own consumers never commit."""
        return await self._end_offsets(topic="__consumer_offsets")

    async def snapshot(self) -> dict[str, int]:
        commits, sessions = await self._database_stats()
        return {
            "commits": commits,
            "sessions": sessions,
            "messages": await self.messages(),
            "offset_commits": await self.offset_commits(),
        }


# ---------------------------------------------------------------- the driver


def case_ref(case_id: str) -> str:
    """Referral's pseudonymous reference (services/referral/service/sharing.py), under the development key."""
    digest = hmac.new(DEV_BLIND_INDEX_KEY.encode(), f"case-ref:{case_id}".encode(), hashlib.sha256)
    return "CR-" + digest.hexdigest()[:20]


@dataclass
class Case:
    request_id: str
    submitted: float
    case_id: str | None = None
    assessed: float | None = None
    assessment_at: tuple[int, int] | None = None
    """(partition, offset) of its assessment on the assessment topic."""
    archived_at: tuple[int, int] | None = None
    """(partition, offset) on the intake topic of the completeness report with nothing blocking."""
    decided: float | None = None
    paid: float | None = None
    partner: float | None = None

    @property
    def done(self) -> float | None:
        if self.paid is None or self.partner is None:
            return None
        return max(self.paid, self.partner)


@dataclass
class Phase:
    name: str
    cases: dict[str, Case] = field(default_factory=dict)
    """By case id, once intake answered."""
    started: float = 0.0
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    expected: int = 0
    decision_retries: int = 0
    errors: list[str] = field(default_factory=list)

    def progress(self) -> str:
        cases = self.cases.values()
        seen = {
            k: sum(getattr(c, k) is not None for c in cases)
            for k in ("assessed", "decided", "paid", "partner")
        }
        return f"{self.name}: {len(self.cases)}/{self.expected} submitted, {seen}, errors {self.errors[:3]}"

    def check_done(self) -> None:
        if len(self.cases) == self.expected and all(c.done for c in self.cases.values()):
            self.finished.set()


class Driver:
    """Submits applications, decides each case when its assessment appears on the assessment topic, and
    counts a case done when its payment instruction and its partner event have both appeared."""

    def __init__(self, cluster: Cluster, concurrency: int) -> None:
        self.cluster = cluster
        self.by_case: dict[str, Case] = {}
        self.by_ref: dict[str, Case] = {}
        self.early: dict[str, tuple[float, int, int]] = {}
        self.early_archive: dict[str, tuple[int, int]] = {}
        self.awaiting: list[Case] = []
        self.archive = archive_items()
        self.visitor_headers = auth("bench-visitor", "township_reviewer")
        self.admin: AIOKafkaAdminClient | None = None
        self.phase: Phase | None = None
        self.consumer: AIOKafkaConsumer | None = None
        self.client = httpx.AsyncClient(
            timeout=30,
            headers=officer(),
            # idle connections dropped before uvicorn's 5 s keep-alive ends them under a request in flight
            limits=httpx.Limits(
                max_connections=concurrency * 3, max_keepalive_connections=concurrency * 3, keepalive_expiry=2
            ),
        )
        self.reviewer_headers = auth("bench-reviewer", "township_reviewer")
        self.tasks: set[asyncio.Task[None]] = set()
        self.slots: asyncio.Semaphore | None = None

    async def start(self) -> None:
        topics = [self.cluster.topic(t) for t in ("intake", "assessment", "disbursement", "referral.partner")]
        self.consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=self.cluster.kafka,
            group_id=None,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=2000,  # answered on arrival anyway; idle, it saves the broker 2 fetches/s
        )
        await self.consumer.start()
        await self.consumer.getmany(timeout_ms=500)  # assignment and initial positions
        self.admin = AIOKafkaAdminClient(bootstrap_servers=self.cluster.kafka)
        await self.admin.start()
        self.tasks.add(asyncio.create_task(self._watch()))
        self.tasks.add(asyncio.create_task(self._release()))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.consumer is not None:
            await self.consumer.stop()
        if self.admin is not None:
            await self.admin.close()
        await self.client.aclose()

    async def _release(self) -> None:
        """Decide a case once approval holds it: approval's consumer group has committed the offsets past
        its assessment and past intake's report that its archive is complete (offsets are committed after
        the inbox). Read from the broker, never from approval's HTTP API, so the driver adds no load to the
        service it waits for."""
        if self.admin is None:
            raise RuntimeError("driver not started")
        group = f"{self.cluster.topic_prefix}-approval"
        assessment, intake = self.cluster.topic("assessment"), self.cluster.topic("intake")
        while True:
            await asyncio.sleep(0.1)  # no hop is timed from here (hops run commit to commit)
            ready = [c for c in self.awaiting if c.assessment_at and c.archived_at]
            if not ready:
                continue
            committed = {
                (tp.topic, tp.partition): meta.offset
                for tp, meta in (await self.admin.list_consumer_group_offsets(group)).items()
            }

            def past(topic: str, at: tuple[int, int], committed: dict = committed) -> bool:
                return committed.get((topic, at[0]), -1) > at[1]

            released = {
                id(c)
                for c in ready
                if c.assessment_at
                and c.archived_at
                and past(assessment, c.assessment_at)
                and past(intake, c.archived_at)
            }
            for case in self.awaiting:
                if id(case) in released:
                    self._spawn(self._decide(case))
            self.awaiting = [c for c in self.awaiting if id(c) not in released]

    async def _watch(self) -> None:
        if self.consumer is None:
            raise RuntimeError("driver not started")
        assessment, disbursement = self.cluster.topic("assessment"), self.cluster.topic("disbursement")
        intake = self.cluster.topic("intake")
        while True:
            batches = await self.consumer.getmany(timeout_ms=200)
            now = time.time()
            for tp, messages in batches.items():
                for m in messages:
                    envelope = json.loads(m.value)
                    data = envelope.get("data", {})
                    if tp.topic == intake:
                        if data.get("blocking") != [] or "required" not in data:
                            continue  # not the completeness report that lets the review through
                        case = self.by_case.get(data.get("case_id", ""))
                        if case is None:
                            self.early_archive[data.get("case_id", "")] = (tp.partition, m.offset)
                        elif case.archived_at is None:
                            case.archived_at = (tp.partition, m.offset)
                    elif tp.topic == assessment:
                        case = self.by_case.get(data.get("case_id", ""))
                        if case is None:  # assessed before intake's answer reached the driver
                            self.early[data.get("case_id", "")] = (now, tp.partition, m.offset)
                        elif case.assessed is None:
                            case.assessed = now
                            case.assessment_at = (tp.partition, m.offset)
                    elif tp.topic == disbursement:
                        case = self.by_case.get(data.get("case_id", ""))
                        if case is not None and case.paid is None:
                            case.paid = now
                            self._completed(case)
                    else:
                        case = self.by_ref.get(data.get("case_ref", ""))
                        if case is not None and case.partner is None:
                            case.partner = now
                            self._completed(case)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _completed(self, case: Case) -> None:
        if case.done is not None and self.phase is not None:
            if self.slots is not None:
                self.slots.release()
            self.phase.check_done()

    async def _decide(self, case: Case) -> None:
        """Review (township reviewer), then approve (another person: four eyes, R-FLOW-1). A 404 would mean
        approval does not hold the case yet: retried with backoff, and counted."""
        base = f"{self.cluster.urls['approval']}/approval/v1/cases/{case.case_id}"
        review = {"opinion": "approved", "reasons": "bench (R-FLOW-1)"}
        if await self._post(f"{base}/review", review, f"{case.request_id}-r", self.reviewer_headers):
            decision = {"decision": "approved", "reasons": "bench", "confirm_extended_duration": True}
            await self._post(f"{base}/decision", decision, f"{case.request_id}-d", {})
        case.decided = time.time()

    async def _post(self, url: str, body: dict, request_id: str, headers: dict[str, str]) -> bool:
        pause = 0.02
        for _ in range(200):
            r = await self.client.post(url, json=body, headers={"X-Request-ID": request_id, **headers})
            if r.status_code != 404:
                break
            if self.phase is not None:
                self.phase.decision_retries += 1
            await asyncio.sleep(pause)  # backing off, so retries never crowd out approval's own consumer
            pause = min(0.25, pause * 2)
        if r.status_code != 200 and self.phase is not None:
            self.phase.errors.append(f"{url.rsplit('/', 1)[1]} {r.status_code}: {r.text[:200]}")
        return r.status_code == 200

    async def _submit(self, phase: Phase, n: int) -> None:
        request_id = f"bench-{phase.name}-{n}-{uuid.uuid4().hex[:8]}"
        case = Case(request_id=request_id, submitted=time.time())
        body = application()
        for attempt in range(5):
            try:  # retried safely: the Idempotency-Key makes a repeat return the first answer
                r = await self.client.post(
                    self.cluster.urls["intake"] + "/intake/v1/applications",
                    json=body,
                    headers={"X-Request-ID": request_id, "Idempotency-Key": request_id},
                )
                break
            except httpx.TransportError:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.1)
        if r.status_code not in (200, 201):
            phase.errors.append(f"intake {r.status_code}: {r.text[:200]}")
            phase.expected -= 1
            phase.check_done()
            return
        case.case_id = r.json()["id"]
        self.by_case[case.case_id] = case
        self.by_ref[case_ref(case.case_id)] = case
        phase.cases[case.case_id] = case
        if case.case_id in self.early:
            case.assessed, partition, offset = self.early.pop(case.case_id)
            case.assessment_at = (partition, offset)
        self.awaiting.append(case)
        await self._complete_archive(phase, case)
        if case.case_id in self.early_archive:
            case.archived_at = self.early_archive.pop(case.case_id)

    async def _complete_archive(self, phase: Phase, case: Case) -> None:
        """R-ARC-1, as a township does before the review: the required papers recorded by reference to the
        object store in one batch (a township's client records the paper set in one go), and the home-visit
        report signed by a second officer."""
        base = f"{self.cluster.urls['intake']}/intake/v1/applications/{case.case_id}"
        documents = [
            {
                "kind": kind,
                "media_type": "application/pdf",
                "size_bytes": 150000,
                "sha256": hashlib.sha256(f"{case.case_id}:{kind}".encode()).hexdigest(),
                "storage_uri": f"s3://archive/{case.case_id}/{kind}.pdf",
                "metadata": {},
                "recorded_by": "bench-clerk",
            }
            for kind in self.archive
        ]
        await self._archive_post(phase, f"{base}/documents/batch", {"documents": documents}, {})
        visit = {
            "visited_on": clock.local_today().isoformat(),
            "second_visitor": "bench-visitor",
            "findings": "入户核实：家庭情况与申请一致",
            "living_conditions": "住房受损，生活困难",
        }
        made = await self._archive_post(phase, f"{base}/home-visits", visit, {})
        if made is not None:
            await self._archive_post(
                phase, f"{base}/home-visits/{made['id']}/confirmation", {}, self.visitor_headers
            )

    async def _archive_post(
        self, phase: Phase, url: str, body: dict, headers: dict[str, str]
    ) -> dict[str, Any] | None:
        r = await self.client.post(url, json=body, headers=headers)
        if r.status_code not in (200, 201):
            phase.errors.append(f"archive {r.status_code}: {r.text[:200]}")
            return None
        return dict(r.json())

    async def closed_loop(self, name: str, cases: int, in_flight: int, budget: float) -> Phase:
        """At most ``in_flight`` cases between submission and completion: the maximum this system does."""
        phase = self.phase = Phase(name, expected=cases, started=time.time())
        self.slots = asyncio.Semaphore(in_flight)
        for n in range(cases):
            await asyncio.wait_for(self.slots.acquire(), budget)
            self._spawn(self._submit(phase, n))
        await self._finish(phase, budget)
        self.slots = None
        return phase

    async def open_loop(self, name: str, cases: int, rate: float, budget: float) -> Phase:
        """A new case every 1/``rate`` seconds whatever happens to the earlier ones: a fixed offered load."""
        phase = self.phase = Phase(name, expected=cases, started=time.time())
        t0 = time.perf_counter()
        for n in range(cases):
            delay = t0 + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self._spawn(self._submit(phase, n))
        await self._finish(phase, budget)
        return phase

    @staticmethod
    async def _finish(phase: Phase, budget: float) -> None:
        """Wait for every case; an error (a refused submission or decision) fails the run at once."""
        deadline = time.monotonic() + budget
        while not phase.finished.is_set():
            if phase.errors:
                raise RuntimeError(f"phase failed: {phase.progress()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"phase not finished within {budget} s: {phase.progress()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(phase.finished.wait(), 1)
        print(phase.progress(), flush=True)


# ---------------------------------------------------------------- hops from the databases


HOP_SQL = {
    # intake's POST commit (its audit entry, written in the same transaction) -> assessment's inbox commit
    "intake": """
        SELECT a.request_id, extract(epoch FROM pg_xact_commit_timestamp(a.xmin))::float8 AS t
        FROM intake.audit_log a WHERE a.request_id = ANY($1::text[]) AND a.kind = 'change'""",
    "decided": """
        SELECT d.case_id::text, extract(epoch FROM pg_xact_commit_timestamp(d.xmin))::float8 AS t
        FROM approval.decisions d WHERE d.step = 'approval' AND d.case_id = ANY($1::uuid[])""",
}


async def _inbox_commits(conn: asyncpg.Connection, consumer: str, producer: str, ids: list[str]) -> dict:
    """Case id -> commit time of ``consumer``'s inbox record of each event ``producer`` wrote for it (the
    transaction that applied the event and wrote the consumer's own events); by event type."""
    rows = await conn.fetch(
        f"""SELECT o.key AS case_id, o.event_type,
                   extract(epoch FROM pg_xact_commit_timestamp(i.xmin))::float8 AS t
            FROM {producer}.outbox o JOIN {consumer}.inbox i ON i.event_id = o.event_id
            WHERE o.key = ANY($1::text[])""",  # noqa: S608 - the bench's own schema names
        ids,
    )
    found: dict[str, dict[str, float]] = {}
    for r in rows:
        found.setdefault(r["event_type"], {})[r["case_id"]] = r["t"]
    return found


async def hops(database_url: str, phase: Phase) -> dict[str, dict[str, float]]:
    ids = list(phase.cases)
    conn = await asyncpg.connect(_plain(database_url))
    try:
        by_request = {c.request_id: c.case_id for c in phase.cases.values()}
        intake = {
            by_request[r["request_id"]]: r["t"]
            for r in await conn.fetch(HOP_SQL["intake"], list(by_request))
            if r["request_id"] in by_request
        }
        decided = {r["case_id"]: r["t"] for r in await conn.fetch(HOP_SQL["decided"], ids)}
        submitted = "gov.assistance.intake.application-submitted.v1"
        assessed = "gov.assistance.assessment.case-assessed.v1"
        case_decided = "gov.assistance.approval.case-decided.v1"
        at_assessment = (await _inbox_commits(conn, "assessment", "intake", ids)).get(submitted, {})
        at_approval = (await _inbox_commits(conn, "approval", "assessment", ids)).get(assessed, {})
        at_disbursement = (await _inbox_commits(conn, "disbursement", "approval", ids)).get(case_decided, {})
        referral_decided = await _inbox_commits(conn, "referral", "approval", ids)
        referral_submitted = await _inbox_commits(conn, "referral", "intake", ids)
    finally:
        await conn.close()

    def pairs(start: dict[str, float], end: dict[str, float]) -> list[float]:
        return [end[c] - start[c] for c in ids if c in start and c in end]

    # the partner event is written by whichever of referral's two inputs comes last
    shared_at = {
        c: max(
            referral_decided.get(case_decided, {}).get(c, 0), referral_submitted.get(submitted, {}).get(c, 0)
        )
        for c in ids
    }
    partner = {c: phase.cases[c].partner for c in ids if phase.cases[c].partner}
    return {
        "intake_to_assessment": summary(pairs(intake, at_assessment)),  # type: ignore[arg-type]
        "assessment_to_approval": summary(pairs(at_assessment, at_approval)),
        "approval_to_disbursement": summary(pairs(decided, at_disbursement)),
        "approval_to_referral": summary(pairs(decided, referral_decided.get(case_decided, {}))),
        "referral_to_partner_topic": summary(pairs({c: t for c, t in shared_at.items() if t}, partner)),  # type: ignore[arg-type]
    }


# ---------------------------------------------------------------- one measured phase


async def measured(
    driver: Driver,
    counters: Counters,
    procs: Processes,
    idle_commit_rate: float,
    run: Any,
) -> tuple[Phase, dict[str, Any]]:
    """Run a phase between two snapshots; CPU up to the last completion, commits after the stats flush
    (less the idle commit rate over the flush wait, so idle polling is not charged to the cases)."""
    before, cpu0 = await counters.snapshot(), procs.cpu_seconds()
    phase = await run
    cpu1 = procs.cpu_seconds()
    ended = time.time()
    await asyncio.sleep(STATS_FLUSH_SECONDS)
    after = await counters.snapshot()
    tail = time.time() - ended
    n = len(phase.cases)
    done = [c.done for c in phase.cases.values() if c.done]
    elapsed = max(done) - min(c.submitted for c in phase.cases.values())
    cpu = cpu_delta(cpu0, cpu1)
    commits = max(0.0, after["commits"] - before["commits"] - idle_commit_rate * tail - 1)
    figures = {
        "cases": n,
        "seconds": round(elapsed, 2),
        "cases_per_second": round(n / elapsed, 2),
        "commits_per_case": round(commits / n, 2),
        "database_sessions_per_case": round((after["sessions"] - before["sessions"] - 2) / n, 2),
        "kafka_messages_per_case": round((after["messages"] - before["messages"]) / n, 2),
        "offset_commit_records_per_case": round((after["offset_commits"] - before["offset_commits"]) / n, 2),
        "cpu_ms_per_case": round(system_total(cpu) * 1000 / n, 1),
        "cpu_ms_per_case_by_process": {k: round(v * 1000 / n, 1) for k, v in cpu.items()},
        "cores_busy": round(system_total(cpu) / max(elapsed, 0.001), 2),
        "decision_retries_per_case": round(phase.decision_retries / n, 2),
        "errors": phase.errors[:5],
        "throughput_timeline": timeline(phase),
    }
    return phase, figures


def timeline(phase: Phase) -> list[int]:
    """Cases completed in each second since the phase started."""
    done = sorted(c.done - phase.started for c in phase.cases.values() if c.done)
    if not done:
        return []
    bins = [0] * (int(done[-1]) + 1)
    for t in done:
        bins[int(t)] += 1
    return bins


async def idle_window(procs: Processes, counters: Counters, seconds: float) -> dict[str, Any]:
    c0, cpu0, t0 = await counters.commits(), procs.cpu_seconds(), time.time()
    await asyncio.sleep(seconds)
    c1, cpu1, t1 = await counters.commits(), procs.cpu_seconds(), time.time()
    cpu = cpu_delta(cpu0, cpu1)
    wall = t1 - t0
    return {
        "seconds": round(wall, 1),
        "cores": round(system_total(cpu) / wall, 3),
        "cores_by_process": {k: round(v / wall, 3) for k, v in cpu.items()},
        "commits_per_second": round(max(0, c1 - c0 - 1) / wall, 2),
    }


async def idle_burn(procs: Processes, counters: Counters, seconds: float, settle: float) -> dict[str, Any]:
    """No cases at all, twice: just after the warm-up (the JVM and the services' back-offs still winding
    down from work) and again once the system has rested ``settle`` seconds, the state a quiet night
    leaves it in. The second is the idle burn; both are reported."""
    after_work = await idle_window(procs, counters, seconds)
    await asyncio.sleep(settle)
    settled = await idle_window(procs, counters, 2 * seconds)
    ended = STATS_FLUSH_SECONDS + seconds + settle  # called once the statistics of the work are flushed
    return {**settled, "settled_after_seconds": round(ended), "after_work": after_work}


# ---------------------------------------------------------------- the city's verification system


@dataclass
class VerificationSystem:
    """The city's verification system (核对, docs/verification.md), played by the tests' fake: a real HTTP
    process that checks the token, the idempotency key and every member's ID number, so each case's
    economic request and registry check are sent as in production (without it every request failed and
    was retried). Answers are polled an hour later (``ASSESSMENT_VERIFICATION_POLL_SECONDS``): in practice
    the answer comes long after the case went through, and its reassessment is not a step measured here."""

    proc: subprocess.Popen[bytes]
    url: str
    token: str

    def env(self) -> dict[str, str]:
        return {
            "ASSESSMENT_VERIFICATION_URL": self.url,
            "ASSESSMENT_VERIFICATION_TOKEN": self.token,
            "ASSESSMENT_VERIFICATION_POLL_SECONDS": "3600",
        }

    async def received(self) -> dict[str, Any]:
        """What it got: requests, polls, and any it refused (a malformed request would be ours)."""
        async with httpx.AsyncClient(timeout=5) as client:
            got = (await client.get(f"{self.url}/control/received")).json()
        return {"requests": got["posts"], "polls": got["polls"], "refused": len(got["refused"])}


def start_verification_system() -> VerificationSystem:
    port, token = free_port(), secrets.token_urlsafe(24)
    cmd = [sys.executable, str(VERIFICATION_SYSTEM), f"--token={token}", "--port", str(port)]  # may begin "-"
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    return VerificationSystem(proc, f"http://127.0.0.1:{port}", token)


@contextlib.asynccontextmanager
async def verification_system() -> AsyncIterator[VerificationSystem]:
    system = start_verification_system()
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            for _ in range(100):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{system.url}/control/received")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the verification system did not start")
        yield system
    finally:
        system.proc.terminate()
        await asyncio.to_thread(system.proc.wait, 5)


# ---------------------------------------------------------------- intake POST against a bare echo


def echo_server(port: int) -> None:
    """A bare FastAPI JSON echo served by the same uvicorn set-up as the services."""
    from fastapi import FastAPI

    from services.__main__ import _serve

    app = FastAPI()

    @app.post("/echo")
    async def echo(body: dict[str, Any]) -> dict[str, Any]:
        return body

    _serve(app, "127.0.0.1", port)


async def hammer(url: str, bodies: list[dict], concurrency: int, headers: dict[str, str]) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    warm, queue = bodies[-1], list(reversed(bodies[:-1]))
    async with httpx.AsyncClient(timeout=30, headers=headers) as client:

        async def worker() -> None:
            while queue:
                body = queue.pop()
                t = time.perf_counter()
                r = await client.post(url, json=body)
                latencies.append(time.perf_counter() - t)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

        await client.post(url, json=warm)  # connection and first-call costs out of the figure
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return {"requests_per_second": round(len(latencies) / elapsed, 1), "statuses": statuses} | summary(
        latencies
    )


async def intake_vs_echo(cluster: Cluster, requests: int, concurrency: int) -> dict[str, Any]:
    """Intake's POST alone on the machine (every other service stopped: household, left running, used to
    take each submission while intake was measured) against the bare echo."""
    for name in [n for n in cluster.procs if n != "intake"]:
        cluster.procs.pop(name).terminate()
    port = free_port()
    echo = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__)),
        "--echo-server",
        str(port),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(600):
                try:
                    await client.post(f"http://127.0.0.1:{port}/echo", json={})
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
        bodies = [application() for _ in range(requests + 1)]
        intake = await hammer(
            cluster.urls["intake"] + "/intake/v1/applications", bodies, concurrency, officer()
        )
        bare = await hammer(f"http://127.0.0.1:{port}/echo", bodies, concurrency, officer())
    finally:
        if echo.returncode is None:
            echo.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(echo.wait(), 10)
        except TimeoutError:
            echo.kill()
    return {
        "intake": intake,
        "bare_echo": bare,
        "vs_bare_echo": round(intake["requests_per_second"] / bare["requests_per_second"], 3),
        "concurrency": concurrency,
    }


# ---------------------------------------------------------------- references


def pgbench(port: int, seconds: int) -> float:
    binary = str(pg.bin_dir() / "pgbench")
    common = ["-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
    subprocess.run([str(pg.bin_dir() / "createdb"), *common, "bench"], capture_output=True)
    subprocess.run([binary, *common, "-i", "-q", "-s", "5", "bench"], check=True, capture_output=True)
    done = subprocess.run(
        [binary, *common, "-c", "8", "-j", "2", "-T", str(seconds), "-N", "bench"],
        check=True,
        capture_output=True,
        text=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("tps ="))
    return round(float(line.split()[2]), 1)


async def kafka_produce_rate(bootstrap: str, messages: int) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5)
    await producer.start()
    payload = b"x" * 1024
    topic = f"bench-{uuid.uuid4().hex[:6]}"
    try:
        await producer.send_and_wait(topic, payload)
        start = time.perf_counter()
        futures = [await producer.send(topic, payload, key=str(i).encode()) for i in range(messages)]
        await asyncio.gather(*futures)
        return round(messages / (time.perf_counter() - start), 1)
    finally:
        await producer.stop()


# ---------------------------------------------------------------- optional extras (not run by default)


async def list_growth(cluster: Cluster, sizes: list[int]) -> list[dict]:
    """Latency of the first page and of a page deep in the keyset, as intake.applications grows."""
    from services.intake.service import PERSONAL
    from services.intake.settings import IntakeSettings
    from shared.crypto import FieldCipher

    settings = IntakeSettings()
    personal = FieldCipher(settings.encryption_keys, settings.blind_index_key).encrypt(
        json.dumps({"household": [], "phone": None, "address": "-", "incident": "-", "payee": None}),
        context=PERSONAL,
    )
    conn = await asyncpg.connect(_plain(cluster.database_url))
    results = []
    have = await conn.fetchval("SELECT count(*) FROM intake.applications")
    async with httpx.AsyncClient(timeout=60, headers=officer()) as client:
        for size in sizes:
            if size > have:
                await conn.execute(
                    """
                    INSERT INTO intake.applications (id, case_no, revision, status, channel, county_code,
                      township_code, category, subtype, incident_date, household_size, persons_helped, facts,
                      consents, personal, applicant_bidx, created_at, updated_at)
                    SELECT gen_random_uuid(), 'BENCH' || g, 1, 'submitted', 'walk_in',
                      (ARRAY['140302','140303','140311','140321','140322'])[1 + g % 5], '140302001',
                      'expenditure', 'medical', DATE '2026-10-01', 2, 2, '{"household": []}', $4, $3, 'x',
                      now() - make_interval(secs => g), now()
                    FROM generate_series($1::bigint, $2::bigint) AS g""",
                    have + 1,
                    size,
                    personal,
                    CONSENTS,
                )
                await conn.execute("ANALYZE intake.applications")
                have = size
            url = cluster.urls["intake"] + "/intake/v1/applications"
            first, deep = [], []
            cursor = None
            for _ in range(20):
                t = time.perf_counter()
                page = (await client.get(url, params={"county_code": "140303", "limit": 50})).json()
                first.append(time.perf_counter() - t)
                t = time.perf_counter()
                params = {"county_code": "140303", "limit": 50} | ({"cursor": cursor} if cursor else {})
                page = (await client.get(url, params=params)).json()  # type: ignore[arg-type]
                deep.append(time.perf_counter() - t)
                cursor = page["next_cursor"]
            results.append({"rows": size, "first_page": summary(first), "next_pages": summary(deep)})
    await conn.close()
    return results


async def batch_approval(cluster: Cluster, count: int) -> dict:
    """Hundreds of reviewed cases approved in one ``decisions:batch`` call, against the same number of
    cases approved one request at a time in the same run."""
    conn = await asyncpg.connect(_plain(cluster.database_url))
    url = cluster.urls["approval"] + "/approval/v1"
    reviewer = auth("bench-reviewer", "township_reviewer")

    async def reviewed(n: int) -> list[str]:
        ids = [str(uuid.uuid4()) for _ in range(n)]
        await conn.executemany(
            "INSERT INTO approval.cases (case_id, revision, county_code, township_code, category, subtype, "
            "status, eligible, assessed_amount, months, household_size, needs, assessment) "
            "VALUES ($1, 1, '140302', '140302002', 'expenditure', 'medical', 'pending', true, 1000.00, 1, 2, "
            "'[]', '{}')",
            [(i,) for i in ids],
        )
        async with httpx.AsyncClient(timeout=120, headers=reviewer) as client:
            r = await client.post(
                f"{url}/reviews:batch",
                json={"items": [{"case_id": i, "opinion": "approved", "reasons": "bench"} for i in ids]},
            )
            if r.json()["succeeded"] != n:
                raise RuntimeError(r.text[:300])
        return ids

    try:
        batch_ids, single_ids = await reviewed(count), await reviewed(count)
        async with httpx.AsyncClient(timeout=300, headers=officer()) as client:
            t0 = time.perf_counter()
            r = await client.post(
                f"{url}/decisions:batch",
                json={
                    "items": [
                        {
                            "case_id": i,
                            "decision": "approved",
                            "reasons": "bench",
                            "confirm_extended_duration": True,
                        }
                        for i in batch_ids
                    ]
                },
            )
            batch_s = time.perf_counter() - t0
            if r.json()["succeeded"] != count:
                raise RuntimeError(r.text[:300])
            t0 = time.perf_counter()
            for i in single_ids:
                await client.post(
                    f"{url}/cases/{i}/decision",
                    json={"decision": "approved", "reasons": "bench", "confirm_extended_duration": True},
                )
            single_s = time.perf_counter() - t0
    finally:
        await conn.close()
    return {
        "cases": count,
        "batch_seconds": round(batch_s, 2),
        "one_by_one_seconds": round(single_s, 2),
        "batch_speedup": round(single_s / batch_s, 2),
    }


# ---------------------------------------------------------------- report


def svg_plot(result: dict[str, Any]) -> str:
    """Throughput over time (both phases) and p50/p90/p99 per hop (both loads), as plain SVG."""
    width, height, pad = 900, 640, 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        '<text x="60" y="24" font-size="15">Cases completed per second (max load, then half load)</text>',
    ]
    series = [("max load", result["pipeline"]["throughput_timeline"], "#1f77b4")]
    series.append(("half load", result["half_load"]["throughput_timeline"], "#ff7f0e"))
    top = max([1, *(v for _, s, _ in series for v in s)])
    span = max(1, max(len(s) for _, s, _ in series))
    x0, y0, w, h = pad, 40, width - 2 * pad, 220
    parts.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#999"/>')
    for i, (label, values, colour) in enumerate(series):
        points = " ".join(f"{x0 + w * t / span:.1f},{y0 + h - h * v / top:.1f}" for t, v in enumerate(values))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<text x="{x0 + w - 120}" y="{y0 + 18 + 16 * i}" fill="{colour}">{label}</text>')
    parts.append(f'<text x="{x0 - 8}" y="{y0 + 10}" text-anchor="end">{top}</text>')
    parts.append(f'<text x="{x0 - 8}" y="{y0 + h}" text-anchor="end">0</text>')
    parts.append(f'<text x="{x0 + w}" y="{y0 + h + 16}" text-anchor="end">{span} s</text>')
    y1, h1 = 340, 240
    parts.append(f'<text x="60" y="{y1 - 16}" font-size="15">Hop latency p50 / p90 / p99 (ms)</text>')
    values = [
        (hop, load, result[key]["hops"][hop])
        for hop in HOPS
        for load, key in (("max", "pipeline"), ("half", "half_load"))
    ]
    peak = max([1.0, *(v["p99_ms"] for _, _, v in values)])
    bar = w / (len(values) * 1.5)
    parts.append(f'<rect x="{x0}" y="{y1}" width="{w}" height="{h1}" fill="none" stroke="#999"/>')
    for i, (hop, load, v) in enumerate(values):
        x = x0 + bar * 0.5 + i * bar * 1.5
        for q, colour in (("p99_ms", "#d62728"), ("p90_ms", "#ff9896"), ("p50_ms", "#2ca02c")):
            bh = h1 * v[q] / peak
            parts.append(
                f'<rect x="{x:.1f}" y="{y1 + h1 - bh:.1f}" width="{bar:.1f}" height="{bh:.1f}" '
                f'fill="{colour}"/>'
            )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{y1 + h1 + 14}" text-anchor="middle" font-size="9">{load}</text>'
        )
        if load == "max":
            parts.append(
                f'<text x="{x + bar * 1.25:.1f}" y="{y1 + h1 + 30}" text-anchor="middle" font-size="9">'
                f"{hop.replace('_to_', '→')}</text>"
            )
    parts.append(f'<text x="{x0 - 8}" y="{y1 + 10}" text-anchor="end">{peak:.0f}</text>')
    parts.append(
        f'<text x="{x0}" y="{y1 + h1 + 50}">green p50, pink p90, red p99; each hop from one commit to the '
        "next (partner topic: on receipt)</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)


def markdown(result: dict[str, Any]) -> str:
    p, half, idle, refs = result["pipeline"], result["half_load"], result["idle"], result["references"]
    post = result["intake_post"]
    after, ver = idle["after_work"], p["verification_system"]
    by_process = ", ".join(f"{k} {v}" for k, v in p["cpu_ms_per_case_by_process"].items())
    lines = [
        "| measure | value | reference (same run) |",
        "|---|---|---|",
        f"| cases end to end (max load) | {p['cases']} in {p['seconds']} s = "
        f"**{p['cases_per_second']} cases/s** "
        f"| ceiling {p['ceiling_cases_per_second']} cases/s (pgbench ÷ commits) |",
        f"| commits per case | {p['commits_per_case']} | pgbench {refs['pgbench_tps_8_clients']} tps |",
        f"| Kafka messages / offset-commit records per case | {p['kafka_messages_per_case']} / "
        f"{p['offset_commit_records_per_case']} | produce "
        f"{refs['kafka_produce_msgs_per_s_1KiB_acks_all']} msgs/s |",
        f"| CPU per case | **{p['cpu_ms_per_case']} ms** ({by_process}) | {p['cores_busy']} cores busy of "
        f"{result['machine']['cpus']} |",
        f"| verification requests sent (economic and registry) | {ver['requests']} for {ver['cases']} cases, "
        f"{ver['refused']} refused | the city's verification system (a real HTTP process) |",
    ]
    for hop in HOPS:
        m, h = p["hops"][hop], half["hops"][hop]
        lines.append(
            f"| {hop.replace('_', ' ')} p50/p90/p99 ms | max {m['p50_ms']}/{m['p90_ms']}/{m['p99_ms']} | "
            f"half load ({half['offered_cases_per_second']}/s) "
            f"{h['p50_ms']}/{h['p90_ms']}/**{h['p99_ms']}** |"
        )
    lines += [
        f"| intake POST | {post['intake']['requests_per_second']} req/s, p99 {post['intake']['p99_ms']} ms | "
        f"bare echo {post['bare_echo']['requests_per_second']} req/s: **{post['vs_bare_echo']}×** |",
        f"| idle burn, settled | **{idle['cores']} cores** ({idle['commits_per_second']} commits/s; "
        f"kafka {idle['cores_by_process'].get('kafka')}) | over {idle['seconds']} s, "
        f"{idle['settled_after_seconds']} s after work ended |",
        f"| idle burn, just after work | {after['cores']} cores ({after['commits_per_second']} commits/s; "
        f"kafka {after['cores_by_process'].get('kafka')}) | over {after['seconds']} s, "
        f"from {STATS_FLUSH_SECONDS:g} s after work ended |",
        f"| memory (PSS MiB) | {result['memory_mib']} | |",
    ]
    return "\n".join(lines) + "\n"


async def enable_commit_timestamps(pg_url: str, pg_port: int, pg_data: str) -> str:
    conn = await asyncpg.connect(_plain(pg_url))
    try:
        on = await conn.fetchval("SHOW track_commit_timestamp")
        if on == "on":
            return pg_url
        await conn.execute("ALTER SYSTEM SET track_commit_timestamp = on")
    finally:
        await conn.close()
    pg.stop(pg_data)
    return pg.start(pg_port, pg_data)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--half-cases", type=int, default=0, help="cases at half load (default: cases/2)")
    parser.add_argument("--concurrency", type=int, default=32, help="cases in flight at maximum load")
    parser.add_argument("--idle-seconds", type=float, default=15)
    parser.add_argument(
        "--idle-settle-seconds", type=float, default=45, help="rest before the settled idle measurement"
    )
    parser.add_argument("--post-requests", type=int, default=400)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--sizes", default="", help="e.g. 10000,100000,1000000: intake list as it grows")
    parser.add_argument("--batch", type=int, default=0, help="cases in the batch-approval measurement")
    parser.add_argument(
        "--pipeline-only",
        action="store_true",
        help="warm-up, idle burn and maximum load only, figures to .run/bench-pipeline.json (artifacts kept)",
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    budget = 120 + 3 * (args.cases + args.half_cases)
    pg_port, kafka_port = free_port(), free_port()
    pg_data, kafka_data = f".run/bench-pg-{pg_port}", f".run/bench-kafka-{kafka_port}"
    pg_url = pg.start(pg_port, pg_data)
    bootstrap = kafka.start(kafka_port, kafka_data)
    extras: dict[str, Any] = {}
    try:
        pg_url = await enable_commit_timestamps(pg_url, pg_port, pg_data)
        async with (
            verification_system() as verifier,
            open_cluster(
                pg_url, bootstrap, label="bench", dev_key_dir=DEV_KEY_DIR, extra_env=verifier.env()
            ) as cluster,
        ):
            procs = Processes(cluster, pg_data, kafka_data, verifier.proc.pid)
            counters = Counters(cluster.database_url, bootstrap, cluster.topic_prefix)
            await counters.start()
            driver = Driver(cluster, args.concurrency)
            await driver.start()
            try:
                await driver.closed_loop("warmup", min(20, args.cases), args.concurrency, budget)
                await asyncio.sleep(STATS_FLUSH_SECONDS)
                idle = await idle_burn(procs, counters, args.idle_seconds, args.idle_settle_seconds)
                rate = idle["after_work"]["commits_per_second"]  # the max phase's tail is just after work
                phase, pipeline = await measured(
                    driver,
                    counters,
                    procs,
                    rate,
                    driver.closed_loop("max", args.cases, args.concurrency, budget),
                )
                verification = {"cases": min(20, args.cases) + args.cases, **await verifier.received()}
                pipeline["verification_system"] = verification
                pipeline["hops"] = await hops(cluster.database_url, phase)
                if args.pipeline_only:
                    quick = {"pipeline": pipeline, "idle": idle, "load_average": os.getloadavg()}
                    (ROOT / ".run" / "bench-pipeline.json").write_text(json.dumps(quick, indent=2))
                    shown = {k: v for k, v in pipeline.items() if k != "throughput_timeline"}
                    print(json.dumps({**shown, "idle": idle}))
                    return
                offered = round(pipeline["cases_per_second"] / 2, 2)
                phase, half = await measured(
                    driver,
                    counters,
                    procs,
                    rate,
                    driver.open_loop("half", args.half_cases or max(20, args.cases // 2), offered, budget),
                )
                half["offered_cases_per_second"] = offered
                half["hops"] = await hops(cluster.database_url, phase)
                memory = procs.memory_mib()
                if args.sizes:
                    extras["list_growth"] = await list_growth(
                        cluster, [int(s) for s in args.sizes.split(",")]
                    )
                if args.batch:
                    extras["batch_approval"] = await batch_approval(cluster, args.batch)
                post = await intake_vs_echo(cluster, args.post_requests, 16)
            finally:
                await driver.stop()
                await counters.stop()
        references = {
            "pgbench_tps_8_clients": pgbench(pg_port, args.pgbench_seconds),
            "kafka_produce_msgs_per_s_1KiB_acks_all": await kafka_produce_rate(bootstrap, 20000),
        }
    finally:
        kafka.stop(kafka_data)
        pg.stop(pg_data)
        shutil.rmtree(ROOT / kafka_data, ignore_errors=True)
        shutil.rmtree(ROOT / pg_data, ignore_errors=True)
    pipeline["ceiling_cases_per_second"] = round(
        references["pgbench_tps_8_clients"] / max(pipeline["commits_per_case"], 0.01), 1
    )
    pipeline["share_of_ceiling"] = round(
        pipeline["cases_per_second"] / pipeline["ceiling_cases_per_second"], 3
    )
    result = {
        "pipeline": pipeline,
        "half_load": half,
        "intake_post": post,
        "idle": idle,
        "memory_mib": memory,
        "references": references,
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": os.getloadavg()},
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **extras,
    }
    (OUT / "results.json").write_text(json.dumps(result, indent=2))
    (OUT / "results.md").write_text(markdown(result))
    (OUT / "bench.svg").write_text(svg_plot(result))
    print(markdown(result))


async def run() -> None:
    """``main``, cancelled on SIGTERM/SIGINT so every server this bench started is stopped."""
    task = asyncio.create_task(main())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    await task


if __name__ == "__main__":
    if sys.argv[1:2] == ["--echo-server"]:  # the reference server, in its own process
        echo_server(int(sys.argv[2]))
    else:
        asyncio.run(run())
