"""The hand-off of bank batch files (代发, R-AID-2) over SFTP, against a real SFTP server process on
127.0.0.1 (tests/service/fake_sftp_bank.py, asyncssh) that checks what it receives: the county is set to
hand off over SFTP, the server's host key is pinned by fingerprint and the service logs in with its key.
A released file arrives whole (temporary name, then rename) with the control totals the bank checks; a
server with another host key is refused and the batch says why; a retry after a lost answer leaves
exactly one file; a different file under the batch's name is never overwritten; the bank's return file in
its outbox is imported once."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
import httpx
import pytest

from tests.factories import auth, eventually
from tests.service.bank_helpers import SECOND, approved_transfers, ensure_settings

pytestmark = pytest.mark.asyncio(loop_scope="session")
SERVER = Path(__file__).with_name("fake_sftp_bank.py")
COUNTY = "140322"


@dataclass
class SftpBank:
    root: Path
    port: int
    fingerprint: str

    @property
    def inbox(self) -> Path:
        return self.root / "sftp" / "inbox"

    @property
    def outbox(self) -> Path:
        return self.root / "sftp" / "outbox"

    def received(self) -> list[dict[str, Any]]:
        log = self.root / "received.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def fail(self, outcomes: dict[str, list[str]]) -> None:
        (self.root / "failures.json").write_text(json.dumps(outcomes))


def _key(path: Path) -> asyncssh.SSHKey:
    key = asyncssh.generate_private_key("ssh-ed25519")
    key.write_private_key(str(path))
    return key


@pytest.fixture
def sftp_bank(standalone: httpx.AsyncClient, tmp_path: Path) -> Iterator[Callable[..., SftpBank]]:
    """Start the bank's SFTP server (a real process; ``drop=True``: it drops the first connection right
    after accepting a file) and point the disbursement service at it, for county 140322 only."""
    procs: list[subprocess.Popen[str]] = []
    settings = standalone.app.state.runtimes["disbursement"].settings  # type: ignore[attr-defined]
    names = [n for n in type(settings).model_fields if n.startswith("bank_sftp_")] + ["bank_handoff_counties"]
    before = {n: getattr(settings, n) for n in names}

    def start(drop: bool = False) -> SftpBank:
        root = tmp_path / f"bank{len(procs)}"
        root.mkdir()
        host_key = _key(root / "host_key")
        client_key = _key(root / "client_key")
        (root / "authorized_keys").write_bytes(client_key.export_public_key())
        proc = subprocess.Popen(
            [
                sys.executable,
                str(SERVER),
                "--root",
                str(root),
                "--host-key",
                str(root / "host_key"),
                "--authorized-keys",
                str(root / "authorized_keys"),
                "--user",
                "yuxian-finance",
                *(["--drop-after-rename"] if drop else []),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("port "), line
        bank = SftpBank(root, int(line.split()[1]), host_key.get_fingerprint("sha256"))
        settings.bank_handoff_counties = {COUNTY: "sftp"}
        settings.bank_sftp_host = "127.0.0.1"
        settings.bank_sftp_port = bank.port
        settings.bank_sftp_user = "yuxian-finance"
        settings.bank_sftp_host_key_fingerprints = bank.fingerprint
        settings.bank_sftp_key_file = str(root / "client_key")
        return bank

    yield start
    for name, value in before.items():
        setattr(settings, name, value)
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


async def _approved_batch(client: httpx.AsyncClient, township: str, n: int) -> dict[str, Any]:
    await ensure_settings(client, COUNTY)
    await approved_transfers(client, township, n)
    created = await client.post(
        "/disbursement/v1/bank-batches", json={"county_code": COUNTY, "township_code": township}
    )
    assert created.status_code == 201, created.text
    batch = created.json()
    approved = await client.post(f"/disbursement/v1/bank-batches/{batch['id']}/approval", headers=SECOND)
    assert approved.status_code == 200, approved.text
    return batch


async def test_a_released_batch_arrives_over_sftp_whole_with_the_totals_the_bank_checks(
    standalone, sftp_bank
):
    bank = sftp_bank()
    batch = await _approved_batch(standalone, "140322100", 3)
    released = (await standalone.post(f"/disbursement/v1/bank-batches/{batch['id']}/release")).json()
    assert (released["status"], released["delivery"], released["delivery_error"]) == (
        "released",
        "delivered",
        None,
    ), released
    assert bank.received() == [
        {
            "batch_no": batch["batch_no"],
            "count": 3,
            "total": batch["total_amount"],
            "checksum": bank.received()[0]["checksum"],
        }
    ]
    arrived = bank.inbox / f"{batch['batch_no']}.txt"
    assert sorted(p.name for p in bank.inbox.iterdir()) == [arrived.name]  # no temporary file left over
    assert hashlib.sha256(arrived.read_bytes()).hexdigest() == batch["file_sha256"]  # what was approved


async def test_a_server_with_another_host_key_is_refused_and_the_batch_says_why(standalone, sftp_bank):
    bank = sftp_bank()
    batch = await _approved_batch(standalone, "140322101", 1)
    settings = standalone.app.state.runtimes["disbursement"].settings
    other = asyncssh.generate_private_key("ssh-ed25519").get_fingerprint("sha256")
    settings.bank_sftp_host_key_fingerprints = other  # e.g. someone in the middle, or the wrong server
    refused = (await standalone.post(f"/disbursement/v1/bank-batches/{batch['id']}/release")).json()
    assert (refused["status"], refused["delivery"]) == ("released", "failed")
    assert bank.fingerprint in refused["delivery_error"] and "not the pinned one" in refused["delivery_error"]
    assert bank.received() == [] and list(bank.inbox.iterdir()) == []  # not a byte left
    settings.bank_sftp_host_key_fingerprints = None  # no pinned key: safe by default, no hand-off at all
    unpinned = (await standalone.post(f"/disbursement/v1/bank-batches/{batch['id']}/delivery")).json()
    assert unpinned["delivery"] == "failed", unpinned
    assert "DISBURSEMENT_BANK_SFTP_HOST_KEY_FINGERPRINTS" in unpinned["delivery_error"]
    settings.bank_sftp_host_key_fingerprints = bank.fingerprint
    key_file, settings.bank_sftp_key_file = settings.bank_sftp_key_file, str(bank.root / "no-such-key")
    keyless = (await standalone.post(f"/disbursement/v1/bank-batches/{batch['id']}/delivery")).json()
    settings.bank_sftp_key_file = key_file
    assert keyless["delivery"] == "failed" and "DISBURSEMENT_BANK_SFTP_KEY_FILE" in keyless["delivery_error"]
    settings.bank_sftp_host_key_fingerprints = f"{other}, {bank.fingerprint}"  # a key rotation: both pinned
    resent = (await standalone.post(f"/disbursement/v1/bank-batches/{batch['id']}/delivery")).json()
    assert resent["delivery"] == "delivered", resent
    assert [r["batch_no"] for r in bank.received()] == [batch["batch_no"]]


async def test_a_retry_after_a_dropped_connection_leaves_exactly_one_file(standalone, sftp_bank):
    bank = sftp_bank(drop=True)  # the file goes in, the connection drops before the answer
    batch = await _approved_batch(standalone, "140322102", 2)
    lost = (await standalone.post(f"/disbursement/v1/bank-batches/{batch['id']}/release")).json()
    assert (lost["status"], lost["delivery"]) == ("released", "failed"), lost
    assert "SFTP" in lost["delivery_error"]
    resent = await standalone.post(f"/disbursement/v1/bank-batches/{batch['id']}/delivery")
    assert resent.json()["delivery"] == "delivered", resent.text
    assert [r["batch_no"] for r in bank.received()] == [batch["batch_no"]]  # accepted once
    assert sorted(p.name for p in bank.inbox.iterdir()) == [f"{batch['batch_no']}.txt"]
    arrived = (bank.inbox / f"{batch['batch_no']}.txt").read_bytes()
    assert hashlib.sha256(arrived).hexdigest() == batch["file_sha256"]


async def test_a_different_file_under_the_batchs_name_is_never_overwritten(standalone, sftp_bank):
    bank = sftp_bank()
    batch = await _approved_batch(standalone, "140322103", 1)
    squatter = bank.inbox / f"{batch['batch_no']}.txt"
    squatter.write_bytes(b"H|something else\r\n")
    refused = (await standalone.post(f"/disbursement/v1/bank-batches/{batch['id']}/release")).json()
    assert refused["delivery"] == "failed", refused
    assert "a different file" in refused["delivery_error"] and batch["batch_no"] in refused["delivery_error"]
    assert squatter.read_bytes() == b"H|something else\r\n" and bank.received() == []


async def test_the_banks_return_file_in_its_sftp_outbox_is_imported_once(standalone, sftp_bank, db):
    bank = sftp_bank()
    batch = await _approved_batch(standalone, "140322104", 3)
    failing = batch["items"][0]["reference"]
    bank.fail({failing: ["F", "E101", "账户已冻结"]})
    released = (await standalone.post(f"/disbursement/v1/bank-batches/{batch['id']}/release")).json()
    assert released["delivery"] == "delivered", released
    assert [p.name for p in bank.outbox.iterdir()] == [f"{batch['batch_no']}.ret.txt"]
    elsewhere = auth("finance-t", "finance_officer", county=COUNTY, township="140322101")
    theirs = (await standalone.post("/disbursement/v1/bank-returns:fetch", headers=elsewhere)).json()
    assert [f["outcome"] for f in theirs] == ["refused"], theirs  # another township's batch: not theirs
    first = await standalone.post("/disbursement/v1/bank-returns:fetch")
    assert first.status_code == 200, first.text
    [fetched] = first.json()
    assert (fetched["name"], fetched["outcome"]) == (f"{batch['batch_no']}.ret.txt", "imported"), fetched
    imported = (await standalone.get(f"/disbursement/v1/bank-returns/{fetched['return_file_id']}")).json()
    assert (imported["paid"], imported["failed"], imported["exceptions"]) == (2, 1, 0), imported
    states = {
        i["reference"]: (await standalone.get(f"/disbursement/v1/payments/{i['instruction_id']}")).json()[
            "status"
        ]
        for i in batch["items"]
    }
    assert sorted(states.values()) == ["failed", "paid", "paid"] and states[failing] == "failed"
    outbox_before = await db.fetchval("SELECT count(*) FROM disbursement.outbox")
    again = (await standalone.post("/disbursement/v1/bank-returns:fetch")).json()
    assert again == [{**fetched, "outcome": "already_imported"}]
    assert await db.fetchval("SELECT count(*) FROM disbursement.outbox") == outbox_before  # nothing new
    files = await db.fetchval(
        "SELECT count(*) FROM disbursement.bank_return_files WHERE batch_id = $1", batch["id"]
    )
    assert files == 1


async def test_fetching_returns_from_a_server_with_another_host_key_is_refused(standalone, sftp_bank):
    bank = sftp_bank()
    (bank.outbox / "14032220261201099.ret.txt").write_bytes(b"H|x\r\n")
    settings = standalone.app.state.runtimes["disbursement"].settings
    settings.bank_sftp_host_key_fingerprints = asyncssh.generate_private_key("ssh-ed25519").get_fingerprint(
        "sha256"
    )
    refused = await standalone.post("/disbursement/v1/bank-returns:fetch")
    assert refused.status_code == 409 and refused.json()["type"].endswith("/bank-unreachable"), refused.text
    assert "not the pinned one" in refused.json()["detail"]


async def test_the_background_poll_imports_each_return_file_of_the_outbox_once(standalone, sftp_bank, db):
    from services.disbursement.service.returns import SFTP_ACTOR, return_poll

    sftp_bank()
    batch = await _approved_batch(standalone, "140322200", 1)
    released = (await standalone.post(f"/disbursement/v1/bank-batches/{batch['id']}/release")).json()
    assert released["delivery"] == "delivered", released
    runtime = standalone.app.state.runtimes["disbursement"]
    runtime.settings.bank_sftp_poll_seconds = 0.2
    poll = asyncio.create_task(return_poll(runtime))
    query = "SELECT imported_by FROM disbursement.bank_return_files WHERE batch_id = $1"
    try:
        importers = await eventually(
            lambda: _rows(db, query, batch["id"]), timeout=30, what="the return file imported by the poll"
        )
        await asyncio.sleep(1.0)  # several more polls of the same outbox
        assert not poll.done()
    finally:
        poll.cancel()
    assert importers == [SFTP_ACTOR]
    assert [r["imported_by"] for r in await db.fetch(query, batch["id"])] == [SFTP_ACTOR]  # once
    paid = (await standalone.get(f"/disbursement/v1/payments/{batch['items'][0]['instruction_id']}")).json()
    assert paid["status"] == "paid"


async def _rows(db: Any, query: str, *args: Any) -> list[str] | None:
    return [r["imported_by"] for r in await db.fetch(query, *args)] or None


async def test_fetching_returns_without_an_sftp_server_configured_is_a_409_naming_the_settings(standalone):
    unset = await standalone.post("/disbursement/v1/bank-returns:fetch")
    assert unset.status_code == 409 and unset.json()["type"].endswith("/bank-unreachable"), unset.text
    assert "DISBURSEMENT_BANK_SFTP_HOST_KEY_FINGERPRINTS" in unset.json()["detail"]
    clerk = auth("clerk", "intake_clerk", county=COUNTY)
    assert (await standalone.post("/disbursement/v1/bank-returns:fetch", headers=clerk)).status_code == 403
