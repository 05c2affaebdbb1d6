"""The audit log: who did or read what, when, from where and why — append-only and keyed-hash-chained.

Each service keeps its own chain (table ``<service>.audit_log``); every API request leaves exactly one entry
(shared/audit_http.py writes it when the runtime did not):
- a change commits in the same transaction as its entry (``Runtime.transaction``): a change without its
  audit entry cannot be committed;
- a read is recorded before the response starts, so nothing is disclosed unrecorded;
- a refused attempt (401, 403, 404 outside the jurisdiction, 409, 422) is recorded in a transaction of its
  own, after the refused change rolled back.

Entry n stores ``hash = HMAC(key[key_id], prev_hash | canonical JSON of its fields)`` — HMAC-SHA256, or
HMAC-SM3 under the national suite (``CRYPTO_SUITE=gm``, or a key pinned ``kid:sm3:base64``) — a MAC with a
key the database never holds (``AUDIT_KEYS``; ``key_id`` per entry, so keys rotate), ``prev_hash`` the MAC of
entry n-1 and ``seq`` its position (1, 2, ...). Appends are serialised by a transaction-scoped advisory lock.
The database refuses UPDATE, DELETE and TRUNCATE (triggers) and the services' runtime role holds only INSERT
and SELECT on the table; whoever gets around both (owner, superuser) cannot recompute the MACs, and a tail
cut off or a truncation is found against the signed checkpoints kept outside the database
(shared/audit_anchor.py). Entries hold ids, roles and places, never personal data.
Entries written before the keyed chain (``key_id`` null) are verified with the earlier plain SHA-256 chain,
and only before the first keyed entry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    MetaData,
    SmallInteger,
    String,
    Table,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.access import Actor
from shared.crypto import Suite
from shared.crypto import mac as crypto_mac

GENESIS = "0" * 64
LEGACY_FIELDS = ("at", "actor", "roles", "kind", "action", "target", "ip", "reason", "request_id")
KEYED_FIELDS = (*LEGACY_FIELDS, "seq", "key_id", "county_code", "township_code", "status")


def add_audit_table(metadata: MetaData) -> Table:
    table = Table(
        "audit_log",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("seq", BigInteger, nullable=False, unique=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("roles", String(300), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("action", String(300), nullable=False),
        Column("target", JSONB, nullable=False),
        Column("ip", String(64)),
        Column("reason", String(200)),
        Column("request_id", String(64)),
        Column("county_code", String(12)),
        Column("township_code", String(12)),
        Column("status", SmallInteger),
        Column("key_id", String(32)),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False, unique=True),
        extend_existing=True,
    )
    Index("ix_audit_log_place", table.c.county_code, table.c.township_code, table.c.id)
    Index("ix_audit_log_at", table.c.at)
    return table


class AuditKeys:
    """The chain's HMAC keys by id; the first one signs new entries and checkpoints.

    ``kid:base64`` keys MAC with the crypto suite's HMAC (HMAC-SHA256, or HMAC-SM3 when ``CRYPTO_SUITE=gm``);
    ``kid:sha256:base64`` or ``kid:sm3:base64`` pin a key's algorithm, so a chain written under one suite
    still verifies after the deployment moves to the other (each entry names its key id)."""

    def __init__(self, spec: str, suite: Suite = "default") -> None:
        self._keys: dict[str, tuple[bytes, Suite]] = {}
        for item in (k.strip() for k in spec.split(",") if k.strip()):
            kid, _, rest = item.partition(":")
            marker, pinned, material = rest.partition(":")
            key_suite: Suite = suite
            if pinned:  # base64 has no ":": a second one names the algorithm
                if marker not in _MAC_SUITES:
                    raise ValueError(f"audit key {kid!r}: unknown algorithm {marker!r} (sha256 or sm3)")
                key_suite = _MAC_SUITES[marker]
            else:
                material = rest
            raw = base64.b64decode(material)
            if not kid or len(kid) > 32 or len(raw) < 32:
                raise ValueError(f"audit key {kid!r} needs an id of 1-32 characters and >= 32 bytes (base64)")
            self._keys[kid] = (raw, key_suite)
        if not self._keys:
            raise ValueError("at least one audit key is required (AUDIT_KEYS)")
        self.primary = next(iter(self._keys))

    def knows(self, kid: str | None) -> bool:
        return kid in self._keys

    def algorithm(self, kid: str) -> str:
        """``HMAC-SHA256`` or ``HMAC-SM3``: what the key's entries are signed with."""
        return "HMAC-SM3" if self._keys[kid][1] == "gm" else "HMAC-SHA256"

    def mac(self, kid: str, data: bytes) -> str:
        key, key_suite = self._keys[kid]
        return crypto_mac(key, data, key_suite)


