"""dosmotr run | migrate | seed-demo | audit verify | verify PACKAGE.zip."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import subprocess
import sys

from backend.settings import Settings, SettingsError, load_secrets

log = logging.getLogger("dosmotr.cli")


async def _prepare(settings: Settings, seed: bool) -> tuple[str, object | None]:
    from backend.db.embedded import resolve_dsn
    from backend.db.migrate import migrate
    from backend.db.pool import connect

    dsn, server = await resolve_dsn(settings.database_url, settings.data_dir)
    conn = await connect(dsn)
    try:
        await migrate(conn)
        if seed:
            from backend.demo import seed_demo

            await seed_demo(conn, settings)
    finally:
        await conn.close()
    return dsn, server


def _print_banner(settings: Settings) -> None:
    from backend.seed import demo_users

    url = f"http://{settings.host}:{settings.port}"
    print(f"\nDosmotr is serving {url}  (API schema: {url}/schema/openapi.json)")
    if not settings.production:
        print(f"Demo logins (password: {settings.demo_password!r}):")
        for u in demo_users():
            print(f"  {u['login']:<18} {u['role']:<13} {u['post'] or '(all posts)'}")
    print("Stop with Ctrl-C.\n", flush=True)


def cmd_run(settings: Settings, *, demo: bool = True) -> int:
    """Serve the API and the PWA. `run` (demo) also seeds an empty database."""
    import uvicorn

    from backend.app import create_app

    load_secrets(settings)
    dsn, server = asyncio.run(_prepare(settings, seed=demo and not settings.production))
    worker = None
    try:
        if demo:
            # One process for the API, one for the pipeline, as in production.
            worker = subprocess.Popen(
                [sys.executable, "-m", "backend.cli", "worker"], env={**os.environ, "DATABASE_URL": dsn}
            )
        app = create_app(settings, dsn=dsn)
        _print_banner(settings)
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
        if server is not None:
            server.cleanup()  # type: ignore[attr-defined]
    return 0


def cmd_worker(settings: Settings, *, drain: bool = False) -> int:
    """Run pipeline jobs until stopped (or, with --drain, until the queue is empty)."""
    from backend.db.embedded import resolve_dsn
    from backend.storage.factory import open_store
    from media_pipeline.validate import models_from_registry
    from media_pipeline.vision.registry import ModelRegistry
    from media_pipeline.worker import run_worker

    async def go() -> None:
        dsn, server = await resolve_dsn(settings.database_url, settings.data_dir)
        try:
            models = await asyncio.to_thread(
                models_from_registry, ModelRegistry(settings.models_dir, threads=settings.model_threads)
            )
            store = open_store(settings.object_store, settings.data_dir)
            log.info("worker started (concurrency %d)", settings.worker_concurrency)
            await run_worker(dsn, store, models, settings.data_dir / "work",
                             concurrency=settings.worker_concurrency, drain=drain)
        finally:
            if server is not None:
                server.cleanup()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(go())
    return 0


def cmd_migrate(settings: Settings) -> int:
    _, server = asyncio.run(_prepare(settings, seed=False))
    if server is not None:
        server.cleanup()  # type: ignore[attr-defined]
    print("migrations applied")
    return 0


def cmd_seed(settings: Settings) -> int:
    if settings.production:
        print("refusing to seed demo data in production mode", file=sys.stderr)
        return 2
    _, server = asyncio.run(_prepare(settings, seed=True))
    if server is not None:
        server.cleanup()  # type: ignore[attr-defined]
    return 0


def cmd_audit_verify(settings: Settings) -> int:
    from backend.audit.repo import verify_chain
    from backend.db.embedded import resolve_dsn
    from backend.db.pool import connect

    async def go() -> int:
        dsn, server = await resolve_dsn(settings.database_url, settings.data_dir)
        conn = await connect(dsn)
        try:
            report = await verify_chain(conn)
        finally:
            await conn.close()
            if server is not None:
                server.cleanup()
        if report.ok:
            print(f"audit chain ok: {report.length} events, head {report.head}")
            return 0
        print(f"audit chain BROKEN at event {report.first_bad}: {report.reason} "
              f"({report.length} events verified before it)")
        return 1

    return asyncio.run(go())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dosmotr")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="migrate, seed demo data, serve API + PWA and the worker")
    sub.add_parser("serve", help="migrate and serve API + PWA (no demo data)")
    worker = sub.add_parser("worker", help="run media pipeline jobs from the queue")
    worker.add_argument("--drain", action="store_true", help="exit when the queue is empty")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("seed-demo", help="seed demo posts, users, declarations (empty database only)")
    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="recompute the audit hash chain")
    verify = sub.add_parser("verify", help="check an evidence package offline")
    verify.add_argument("package", help="the zip from GET /api/declarations/{id}/evidence-package")
    from backend.admin_cli import add_parsers as add_admin_parsers

    add_admin_parsers(sub)  # admin create, post add
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs every pg_ctl call
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        from backend.admin_cli import dispatch as admin_dispatch

        if (done := admin_dispatch(args, settings)) is not None:
            return done
        if args.command == "run":
            return cmd_run(settings)
        if args.command == "serve":
            return cmd_run(settings, demo=False)
        if args.command == "worker":
            return cmd_worker(settings, drain=args.drain)
        if args.command == "migrate":
            return cmd_migrate(settings)
        if args.command == "seed-demo":
            return cmd_seed(settings)
        if args.command == "audit":
            return cmd_audit_verify(settings)
        if args.command == "verify":
            from backend.evidence.verify import main as verify_package

            return verify_package(args.package)
    except SettingsError as exc:
        print(f"dosmotr: configuration error: {exc}", file=sys.stderr)
        return 2
    parser.error("unknown command")
    return 2


if __name__ == "__main__":
    sys.exit(main())
