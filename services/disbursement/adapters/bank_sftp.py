"""The SFTP hand-off to the bank (asyncssh, R-AID-2): a released batch file is written to
``<inbox>/<batch_no>.txt.part``, read back and checked (size and SHA-256), then renamed to
``<inbox>/<batch_no>.txt`` — the bank only picks up complete files. The same batch always has the same
remote name, so a retry is idempotent: an identical file already there is delivered, a different one is
an error saying so (nothing is overwritten; SFTP's rename never replaces a file). The server's host key is
pinned by its SHA-256 fingerprint and any other key is refused; the client authenticates with its private
key only. The bank's return files (回盘) are read from ``<outbox>``. No file content is ever logged."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import posixpath
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncssh

from services.disbursement.settings import DisbursementSettings

RETURN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
"""Names of files taken from the outbox: no hidden files (a bank's own half-written ``.part``)."""


class SftpRefused(Exception):
    """Nothing was sent: the client's key cannot be used, or the server is not the pinned one."""


class HostKeyRefused(SftpRefused):
    """The SFTP server showed a host key that is not the pinned one."""


@dataclass(frozen=True)
class SftpTarget:
    host: str
    port: int
    user: str
    fingerprints: frozenset[str]
    key_file: str
    passphrase: str | None
    inbox: str
    outbox: str
    timeout: float

    @classmethod
    def of(cls, settings: DisbursementSettings) -> SftpTarget:
        """The configured server; a ValueError naming what is missing (no pinned key: no hand-off)."""
        missing = [
            f"DISBURSEMENT_BANK_SFTP_{name.upper()}"
            for name, value in (
                ("host", settings.bank_sftp_host),
                ("user", settings.bank_sftp_user),
                ("host_key_fingerprints", settings.bank_sftp_host_key_fingerprints),
                ("key_file", settings.bank_sftp_key_file),
            )
            if not value
        ]
        if missing:
            raise ValueError(f"the SFTP hand-off is not configured: {', '.join(missing)} missing")
        fingerprints = frozenset(
            f.strip() for f in (settings.bank_sftp_host_key_fingerprints or "").split(",") if f.strip()
        )
        if not all(f.startswith("SHA256:") for f in fingerprints):
            raise ValueError("DISBURSEMENT_BANK_SFTP_HOST_KEY_FINGERPRINTS takes SHA256:… fingerprints")
        passphrase = settings.bank_sftp_key_passphrase
        return cls(
            host=settings.bank_sftp_host or "",
            port=settings.bank_sftp_port,
            user=settings.bank_sftp_user or "",
            fingerprints=fingerprints,
            key_file=settings.bank_sftp_key_file or "",
            passphrase=passphrase.get_secret_value() if passphrase else None,
            inbox=settings.bank_sftp_inbox_dir.rstrip("/") or ".",
            outbox=settings.bank_sftp_outbox_dir.rstrip("/") or ".",
            timeout=settings.bank_timeout_seconds,
        )


class _PinnedHostKey(asyncssh.SSHClient):
    """Accepts the server only if its host key has one of the pinned fingerprints."""

    def __init__(self, fingerprints: frozenset[str]) -> None:
        self.fingerprints = fingerprints
        self.seen: str | None = None

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        self.seen = key.get_fingerprint("sha256")
        return self.seen in self.fingerprints


@contextlib.asynccontextmanager
async def sftp_session(target: SftpTarget) -> AsyncIterator[asyncssh.SFTPClient]:
    try:
        key = asyncssh.read_private_key(target.key_file, target.passphrase)
    except (OSError, ValueError) as exc:  # ValueError: asyncssh.KeyImportError, a wrong passphrase
        raise SftpRefused(
            f"the SFTP private key (DISBURSEMENT_BANK_SFTP_KEY_FILE) cannot be used: {type(exc).__name__}"
        ) from exc
    pinned = _PinnedHostKey(target.fingerprints)
    try:
        conn = await asyncssh.connect(
            target.host,
            target.port,
            username=target.user,
            client_factory=lambda: pinned,
            known_hosts=([], [], []),  # nothing trusted but what _PinnedHostKey accepts
            client_keys=[key],
            agent_path=None,
            preferred_auth="publickey",
            connect_timeout=target.timeout,
            login_timeout=target.timeout,
        )
    except asyncssh.HostKeyNotVerifiable as exc:
        raise HostKeyRefused(
            f"the SFTP server {target.host}:{target.port} showed host key {pinned.seen or 'unknown'}, "
            "which is not the pinned one (DISBURSEMENT_BANK_SFTP_HOST_KEY_FINGERPRINTS): refused"
        ) from exc
    async with conn, conn.start_sftp_client() as sftp:
        yield sftp


async def read(sftp: asyncssh.SFTPClient, path: str) -> bytes:
    async with sftp.open(path, "rb") as f:
        data = await f.read()
    return data if isinstance(data, bytes) else data.encode()  # "rb": always bytes


async def remote_sha256(sftp: asyncssh.SFTPClient, path: str) -> str | None:
    """The SHA-256 of a remote file, None if there is none."""
    try:
        return hashlib.sha256(await read(sftp, path)).hexdigest()
    except asyncssh.SFTPNoSuchFile:
        return None


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    detail: str | None = None


class SftpUpload:
    """``BankHandOff`` over SFTP (adapters/bank_handoff.py)."""

    def __init__(self, settings: DisbursementSettings) -> None:
        self.target = SftpTarget.of(settings)

    def names(self, batch_no: str) -> tuple[str, str]:
        final = posixpath.join(self.target.inbox, f"{batch_no}.txt")
        return f"{final}.part", final

    async def upload(self, batch_no: str, content: bytes, sha256: str) -> Outcome:
        try:
            async with asyncio.timeout(self.target.timeout * 4), sftp_session(self.target) as sftp:
                return await self._upload(sftp, batch_no, content, sha256)
        except SftpRefused as exc:
            return Outcome(False, str(exc))
        except (OSError, asyncssh.Error) as exc:
            return Outcome(False, f"SFTP {type(exc).__name__}: {str(exc)[:200]}")

    async def _upload(self, sftp: asyncssh.SFTPClient, batch_no: str, content: bytes, sha256: str) -> Outcome:
        part, final = self.names(batch_no)
        there = await remote_sha256(sftp, final)
        if there is not None:
            return self._compare(final, there, sha256)
        async with sftp.open(part, "wb") as f:
            await f.write(content)
        size = (await sftp.stat(part)).size
        if size != len(content) or await remote_sha256(sftp, part) != sha256:
            return Outcome(False, f"{part} on the bank's server is not the file sent ({size} bytes)")
        try:
            await sftp.rename(part, final)
        except asyncssh.SFTPError as exc:
            there = await remote_sha256(sftp, final)
            if there is None:
                return Outcome(False, f"the bank's server refused {final}: {exc.reason[:200]}")
            with contextlib.suppress(asyncssh.SFTPError):
                await sftp.remove(part)
            return self._compare(final, there, sha256)
        return Outcome(True)

    @staticmethod
    def _compare(final: str, there: str, sha256: str) -> Outcome:
        if there == sha256:
            return Outcome(True)  # sent before (an answer lost on the way back): the same file
        return Outcome(
            False,
            f"a different file {final} is already on the bank's server (SHA-256 {there[:16]}…, "
            f"this batch's is {sha256[:16]}…): not overwritten, ask the bank",
        )


async def fetch_returns(settings: DisbursementSettings) -> list[tuple[str, bytes]]:
    """The return files in the bank's outbox: (name, content), by name. Files are left there; importing
    one twice changes nothing (its SHA-256 is recorded)."""
    target = SftpTarget.of(settings)
    found = []
    async with asyncio.timeout(target.timeout * 4), sftp_session(target) as sftp:
        for entry in sorted(await sftp.readdir(target.outbox), key=lambda e: str(e.filename)):
            name = str(entry.filename)
            regular = entry.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR
            if not regular or not RETURN_NAME.match(name) or name.endswith(".part"):
                continue
            found.append((name, await read(sftp, posixpath.join(target.outbox, name))))
    return found
