#!/usr/bin/env python3
"""The ops command line of the embedded PostgreSQL (the server itself: shared/embedded_pg.py).

  python scripts/pg.py start [--port 55432] [--data .run/pg]   prints DATABASE_URL=...
  python scripts/pg.py stop   [--data ...]    pg_ctl stop -m fast (immediate after 60 s)
  python scripts/pg.py kill   [--data ...]    SIGKILL the postmaster (fault tests); `start` recovers
  python scripts/pg.py status [--data ...]    prints running (pid, port) or stopped
  python scripts/pg.py bin                    prints the folder of the PostgreSQL programs

Relative data folders are taken from the repository root. Python API (same parameters as the CLI):
``from scripts.pg import start, stop, kill, status, bin_dir``; ``start()`` returns
``postgresql+asyncpg://postgres@127.0.0.1:PORT/assistance``. Scripts import the package, never the reverse.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared import embedded_pg  # noqa: E402
from shared.embedded_pg import (  # noqa: E402,F401 - the API of this script
    DATABASE,
    DEFAULT_DATA,
    DEFAULT_PORT,
    START_TIMEOUT,
    STOP_TIMEOUT,
    PostgresError,
    bin_dir,
    url,
)


def _data(data: str | os.PathLike[str]) -> Path:
    path = Path(data)
    return (path if path.is_absolute() else ROOT / path).resolve()


def start(
    port: int = DEFAULT_PORT, data: str | os.PathLike[str] = DEFAULT_DATA, timeout: float = START_TIMEOUT
) -> str:
    return embedded_pg.start(port, _data(data), timeout)


def stop(data: str | os.PathLike[str] = DEFAULT_DATA, timeout: float = STOP_TIMEOUT) -> bool:
    return embedded_pg.stop(_data(data), timeout)


def kill(data: str | os.PathLike[str] = DEFAULT_DATA) -> bool:
    return embedded_pg.kill(_data(data))


def status(data: str | os.PathLike[str] = DEFAULT_DATA) -> dict[str, Any]:
    return embedded_pg.status(_data(data))


def _say(message: str) -> None:
    print(f"pg: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/pg.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["start", "stop", "status", "kill", "bin"])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default %(default)s")
    parser.add_argument("--data", default=DEFAULT_DATA, help="cluster folder (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds to wait (start 120, stop 60)")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            began = time.monotonic()
            database_url = start(args.port, args.data, args.timeout or START_TIMEOUT)
            _say(f"ready in {time.monotonic() - began:.1f} s (log {_data(args.data) / 'server.log'})")
            print(f"DATABASE_URL={database_url}", flush=True)
        elif args.command == "stop":
            _say("stopped" if stop(args.data, args.timeout or STOP_TIMEOUT) else "was not running")
        elif args.command == "kill":
            _say("killed" if kill(args.data) else "was not running")
        elif args.command == "bin":
            print(bin_dir())
        else:
            info = status(args.data)
            if info["running"]:
                print(
                    f"postgresql running (pid {info['pid']}, 127.0.0.1:{info['port']}, data {info['data']})"
                )
            else:
                print(f"postgresql stopped (data {info['data']})")
    except PostgresError as error:
        print(f"pg: error: {error}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
