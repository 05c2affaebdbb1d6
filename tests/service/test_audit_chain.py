# ruff: noqa: S608 - the attacks are SQL on fixed table names
"""An audit trail its own database cannot rewrite (issue 13 §2): least-privilege roles, the keyed chain,
checkpoints outside the database, TRUNCATE refused, the export — and one test per attack, each detected by
``/audit/verify``. Each test runs one service on a database of its own (the attacks destroy the log)."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from shared import audit, crypto
from shared.settings import DEV_AUDIT_KEYS, ServiceSettings
from tests.conftest import _plain, create_database, least_privilege
from tests.factories import auth

SERVICE = "approval"
AUDITOR = auth("the-auditor", "auditor")


def fresh_key(kid: str) -> str:
    return f"{kid}:" + base64.b64encode(os.urandom(32)).decode()


@dataclass
class System:
    client: httpx.AsyncClient
    database_url: str
    """The superuser's URL (the attacker with every power)."""
    owner_url: str
    runtime_url: str
    checkpoints: Path
    keys: str

    async def calls(self, n: int) -> None:
        for _ in range(n):
            assert (await self.client.get(f"/{SERVICE}/v1/cases")).status_code == 200

    async def verify(self) -> dict:
        response = await self.client.get(f"/{SERVICE}/v1/audit/verify", headers=AUDITOR)
        assert response.status_code == 200, response.text
        return response.json()

    async def checkpoint(self) -> dict:
        response = await self.client.post(f"/{SERVICE}/v1/audit/checkpoints", headers=AUDITOR)
        assert response.status_code == 201, response.text
        return response.json()


@asynccontextmanager
async def running(database_url: str, checkpoints: Path, **settings: object) -> AsyncIterator[System]:
    from services.registry import module
    from shared.app import build_app

    roles = await least_privilege(database_url)
    overrides = {
        **roles,
        "bus": "memory",
        "environment": "test",
        "audit_checkpoint_dir": str(checkpoints),
        "audit_keys": settings.pop("audit_keys", DEV_AUDIT_KEYS),
        **settings,
    }
    app = build_app([module(SERVICE)], migrate_on_start=True, overrides={SERVICE: overrides})
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://audit",
            headers=auth("a-clerk", "intake_clerk"),
        ) as client,
    ):
        owner, runtime = roles["migration_database_url"], roles["database_url"]
        yield System(client, database_url, owner, runtime, checkpoints, str(overrides["audit_keys"]))


@pytest.fixture
async def system(pg_server_url: str, tmp_path: Path) -> AsyncIterator[System]:
    database_url = await create_database(pg_server_url, prefix="audit")
    async with running(database_url, tmp_path, audit_keys=fresh_key("k1")) as running_system:
        yield running_system