_MAC_SUITES: dict[str, Suite] = {"sha256": "default", "sm3": "gm"}


def _canonical(entry: dict[str, Any], fields: tuple[str, ...]) -> bytes:
    values = {k: entry[k] for k in fields}
    values["at"] = entry["at"].astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def legacy_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    """The earlier, unkeyed chain (entries with no key id)."""
    return hashlib.sha256(prev_hash.encode() + b"|" + _canonical(entry, LEGACY_FIELDS)).hexdigest()


def entry_mac(keys: AuditKeys, prev_hash: str, entry: dict[str, Any]) -> str:
    return keys.mac(entry["key_id"], prev_hash.encode() + b"|" + _canonical(entry, KEYED_FIELDS))


@dataclass(frozen=True)
class Place:
    county_code: str | None = None
    township_code: str | None = None


@dataclass(frozen=True)
class _Statements:
    """An audit table's append statements, built once (each entry only binds its values)."""

    lock: Any
    head: Any
    insert: Any
    key: int


_STATEMENTS: dict[Table, _Statements] = {}
_LOCK = text("SELECT pg_advisory_xact_lock(:k)")


def _statements(table: Table) -> _Statements:
    found = _STATEMENTS.get(table)
    if found is None:
        found = _STATEMENTS[table] = _Statements(
            lock=_LOCK,
            head=select(table.c.id, table.c.seq, table.c.hash).order_by(table.c.id.desc()).limit(1),
            insert=table.insert(),
            key=zlib.crc32(f"audit:{table.schema}".encode()),
        )
    return found


async def head(session: AsyncSession, table: Table) -> tuple[int, int, str] | None:
    """(id, seq, MAC) of the newest entry, or None for an empty log."""
    row = (await session.execute(_statements(table).head)).first()
    return (row[0], row[1], row[2]) if row else None


async def append(
    session: AsyncSession,
    table: Table,
    keys: AuditKeys,
    actor: Actor,
    kind: str,
    *,
    place: Place = Place(),  # noqa: B008 - frozen
    status: int | None = None,
) -> None:
    """Append one entry to the chain inside the caller's transaction."""
    statements = _statements(table)
    await session.execute(statements.lock, {"k": statements.key})
    last = await head(session, table)
    p = actor.principal
    entry = {
        "at": clock.now(),
        "actor": p.subject[:200],
        "roles": ",".join(sorted(r.value for r in p.roles))[:300],
        "kind": kind,
        "action": actor.action[:300],
        "target": actor.target,
        "ip": actor.ip,
        "reason": actor.reason,
        "request_id": actor.request_id,
        "seq": (last[1] if last else 0) + 1,
        "key_id": keys.primary,
        "county_code": place.county_code,
        "township_code": place.township_code,
        "status": status,
    }
    prev_hash = last[2] if last else GENESIS
    await session.execute(
        statements.insert, entry | {"prev_hash": prev_hash, "hash": entry_mac(keys, prev_hash, entry)}
    )


