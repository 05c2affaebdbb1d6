"""Bulk re-encryption against the real database (issue 13 §7): `python -m services disbursement
reencrypt` moves old rows (AES-256-GCM, also rows from before suites) to the current key and suite
(SM4-GCM), shows progress, stops cleanly when interrupted, resumes where it stopped, and never loses or
corrupts a row — also when killed outright in the middle of a batch."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid

import asyncpg
import pytest

from shared.crypto import FieldCipher
from shared.settings import DEV_BLIND_INDEX_KEY, DEV_ENCRYPTION_KEYS
from tests.conftest import ROOT, _plain, create_database

PAYEE = "disbursement.payee"
ROWS = 1500
OLD = FieldCipher(DEV_ENCRYPTION_KEYS, DEV_BLIND_INDEX_KEY)  # the default suite: AES-256-GCM, key dev1
NEW = FieldCipher(DEV_ENCRYPTION_KEYS, DEV_BLIND_INDEX_KEY, suite="gm")  # SM4-GCM, key devgm1


@pytest.fixture
async def sealed_rows(pg_server_url):
    """A fresh disbursement schema with ROWS beneficiaries sealed under the old key (a tenth in the format
    from before suites, a few without a payee); returns (url, the plaintext of each row)."""
    from services.disbursement import MODULE
    from shared.migrations import upgrade

    url = await create_database(pg_server_url, prefix="reenc")
    await asyncio.to_thread(
        upgrade, MODULE.migrations, url=url, service="disbursement", schema="disbursement"
    )
    plain: dict[str, str | None] = {}
    records = []
    for n in range(ROWS):
        case_id = str(uuid.uuid4())
        payee = None if n % 97 == 0 else json.dumps({"name": f"收款人{n}", "account": f"6222{n:015d}"})
        token = OLD.encrypt(payee, context=PAYEE) if payee else None
        if token and n % 10 == 0:
            token = token.removeprefix("aes256gcm:")  # "<kid>.<...>", as rows were first written
        plain[case_id] = payee
        records.append((case_id, "140302", "140302001", token))
    conn = await asyncpg.connect(_plain(url))
    try:
        await conn.copy_records_to_table(
            "beneficiaries",
            schema_name="disbursement",
            records=records,
            columns=["case_id", "county_code", "township_code", "payee"],
        )
    finally:
        await conn.close()
    return url, plain


def command(url: str, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANCE_", "DISBURSEMENT_"))}
    env.update(
        DISBURSEMENT_DATABASE_URL=url,
        ASSISTANCE_ENVIRONMENT="test",
        ASSISTANCE_CRYPTO_SUITE="gm",
        ASSISTANCE_LOG_LEVEL="WARNING",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "services", "disbursement", "reencrypt", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def interrupt_after(proc: subprocess.Popen[str], batches: int, sig: signal.Signals) -> list[str]:
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip())
        if len(lines) == batches:
            proc.send_signal(sig)
            break
    rest, err = proc.communicate(timeout=60)
    return lines + rest.splitlines() + [f"stderr: {err[-1500:]}"] * bool(err.strip())


async def stored(url: str) -> dict[str, str | None]:
    conn = await asyncpg.connect(_plain(url))
    try:
        rows = await conn.fetch("SELECT case_id::text, payee FROM disbursement.beneficiaries")
    finally:
        await conn.close()
    return {r["case_id"]: r["payee"] for r in rows}


def check_every_row(now: dict[str, str | None], plain: dict[str, str | None]) -> tuple[int, int]:
    """Every row is there and opens to what was written; returns (rows under the new key, under old ones)."""
    assert now.keys() == plain.keys()
    moved = old = 0
    for case_id, token in now.items():
        if plain[case_id] is None:
            assert token is None
            continue
        assert NEW.decrypt(token, context=PAYEE) == plain[case_id], case_id
        if token.startswith("sm4gcm:devgm1."):
            moved += 1
        else:
            old += 1
    return moved, old


async def test_reencryption_interrupted_then_resumed_moves_every_row_and_loses_none(sealed_rows):
    url, plain = sealed_rows
    sealed = sum(p is not None for p in plain.values())

    proc = command(url, "--batch-size", "40")
    lines = await asyncio.to_thread(interrupt_after, proc, 5, signal.SIGINT)
    assert proc.returncode == 130, lines
    assert lines[0].startswith("disbursement.beneficiaries.payee: 40/") and "batch 1" in lines[0], lines
    assert lines[-1].startswith("interrupted: run again to resume"), lines
    moved, old = check_every_row(await stored(url), plain)
    assert 0 < moved < sealed and moved + old == sealed, (moved, old)

    resumed = await asyncio.to_thread(command(url, "--batch-size", "40").communicate, timeout=300)
    assert resumed[0].splitlines()[-1].startswith(f"done: {old} re-encrypted"), resumed
    assert check_every_row(await stored(url), plain) == (sealed, 0)

    again = await asyncio.to_thread(command(url).communicate, timeout=300)
    assert again[0].splitlines()[-1].startswith("done: 0 re-encrypted"), again  # nothing left to do


async def test_a_run_killed_in_the_middle_of_a_batch_leaves_every_row_readable(sealed_rows):
    url, plain = sealed_rows
    sealed = sum(p is not None for p in plain.values())
    proc = command(url, "--batch-size", "300")
    await asyncio.to_thread(interrupt_after, proc, 2, signal.SIGKILL)  # no clean-up: a batch in flight dies
    assert proc.returncode == -signal.SIGKILL
    moved, old = check_every_row(await stored(url), plain)
    assert moved % 300 == 0 or moved == sealed, moved  # whole batches or nothing (the rows never null-ish)
    assert moved + old == sealed
    done = await asyncio.to_thread(command(url, "--batch-size", "300").communicate, timeout=300)
    assert done[0].splitlines()[-1].startswith("done:"), done
    assert check_every_row(await stored(url), plain) == (sealed, 0)


async def test_a_row_no_key_opens_stops_the_run_and_its_batch_is_rolled_back(sealed_rows):
    url, plain = sealed_rows
    conn = await asyncpg.connect(_plain(url))
    try:
        victim = await conn.fetchval(
            "SELECT case_id::text FROM disbursement.beneficiaries WHERE payee IS NOT NULL ORDER BY case_id "
            "OFFSET 5 LIMIT 1"
        )
        await conn.execute(
            "UPDATE disbursement.beneficiaries SET payee = 'aes256gcm:lost.AAAA' WHERE case_id = $1", victim
        )
    finally:
        await conn.close()
    out, err = await asyncio.to_thread(command(url, "--batch-size", "50").communicate, timeout=300)
    assert "lost" in err and "DecryptionError" in err, err[-2000:]
    now = await stored(url)
    assert now[victim] == "aes256gcm:lost.AAAA"
    first_batch = sorted(now)[:50]
    assert not any((now[c] or "").startswith("sm4gcm:") for c in first_batch)  # the batch rolled back
