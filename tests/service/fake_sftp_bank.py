"""A bank's SFTP server for the tests, run as its own process on 127.0.0.1 (asyncssh): its own host key,
one user who logs in with one authorized public key only. The disbursement service uploads batch files
into ``inbox/`` and takes return files from ``outbox/`` (docs/bank-file.md, "Hand-off over SFTP").

What it checks, independently of the code under test:
- an upload is written under a temporary name (``inbox/<batch_no>.txt.part``) and renamed to
  ``inbox/<batch_no>.txt``: any other write is refused, so the bank never sees half a file;
- at the rename, the file is checked like fake_bank.py does (GBK, CRLF, the header/detail/trailer layout,
  control count and total, SHA-256 of the detail lines, the batch number of its name); a bad file is
  refused (SFTP failure naming why) and stays a ``.part``;
- a name that already exists is never replaced (SFTP rename).
Each accepted file is logged to ``<root>/received.jsonl`` and answered with a return file
``outbox/<batch_no>.ret.txt``, failing the references listed in ``<root>/failures.json`` ({reference:
[status, code, text]}). ``--drop-after-rename`` drops the connection right after the first accepted rename,
before its answer (a lost answer: the file is there, the client does not know).

    python tests/service/fake_sftp_bank.py --root DIR --host-key K --authorized-keys A --user U
    # prints "port <n>" when listening
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import posixpath
import re
import sys
from pathlib import Path
from typing import Any

import asyncssh

sys.path.insert(0, str(Path(__file__).parent))
import fake_bank  # noqa: E402  (the same independent checks and return-file layout as the HTTPS bank)

ARGS: argparse.Namespace
DROP = {"pending": False}
FINAL = re.compile(rb"^/inbox/([A-Za-z0-9-]{1,32})\.txt$")


class BankServer(asyncssh.SSHServer):
    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn

    def begin_auth(self, username: str) -> bool:
        if username == ARGS.user:  # only this user has a key; everyone else cannot log in at all
            self.conn.set_authorized_keys(ARGS.authorized_keys)
        return True

    def password_auth_supported(self) -> bool:
        return False


def canonical(path: bytes) -> bytes:
    """A client's path (relative to its home, the root, or absolute) as an absolute one."""
    return posixpath.normpath(b"/" + path.lstrip(b"/"))


class BankSftp(asyncssh.SFTPServer):
    def __init__(self, chan: asyncssh.SSHServerChannel) -> None:
        super().__init__(chan, chroot=str(Path(ARGS.root) / "sftp").encode())

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        writing = pflags & (
            asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC
        )
        if writing and not re.fullmatch(rb"/inbox/[A-Za-z0-9-]{1,32}\.txt\.part", canonical(path)):
            raise asyncssh.SFTPPermissionDenied("upload as inbox/<batch_no>.txt.part, then rename it")
        return super().open(path, pflags, attrs)

    def remove(self, path: bytes) -> None:
        if not canonical(path).endswith(b".part"):
            raise asyncssh.SFTPPermissionDenied("only a temporary upload may be removed")
        super().remove(path)

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        oldpath, newpath = canonical(oldpath), canonical(newpath)
        match = FINAL.match(newpath)
        if match is None or oldpath != newpath + b".part":
            raise asyncssh.SFTPPermissionDenied("only inbox/<batch_no>.txt.part → inbox/<batch_no>.txt")
        local_old = self.map_path(oldpath).decode()
        local_new = self.map_path(newpath).decode()
        if os.path.exists(local_new):
            raise asyncssh.SFTPFailure("file already exists")
        batch_no = match.group(1).decode()
        try:
            got = fake_bank.check(batch_no, Path(local_old).read_bytes())
        except fake_bank.Refused as exc:
            raise asyncssh.SFTPFailure(f"refused: {exc}") from exc
        os.rename(local_old, local_new)
        self._answer(batch_no, got)
        if DROP["pending"]:
            DROP["pending"] = False
            self.connection.abort()  # the file is in; its answer never leaves

    def _answer(self, batch_no: str, got: dict[str, Any]) -> None:
        root = Path(ARGS.root)
        failing = (
            json.loads((root / "failures.json").read_text()) if (root / "failures.json").exists() else {}
        )
        got["outcomes"] = {
            i["reference"]: failing[i["reference"]] for i in got["items"] if i["reference"] in failing
        }
        fake_bank.RECEIVED[batch_no] = got
        answer = root / "sftp" / "outbox" / f"{batch_no}.ret.txt"
        answer.write_bytes(fake_bank.return_file(batch_no))
        with (root / "received.jsonl").open("a") as log:
            summary = {k: got[k] for k in ("count", "total", "checksum")}
            log.write(json.dumps({"batch_no": batch_no, **summary}) + "\n")


async def main() -> None:
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--host-key", required=True)
    parser.add_argument("--authorized-keys", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--drop-after-rename", action="store_true")
    ARGS = parser.parse_args()
    DROP["pending"] = ARGS.drop_after_rename
    for folder in ("inbox", "outbox"):
        (Path(ARGS.root) / "sftp" / folder).mkdir(parents=True, exist_ok=True)
    acceptor = await asyncssh.listen(
        "127.0.0.1",
        0,
        server_host_keys=[ARGS.host_key],
        server_factory=BankServer,
        sftp_factory=BankSftp,
        allow_scp=False,
    )
    print(f"port {acceptor.get_port()}", flush=True)
    await acceptor.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
