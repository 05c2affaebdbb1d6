#!/usr/bin/env python3
"""Benchmark of the whole pipeline on this machine (``make bench``; not part of the tests).

Drives N cases through the distributed system (five service processes, Kafka, PostgreSQL), and in the same
run measures the references it should be judged against: PostgreSQL's commit rate (pgbench) and Kafka's
produce rate (aiokafka, acks=all, idempotent). Then measures the intake list endpoint as the table grows.
Writes artifacts/bench/results.json and results.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import shutil
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import TypedDict

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts import kafka, pg  # noqa: E402
from scripts.cluster import free_port, open_cluster  # noqa: E402
from scripts.cluster import plain_dsn as _plain  # noqa: E402
from services.demo import STAFF  # noqa: E402
from shared import idnumber  # noqa: E402
from shared.auth import DevIssuer  # noqa: E402

OUT = ROOT / "artifacts" / "bench"
CONSENTS = json.dumps(
    {"verify_economic_situation": True, "share_with_charities": False, "share_health_data": False}
)
DEV_KEY_DIR = str(ROOT / ".run" / "bench-dev-issuer")
"""The development issuer the benchmark's services trust and its callers sign with."""
_households = itertools.count()


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
            "share_health_data": False,
        },
    }


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(pct(values, 50) * 1000, 1),
        "p90_ms": round(pct(values, 90) * 1000, 1),
        "p99_ms": round(pct(values, 99) * 1000, 1),
        "n": len(values),
    }


class Timing(TypedDict):
    """When one case passed each step (perf_counter seconds), and its referral reference."""

    submit: float
    ready: float
    decided: float
    paid: float
    case_ref: str