@asynccontextmanager
async def connected(url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(_plain(url))
    try:
        yield conn
    finally:
        await conn.close()


TABLE = f"{SERVICE}.audit_log"


async def rows(conn: asyncpg.Connection) -> list[dict]:
    """The log as the attacker reads it (JSONB decoded as the services decode it)."""
    found = [dict(r) for r in await conn.fetch(f"SELECT * FROM {TABLE} ORDER BY id")]  # noqa: S608
    return [{**r, "target": json.loads(r["target"])} for r in found]


# --- least privilege ---


async def test_the_runtime_role_cannot_update_delete_or_truncate_the_audit_log(system):
    await system.calls(2)
    async with connected(system.runtime_url) as conn:
        assert not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        for statement in (
            f"UPDATE {TABLE} SET actor = 'nobody'",
            f"DELETE FROM {TABLE}",
            f"TRUNCATE {TABLE}",
            f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_log_append_only",
            "SET session_replication_role = replica",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
        # ... but it may append and read, and do ordinary work on the service's other tables
        assert await conn.fetchval(f"SELECT count(*) FROM {TABLE}") >= 2
        await conn.execute(f"DELETE FROM {SERVICE}.inbox WHERE false")
    async with connected(system.database_url) as conn:  # nothing changed
        assert all(r["actor"] != "nobody" for r in await rows(conn))


async def test_the_service_runs_as_the_runtime_role_not_the_owner(system):
    runtime = system.client._transport.app.state.runtimes[SERVICE]  # type: ignore[attr-defined]
    assert not await runtime.database_role_is_privileged()
    async with connected(system.database_url) as conn:
        owner = await conn.fetchval(
            f"SELECT tableowner FROM pg_tables WHERE schemaname = '{SERVICE}' LIMIT 1"
        )
        assert owner == "assistance_owner"
        users = await conn.fetch(
            "SELECT DISTINCT usename FROM pg_stat_activity "
            "WHERE application_name = $1 AND datname = current_database()",
            f"assistance-{SERVICE}",
        )
        assert {u["usename"] for u in users} == {"assistance_runtime"}


async def test_the_owner_too_is_refused_update_delete_and_truncate_by_the_database(system):
    await system.calls(1)
    async with connected(system.owner_url) as conn:
        for statement in (
            f"UPDATE {TABLE} SET actor = 'nobody'",
            f"DELETE FROM {TABLE}",
            f"TRUNCATE {TABLE}",
        ):
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await conn.execute(statement)
    assert (await system.verify())["intact"] is True


# --- one test per attack ---


def _recompute_plain(entries: list[dict], start: int) -> list[tuple[int, str, str]]:
    """What an attacker without the key can do: recompute plain SHA-256 hashes from ``start`` on."""
    prev, out = entries[start - 1]["hash"] if start else audit.GENESIS, []
    for row in entries[start:]:
        new = audit.legacy_hash(prev, row)
        out.append((row["id"], prev, new))
        prev = new
    return out


def _recompute_with(keys: audit.AuditKeys, entries: list[dict], start: int) -> list[tuple[int, str, str]]:
    prev, out = entries[start - 1]["hash"] if start else audit.GENESIS, []
    for row in entries[start:]:
        new = audit.entry_mac(keys, prev, {**row, "key_id": keys.primary})
        out.append((row["id"], prev, new))
        prev = new
    return out


@pytest.mark.parametrize("recompute", ["plain-sha256", "hmac-under-a-guessed-key"])
async def test_rewriting_an_entry_and_recomputing_the_chain_is_detected(system, recompute):
    await system.calls(6)
    async with connected(system.database_url) as conn:
        entries = await rows(conn)
        victim = 2
        entries[victim]["actor"] = "nobody"
        guessed = audit.AuditKeys(DEV_AUDIT_KEYS.replace("dev1", "k1"))  # same id, the well-known dev key
        chain = (
            _recompute_plain(entries, victim)
            if recompute == "plain-sha256"
            else _recompute_with(guessed, entries, victim)
        )
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")  # triggers off
            await conn.execute(f"UPDATE {TABLE} SET actor = 'nobody' WHERE id = $1", entries[victim]["id"])
            for entry_id, prev, new in chain:
                await conn.execute(
                    f"UPDATE {TABLE} SET prev_hash = $2, hash = $3 WHERE id = $1", entry_id, prev, new
                )
    verdict = await system.verify()
    assert verdict["intact"] is False
    assert verdict["first_broken_id"] == entries[victim]["id"]
    assert any("was changed" in p for p in verdict["problems"]), verdict


async def test_only_the_key_holder_could_recompute_the_chain_and_then_only_a_checkpoint_shows_it(system):
    """The control for the test above: with the key, the rewrite passes the chain — hence keys outside the
    database, and checkpoints outside it for whoever holds one."""
    await system.calls(4)
    async with connected(system.database_url) as conn:
        entries = await rows(conn)
        entries[1]["actor"] = "nobody"
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(f"UPDATE {TABLE} SET actor = 'nobody' WHERE id = $1", entries[1]["id"])
            for entry_id, prev, new in _recompute_with(audit.AuditKeys(system.keys), entries, 1):
                await conn.execute(
                    f"UPDATE {TABLE} SET prev_hash = $2, hash = $3 WHERE id = $1", entry_id, prev, new
                )
    assert (await system.verify())["intact"] is True


async def test_turning_the_whole_log_into_an_unkeyed_chain_is_caught_by_the_checkpoint(system):
    await system.calls(3)
    await system.checkpoint()
    async with connected(system.database_url) as conn:
        entries = [{**e, "key_id": None} for e in await rows(conn)]
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            for entry_id, prev, new in _recompute_plain(entries, 0):
                await conn.execute(
                    f"UPDATE {TABLE} SET key_id = NULL, prev_hash = $2, hash = $3 WHERE id = $1",
                    entry_id,
                    prev,
                    new,
                )
    verdict = await system.verify()
    assert verdict["intact"] is False and any(
        "differs from the checkpoint" in p for p in verdict["problems"]
    ), verdict


async def test_deleting_the_tail_is_detected_against_the_checkpoint(system):
    await system.calls(5)
    checkpoint = await system.checkpoint()
    async with connected(system.owner_url) as conn:  # the owner may lift its own table's trigger
        await conn.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_log_append_only")
        await conn.execute(f"DELETE FROM {TABLE} WHERE seq > $1", checkpoint["count"] - 3)
        await conn.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER audit_log_append_only")
    verdict = await system.verify()
    assert verdict["intact"] is False and verdict["first_broken_id"] is None
    assert verdict["missing_entries"] == 3 and verdict["truncated"] is False
    assert verdict["checkpoint"]["last_id"] == checkpoint["last_id"]
    assert any("3 entries up to id" in p for p in verdict["problems"]), verdict


async def test_truncating_the_log_is_refused_and_a_truncation_around_it_is_detected(system):
    await system.calls(3)
    checkpoint = await system.checkpoint()
    async with connected(system.owner_url) as conn:
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute(f"TRUNCATE {TABLE}")
    # a superuser in replica mode: no triggers fire
    async with connected(system.database_url) as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(f"TRUNCATE {TABLE}")
    verdict = await system.verify()
    assert verdict["intact"] is False and verdict["truncated"] is True
    assert verdict["missing_entries"] == checkpoint["count"]
    assert any("truncated" in p for p in verdict["problems"])


async def test_disabling_the_trigger_as_owner_and_altering_rows_is_detected(system):
    await system.calls(4)
    async with connected(system.owner_url) as conn:
        victim = (await rows(conn))[1]["id"]
        await conn.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_log_append_only")
        await conn.execute(
            f"UPDATE {TABLE} SET reason = 'nothing to see', status = 200 WHERE id = $1", victim
        )
        await conn.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER audit_log_append_only")
    verdict = await system.verify()
    assert (verdict["intact"], verdict["first_broken_id"]) == (False, victim)


async def test_a_forged_checkpoint_is_reported(system):
    await system.calls(2)
    await system.checkpoint()
    path = system.checkpoints / f"{SERVICE}.jsonl"
    forged = json.loads(path.read_text().splitlines()[-1])
    forged["count"] = 1
    with path.open("a") as f:
        f.write(json.dumps(forged) + "\n")
    verdict = await system.verify()
    assert verdict["intact"] is False and any("signature" in p for p in verdict["problems"])


# --- keys, checkpoints, export ---


async def test_entries_are_macs_under_a_key_the_database_does_not_hold_and_keys_rotate(
    pg_server_url, tmp_path
):
    database_url = await create_database(pg_server_url, prefix="audit")
    old, new = fresh_key("k1"), fresh_key("k2")
    async with running(database_url, tmp_path, audit_keys=old) as first:
        await first.calls(2)
    async with running(database_url, tmp_path, audit_keys=f"{new},{old}") as rotated:
        await rotated.calls(2)
        assert (await rotated.verify())["intact"] is True
        async with connected(database_url) as conn:
            kids = [r["key_id"] for r in await rows(conn)]
            stored = json.dumps(await rows(conn), default=str)
        assert kids[:2] == ["k1", "k1"] and kids[-1] == "k2"
        assert old.split(":")[1] not in stored and new.split(":")[1] not in stored
    async with running(database_url, tmp_path, audit_keys=fresh_key("k3")) as stranger:
        verdict = await stranger.verify()
        assert verdict["intact"] is False and any("unknown audit key 'k1'" in p for p in verdict["problems"])


async def test_the_national_suite_chains_with_hmac_sm3_and_a_pinned_key_verifies_after_a_suite_change(
    pg_server_url, tmp_path
):
    """GB/T 39786-2021: under CRYPTO_SUITE=gm every entry's MAC is HMAC-SM3; a key pinned ``kid:sm3:...``
    keeps verifying the chain when the deployment goes back to the default suite, and the same key read as
    HMAC-SHA256 names the first entry it no longer matches."""
    database_url = await create_database(pg_server_url, prefix="audit")
    material = base64.b64encode(os.urandom(32)).decode()
    sm4 = "g1:sm4gcm:" + base64.b64encode(os.urandom(16)).decode()
    async with running(
        database_url, tmp_path, audit_keys=f"k1:{material}", crypto_suite="gm", encryption_keys=sm4
    ) as national:
        await national.calls(2)
        assert (await national.verify())["intact"] is True
        async with connected(database_url) as conn:
            entries = await rows(conn)
    raw, prev = base64.b64decode(material), audit.GENESIS
    for row in entries:
        data = prev.encode() + b"|" + audit._canonical(row, audit.KEYED_FIELDS)
        assert row["hash"] == crypto.mac(raw, data, "gm") != crypto.mac(raw, data, "default")
        prev = row["hash"]
    assert audit.AuditKeys(f"k1:{material}", "gm").algorithm("k1") == "HMAC-SM3"
    async with running(database_url, tmp_path, audit_keys=f"k1:sm3:{material}") as pinned:
        assert (await pinned.verify())["intact"] is True
    async with running(database_url, tmp_path, audit_keys=f"k1:{material}") as unpinned:
        verdict = await unpinned.verify()
        assert verdict["intact"] is False and verdict["problems"], verdict


def test_an_audit_key_with_an_unknown_algorithm_is_refused():
    with pytest.raises(ValueError, match="unknown algorithm 'md5'"):
        audit.AuditKeys("k1:md5:" + base64.b64encode(os.urandom(32)).decode())


async def test_checkpoints_are_written_periodically_to_an_append_only_file(pg_server_url, tmp_path):
    database_url = await create_database(pg_server_url, prefix="audit")
    async with running(database_url, tmp_path, audit_checkpoint_interval_seconds=0.1) as busy:
        path = tmp_path / f"{SERVICE}.jsonl"
        for _ in range(3):
            await busy.calls(1)
            before = len(path.read_text().splitlines()) if path.exists() else 0
            for _ in range(50):
                if path.exists() and len(path.read_text().splitlines()) > before:
                    break
                await __import__("asyncio").sleep(0.05)
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        assert len(lines) >= 3 and len({c["last_id"] for c in lines}) == len(lines)
        assert set(lines[-1]) == {"service", "last_id", "last_mac", "count", "at", "key_id", "signature"}
        assert (await busy.verify())["checkpoint"]["last_id"] >= lines[-1]["last_id"]


async def test_a_checkpoint_needs_an_auditor_or_admin(system):
    await system.calls(1)
    denied = await system.client.post(f"/{SERVICE}/v1/audit/checkpoints")
    assert denied.status_code == 403
    admin = await system.client.post(f"/{SERVICE}/v1/audit/checkpoints", headers=auth("pa", "policy_admin"))
    assert admin.status_code == 201 and admin.json()["signature"]


async def test_the_export_streams_json_lines_with_their_macs_in_keyset_pages_and_date_filters(
    system, monkeypatch
):
    import shared.audit_api

    monkeypatch.setattr(shared.audit_api, "EXPORT_BATCH", 2)
    await system.calls(5)
    response = await system.client.get(f"/{SERVICE}/v1/audit/export", headers=AUDITOR)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [e["seq"] for e in lines] == list(range(1, len(lines) + 1)) and len(lines) >= 5
    for before, entry in zip(lines, lines[1:], strict=False):
        assert entry["prev_hash"] == before["hash"] and entry["key_id"] == "k1"
    later = datetime.now(UTC) + timedelta(hours=1)
    none = await system.client.get(
        f"/{SERVICE}/v1/audit/export", headers=AUDITOR, params={"since": later.isoformat()}
    )
    assert none.status_code == 200 and none.text == ""
    until = lines[2]["at"]
    early = await system.client.get(f"/{SERVICE}/v1/audit/export", headers=AUDITOR, params={"until": until})
    assert [json.loads(x)["seq"] for x in early.text.splitlines()] == [1, 2]


PRODUCTION = {
    "environment": "production",
    "encryption_keys": fresh_key("e1"),
    "blind_index_key": base64.b64encode(os.urandom(32)).decode(),
    "auth_dev_issuer": False,
    "auth_issuer": "https://idp.example",
    "auth_jwks_url": "https://idp.example/jwks",
}


async def test_production_refuses_to_run_as_a_role_that_could_rewrite_the_log(system):
    from services.registry import module
    from shared.app import refuse_privileged_role
    from shared.bus import InProcessBus
    from shared.runtime import Runtime

    mod = module(SERVICE)
    for url, refused in ((system.database_url, True), (system.owner_url, True), (system.runtime_url, False)):
        settings = mod.settings_cls(**PRODUCTION, database_url=url, audit_keys=fresh_key("p1"))
        runtime = Runtime(module=mod, settings=settings, bus=InProcessBus())
        try:
            if refused:
                with pytest.raises(RuntimeError, match="may rewrite the audit log"):
                    await refuse_privileged_role(runtime)
            else:
                await refuse_privileged_role(runtime)
        finally:
            await runtime.close()


def test_production_refuses_the_development_audit_keys_and_a_short_checkpoint_retention():
    production = {**PRODUCTION, "database_url": "postgresql+asyncpg://runtime@db/assistance"}
    with pytest.raises(ValueError, match="development audit keys"):
        ServiceSettings(**production)
    assert ServiceSettings(**production, audit_keys=fresh_key("a1")).audit_keys.startswith("a1:")
    with pytest.raises(ValueError, match="six months"):
        ServiceSettings(audit_checkpoint_retention_ms=30 * 24 * 3600 * 1000)


async def test_entries_from_before_the_keyed_chain_still_verify_and_cannot_follow_keyed_ones(system):
    """A log migrated from the plain SHA-256 chain: its old entries (no key id) verify as they were, the
    keyed chain continues from them, and an unkeyed entry after a keyed one is a rewrite."""
    async with connected(system.database_url) as conn:
        prev = audit.GENESIS
        for seq in (1, 2):
            entry = {
                "at": datetime.now(UTC),
                "actor": f"old-{seq}",
                "roles": "auditor",
                "kind": "read",
                "action": "GET /approval/v1/cases",
                "target": {},
                "ip": None,
                "reason": None,
                "request_id": None,
            }
            mac = audit.legacy_hash(prev, entry)
            await conn.execute(
                f"INSERT INTO {TABLE} (seq, at, actor, roles, kind, action, target, prev_hash, hash) "
                "VALUES ($1, $2, $3, $4, $5, $6, '{}'::jsonb, $7, $8)",
                seq,
                entry["at"],
                entry["actor"],
                entry["roles"],
                entry["kind"],
                entry["action"],
                prev,
                mac,
            )
            prev = mac
    await system.calls(2)
    verdict = await system.verify()
    assert verdict["intact"] is True and verdict["entries"] >= 4
    async with connected(system.database_url) as conn:
        entries = await rows(conn)
        last = entries[-1]
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            new = audit.legacy_hash(last["prev_hash"], last)
            await conn.execute(f"UPDATE {TABLE} SET key_id = NULL, hash = $2 WHERE id = $1", last["id"], new)
    verdict = await system.verify()
    assert verdict["first_broken_id"] == last["id"] and "no key id after keyed" in verdict["problems"][0]