@dataclass
class Verdict:
    """What ``verify`` found: intact, or the first entry that does not follow and what is missing."""

    intact: bool = True
    entries: int = 0
    first_broken_id: int | None = None
    head: str | None = None
    problems: list[str] = field(default_factory=list)
    checkpoint: dict[str, Any] | None = None
    missing_entries: int = 0
    truncated: bool = False

    def broken(self, problem: str, entry_id: int | None = None) -> None:
        self.intact = False
        self.problems.append(problem)
        if entry_id is not None and self.first_broken_id is None:
            self.first_broken_id = entry_id


def _check_row(keys: AuditKeys, row: dict[str, Any], prev_hash: str, seq: int, keyed: bool) -> str | None:
    """Why this row does not follow from the one before (None when it does)."""
    if row["prev_hash"] != prev_hash:
        return f"entry {row['id']} does not follow the entry before it (an entry was removed or changed)"
    if row["seq"] != seq:
        return f"entry {row['id']} has position {row['seq']}, expected {seq} (entries removed)"
    if row["key_id"] is None:
        if keyed:
            return f"entry {row['id']} has no key id after keyed entries (rewritten)"
        ok = legacy_hash(prev_hash, row) == row["hash"]
    elif not keys.knows(row["key_id"]):
        return f"entry {row['id']} names an unknown audit key {row['key_id']!r}"
    else:
        ok = hmac.compare_digest(entry_mac(keys, prev_hash, row), row["hash"])
    return None if ok else f"entry {row['id']} was changed: its MAC does not match its content"


async def verify(
    session: AsyncSession, table: Table, keys: AuditKeys, checkpoint: dict[str, Any] | None = None
) -> Verdict:
    """Recompute the whole chain and hold it against the latest checkpoint kept outside the database."""
    verdict = Verdict(checkpoint=checkpoint)
    prev_hash, keyed, anchored = GENESIS, False, False
    cp_id = checkpoint["last_id"] if checkpoint else None
    result = await session.stream(select(table).order_by(table.c.id).execution_options(yield_per=1000))
    async for mapping in result.mappings():
        row = dict(mapping)
        problem = _check_row(keys, row, prev_hash, verdict.entries + 1, keyed)
        if problem:
            verdict.broken(problem, row["id"])
            break
        if checkpoint and row["id"] == cp_id:
            anchored = True
            if row["hash"] != checkpoint["last_mac"] or row["seq"] != checkpoint["count"]:
                verdict.broken(
                    f"entry {row['id']} differs from the checkpoint of {checkpoint['at']}", row["id"]
                )
                break
        keyed = keyed or row["key_id"] is not None
        prev_hash, verdict.entries = row["hash"], verdict.entries + 1
    verdict.head = prev_hash if verdict.entries and verdict.first_broken_id is None else None
    if checkpoint and not anchored and verdict.intact:
        _missing_against(verdict, checkpoint)
    return verdict


def _missing_against(verdict: Verdict, checkpoint: dict[str, Any]) -> None:
    """The chain itself holds, but the checkpointed entry is gone: the tail was cut off or all was emptied."""
    verdict.missing_entries = max(0, int(checkpoint["count"]) - verdict.entries)
    if verdict.entries == 0:
        verdict.truncated = True
        verdict.broken(
            f"the log is empty but the checkpoint of {checkpoint['at']} vouches for "
            f"{checkpoint['count']} entries (truncated)"
        )
    else:
        verdict.broken(
            f"{verdict.missing_entries} entries up to id {checkpoint['last_id']} are missing from the end "
            f"(the checkpoint of {checkpoint['at']} vouches for {checkpoint['count']})"
        )


def append_only_trigger_sql(schema: str) -> list[str]:
    """DDL for a migration: UPDATE, DELETE and TRUNCATE on the audit log are refused by the database."""
    return [
        f'''CREATE OR REPLACE FUNCTION "{schema}".audit_log_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql''',
        f'''CREATE OR REPLACE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON "{schema}".audit_log
            FOR EACH ROW EXECUTE FUNCTION "{schema}".audit_log_append_only()''',
    ]


def no_truncate_trigger_sql(schema: str) -> str:
    return f'''CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON "{schema}".audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".audit_log_append_only()'''