async def drive(cluster, cases: int, concurrency: int) -> dict:
    urls = cluster.urls
    partner_seen: dict[str, float] = {}
    stop = asyncio.Event()

    async def partner() -> None:
        consumer = AIOKafkaConsumer(
            cluster.topic("referral.partner"),
            bootstrap_servers=cluster.kafka,
            group_id=f"bench-{uuid.uuid4().hex[:6]}",
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            while not stop.is_set():
                for msgs in (await consumer.getmany(timeout_ms=200)).values():
                    for m in msgs:
                        partner_seen.setdefault(json.loads(m.value)["data"]["case_ref"], time.perf_counter())
        finally:
            await consumer.stop()

    watcher = asyncio.create_task(partner())
    limits = httpx.Limits(max_connections=concurrency * 2)
    timings: list[Timing] = []
    semaphore = asyncio.Semaphore(concurrency)

    async def poll(client: httpx.AsyncClient, url: str, timeout: float = 120):  # noqa: ASYNC109 - a deadline
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            r = await client.get(url)
            if r.status_code == 200 and r.json():
                return r.json()
            await asyncio.sleep(0.02)
        raise RuntimeError(f"timed out: {url}")

    async def one(client: httpx.AsyncClient) -> None:
        async with semaphore:
            t0 = time.perf_counter()
            r = await client.post(urls["intake"] + "/intake/v1/applications", json=application())
            case_id = r.json()["id"]
            await poll(client, f"{urls['approval']}/approval/v1/cases/{case_id}")
            t1 = time.perf_counter()
            await client.post(  # R-FLOW-1: reviewed (审核) by a second person before the approval (审批)
                f"{urls['approval']}/approval/v1/cases/{case_id}/review",
                json={"opinion": "approved", "reasons": "bench"},
                headers=auth("bench-reviewer", "township_reviewer"),
            )
            await client.post(
                f"{urls['approval']}/approval/v1/cases/{case_id}/decision",
                json={"decision": "approved", "reasons": "bench"},
            )
            t2 = time.perf_counter()
            await poll(client, f"{urls['disbursement']}/disbursement/v1/cases/{case_id}/payments")
            t3 = time.perf_counter()
            records = await poll(client, f"{urls['referral']}/referral/v1/cases/{case_id}/needs-records")
            timings.append(
                {"submit": t0, "ready": t1, "decided": t2, "paid": t3, "case_ref": records[0]["case_ref"]}
            )

    async with httpx.AsyncClient(timeout=30, limits=limits, headers=officer()) as client:
        start = time.perf_counter()
        await asyncio.gather(*(one(client) for _ in range(cases)))
        for _ in range(300):
            if all(t["case_ref"] in partner_seen for t in timings):
                break
            await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - start
    stop.set()
    await watcher
    to_partner = [
        partner_seen[t["case_ref"]] - t["decided"] for t in timings if t["case_ref"] in partner_seen
    ]
    return {
        "cases": cases,
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "cases_per_second": round(cases / elapsed, 2),
        "submission_to_ready_for_decision": summary([t["ready"] - t["submit"] for t in timings]),
        "decision_to_payment_instruction": summary([t["paid"] - t["decided"] for t in timings]),
        "decision_to_partner_event": summary(to_partner),
    }


def peak_memory(cluster) -> dict[str, float]:
    out = {}
    for name, proc in cluster.procs.items():
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            hwm = next(line for line in status.splitlines() if line.startswith("VmHWM"))
            out[name] = round(int(hwm.split()[1]) / 1024, 1)
        except (OSError, StopIteration):
            out[name] = float("nan")
    return out


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


async def list_growth(cluster, sizes: list[int]) -> list[dict]:
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
                params: dict[str, str | int] = {"county_code": "140303", "limit": 50}
                params |= {"cursor": cursor} if cursor else {}
                page = (await client.get(url, params=params)).json()
                deep.append(time.perf_counter() - t)
                cursor = page["next_cursor"]
            results.append({"rows": size, "first_page": summary(first), "next_pages": summary(deep)})
    await conn.close()
    return results


async def batch_approval(cluster, count: int) -> dict:
    """Hundreds of reviewed cases approved in one ``decisions:batch`` call, against the reference measured in
    the same run: the same number of cases approved one request at a time."""
    conn = await asyncpg.connect(_plain(cluster.database_url))
    url = cluster.urls["approval"] + "/approval/v1"
    reviewer = auth("bench-reviewer", "township_reviewer")

    async def reviewed(n: int) -> list[str]:
        ids = [str(uuid.uuid4()) for _ in range(n)]
        await conn.executemany(
            "INSERT INTO approval.cases (case_id, revision, county_code, township_code, category, subtype, "
            "status, eligible, assessed_amount, months, household_size, needs, assessment) VALUES ($1, 1, "
            "'140302', '140302002', 'expenditure', 'medical', 'pending', true, 1000.00, 1, 2, '[]', '{}')",
            [(i,) for i in ids],
        )
        async with httpx.AsyncClient(timeout=120, headers=reviewer) as client:
            r = await client.post(
                f"{url}/reviews:batch",
                json={"items": [{"case_id": i, "opinion": "approved", "reasons": "bench"} for i in ids]},
            )
            if r.json()["succeeded"] != n:
                raise RuntimeError(f"the batch did not go through: {r.text[:300]}")
        return ids

    try:
        batch_ids, single_ids = await reviewed(count), await reviewed(count)
        async with httpx.AsyncClient(timeout=300, headers=officer()) as client:
            t0 = time.perf_counter()
            r = await client.post(
                f"{url}/decisions:batch",
                json={
                    "items": [{"case_id": i, "decision": "approved", "reasons": "bench"} for i in batch_ids]
                },
            )
            batch_s = time.perf_counter() - t0
            if r.json()["succeeded"] != count:
                raise RuntimeError(f"the batch did not go through: {r.text[:300]}")
            t0 = time.perf_counter()
            for i in single_ids:
                await client.post(
                    f"{url}/cases/{i}/decision", json={"decision": "approved", "reasons": "bench"}
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


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--batch", type=int, default=300, help="cases in the batch-approval measurement")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    pg_port, kafka_port = free_port(), free_port()
    pg_data, kafka_data = f".run/bench-pg-{pg_port}", f".run/bench-kafka-{kafka_port}"
    pg_url = pg.start(pg_port, pg_data)
    bootstrap = kafka.start(kafka_port, kafka_data)
    try:
        async with open_cluster(pg_url, bootstrap, label="bench", dev_key_dir=DEV_KEY_DIR) as cluster:
            await drive(cluster, min(20, args.cases), args.concurrency)  # warm-up
            pipeline = await drive(cluster, args.cases, args.concurrency)
            memory = peak_memory(cluster)
            growth = await list_growth(cluster, [int(s) for s in args.sizes.split(",")])
            batch = await batch_approval(cluster, args.batch)
        references = {
            "pgbench_tps_8_clients": pgbench(pg_port, 10),
            "kafka_produce_msgs_per_s_1KiB_acks_all": await kafka_produce_rate(bootstrap, 20000),
        }
    finally:
        kafka.stop(kafka_data)
        pg.stop(pg_data)
        shutil.rmtree(ROOT / kafka_data, ignore_errors=True)
        shutil.rmtree(ROOT / pg_data, ignore_errors=True)
    ratios = {
        "case_per_s_vs_pg_tps": round(pipeline["cases_per_second"] / references["pgbench_tps_8_clients"], 4),
        "case_per_s_vs_kafka_msgs_per_s": round(
            pipeline["cases_per_second"] / references["kafka_produce_msgs_per_s_1KiB_acks_all"], 5
        ),
    }
    flat = growth[-1]["next_pages"]["p50_ms"] / max(growth[0]["next_pages"]["p50_ms"], 0.001)
    result = {
        "pipeline": pipeline,
        "batch_approval": batch,
        "peak_memory_mib": memory,
        "references": references,
        "ratios": ratios,
        "list_growth": growth,
        "list_latency_ratio_largest_vs_smallest": round(flat, 2),
        "machine": {"cpus": __import__("os").cpu_count()},
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (OUT / "results.json").write_text(json.dumps(result, indent=2))
    lines = [
        "| measure | value |",
        "|---|---|",
        f"| cases end to end | {pipeline['cases']} in {pipeline['seconds']} s = "
        f"**{pipeline['cases_per_second']} cases/s** |",
    ]
    for key in (
        "submission_to_ready_for_decision",
        "decision_to_payment_instruction",
        "decision_to_partner_event",
    ):
        s = pipeline[key]
        lines.append(
            f"| {key.replace('_', ' ')} | p50 {s['p50_ms']} ms, p90 {s['p90_ms']} ms, p99 {s['p99_ms']} ms |"
        )
    lines += [
        f"| pgbench (reference) | {references['pgbench_tps_8_clients']} tps |",
        f"| Kafka produce (reference) | {references['kafka_produce_msgs_per_s_1KiB_acks_all']} msgs/s |",
        f"| ratio cases/s : pgbench tps | {ratios['case_per_s_vs_pg_tps']} |",
        f"| peak memory per process (MiB) | {memory} |",
        f"| {batch['cases']} approvals in one batch | {batch['batch_seconds']} s (one by one, same run: "
        f"{batch['one_by_one_seconds']} s; x{batch['batch_speedup']}) |",
    ]
    for g in growth:
        lines.append(
            f"| list at {g['rows']:,} rows | first page p50 {g['first_page']['p50_ms']} ms, "
            f"next pages p50 {g['next_pages']['p50_ms']} ms |"
        )
    (OUT / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
