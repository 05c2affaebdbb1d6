"""Bulk re-encryption (``python -m services <service> reencrypt``): every sealed column of a service, old
rows moved to the current key and suite (shared/crypto.py), for key rotation and the move to the national
suite.

- Keyset over the primary key, in batches; each batch is one transaction that locks its rows
  (``FOR UPDATE``), rewrites those not under the current key and commits — a service writing meanwhile
  waits for the batch, never loses its write.
- A row is rewritten only if it still holds the ciphertext read (compare and set), and only after the old
  ciphertext has been opened: a row that no configured key opens stops the run with the batch rolled back.
- Interrupted (Ctrl-C, SIGTERM), the run stops after the batch in flight commits (or, if killed, that
  batch rolls back): nothing is half-written. Run it again to resume: rows already under the current key
  are only read, so it continues where it stopped. Progress goes to stdout, one line per batch.

Besides the service's sealed columns (``ServiceModule.sealed_columns``: its own, and every service's dead
letters' payloads — rows from before those were sealed are sealed here), a service may name ``rotations``
for ciphertext kept elsewhere (intake: documents' content in the content store, rewritten blob by blob
under the same rules: only after it opened, skipped when already current, so a rerun resumes).

Event payloads kept in the outbox/inbox and sealed values inside them are history and are not rewritten;
keep the old key configured (it still decrypts) as long as such messages may be read.
The blind index is not touched: re-keying it means recomputing it from the plaintext (see crypto.py).
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, and_, func, literal, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.crypto import FieldCipher


@dataclass(frozen=True)
class SealedColumn:
    """A column holding ciphertext: ``table`` as in the metadata (``intake.applications``), the column and
    the context it is sealed with (associated data)."""

    table: str
    column: str
    context: str
    legacy_plaintext: bool = False
    """Rows written before the column was sealed hold plaintext (anything not of the sealed form,
    ``FieldCipher.is_sealed``): the run seals them."""


@dataclass
class Progress:
    column: str
    total: int
    checked: int = 0
    rewritten: int = 0
    batches: int = 0

    def line(self) -> str:
        return (
            f"{self.column}: {self.checked}/{self.total} checked, {self.rewritten} re-encrypted, "
            f"batch {self.batches}"
        )


class Stop:
    """Set by SIGINT/SIGTERM: the run ends after the batch in flight."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self) -> None:
        self.requested = True


@dataclass(frozen=True)
class Rotation:
    """What a rotation of ciphertext kept outside the sealed columns gets (``ServiceModule.rotations``)."""

    cipher: FieldCipher
    batch_size: int
    stop: Stop
    report: Callable[[str], None]


Rotate = Callable[[Rotation], Awaitable[Progress]]


async def reencrypt_column(
    engine: AsyncEngine,
    table: Table,
    sealed: SealedColumn,
    cipher: FieldCipher,
    *,
    batch_size: int,
    stop: Stop,
    report: Callable[[str], None],
) -> Progress:
    column = table.c[sealed.column]
    pk = list(table.primary_key.columns)
    async with engine.connect() as conn:
        total = (
            await conn.execute(select(func.count()).select_from(table).where(column.is_not(None)))
        ).scalar()
    progress = Progress(f"{sealed.table}.{sealed.column}", int(total or 0))
    last: tuple[Any, ...] | None = None
    while not stop.requested:
        query = (
            select(*pk, column).where(column.is_not(None)).order_by(*pk).limit(batch_size).with_for_update()
        )
        if last is not None:
            query = query.where(
                tuple_(*pk) > tuple_(*(literal(v, c.type) for c, v in zip(pk, last, strict=True)))
            )
        async with engine.begin() as conn:  # one batch, one transaction
            rows = (await conn.execute(query)).all()
            for row in rows:
                old = row[-1]
                if sealed.legacy_plaintext and not cipher.is_sealed(old):
                    new = cipher.encrypt(old, context=sealed.context)  # written before it was sealed
                elif cipher.is_current(old):
                    continue
                else:
                    new = cipher.reencrypt(old, context=sealed.context)  # raises if no key opens it
                key = and_(*(c == v for c, v in zip(pk, row[:-1], strict=True)))
                await conn.execute(update(table).where(key, column == old).values({sealed.column: new}))
                progress.rewritten += 1
        if not rows:
            break
        last = tuple(rows[-1][:-1])
        progress.checked += len(rows)
        progress.batches += 1
        report(progress.line())
    return progress


async def reencrypt(
    engine: AsyncEngine,
    tables: dict[str, Table],
    columns: Sequence[SealedColumn],
    cipher: FieldCipher,
    *,
    batch_size: int = 200,
    report: Callable[[str], None] = print,
    stop: Stop | None = None,
    rotations: Sequence[Rotate] = (),
) -> list[Progress]:
    stop = stop or Stop()
    done: list[Progress] = []
    started = time.monotonic()
    for sealed in columns:
        if stop.requested:
            break
        progress = await reencrypt_column(
            engine, tables[sealed.table], sealed, cipher, batch_size=batch_size, stop=stop, report=report
        )
        done.append(progress)
    for rotate in rotations:
        if stop.requested:
            break
        done.append(await rotate(Rotation(cipher, batch_size, stop, report)))
    state = "interrupted: run again to resume" if stop.requested else "done"
    report(
        f"{state}: {sum(p.rewritten for p in done)} re-encrypted, {sum(p.checked for p in done)} checked "
        f"in {time.monotonic() - started:.1f}s (current key {cipher.primary.kid}, {cipher.primary.algorithm})"
    )
    return done


def run(
    engine: AsyncEngine,
    tables: dict[str, Table],
    columns: Sequence[SealedColumn],
    cipher: FieldCipher,
    *,
    batch_size: int,
    rotations: Sequence[Rotate] = (),
) -> bool:
    """The command: re-encrypt with SIGINT/SIGTERM stopping after the batch in flight; True when complete."""

    async def main() -> bool:
        stop = Stop()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        try:
            await reencrypt(
                engine,
                tables,
                columns,
                cipher,
                batch_size=batch_size,
                stop=stop,
                report=lambda line: print(line, flush=True),
                rotations=rotations,
            )
        finally:
            await engine.dispose()
        return not stop.requested

    return asyncio.run(main())
