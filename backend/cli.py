"""dosmotr run | migrate | seed-demo | audit verify | verify PACKAGE.zip."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
from typing import TYPE_CHECKING

from backend.settings import Settings, SettingsError, load_secrets

if TYPE_CHECKING:
    from backend.db.embedded import ResolvedDatabase

log = logging.getLogger("dosmotr.cli")


async def _prepare(settings: Settings, seed: bool) -> ResolvedDatabase:
    """Resolve the database, migrate it as the owner and grant the app role its rights."""
    from backend.db.embedded import resolve_database
    from backend.db.migrate import migrate
    from backend.db.pool import connect
    from backend.db.roles import current_role

    db = await resolve_database(
        settings.database_url, settings.data_dir, settings.migrate_database_url
    )
    app_role = await current_role(db.app_dsn) if db.roles_separated else None
    conn = await connect(db.migrate_dsn)
    try:
        await migrate(conn, app_role=app_role)
        if not db.roles_separated:
            log.warning("DATABASE_URL is also used for migrations: the app's role owns the "
                        "schema and could alter the audit table; set "
                        "DOSMOTR_MIGRATE_DATABASE_URL to a separate owner role")
        if seed:
            from backend.demo import seed_demo

            await seed_demo(conn, settings)
    finally:
        await conn.close()
    return db


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
    """Serve the API and the PWA. `run` (demo) also seeds an empty database and runs a worker.

    SIGTERM or SIGINT stops the server (open board streams end at once), the worker (its jobs
    in flight go back to the queue) and the embedded PostgreSQL, in that order of starting.
    """
    from backend.app import create_app
    from backend.server import StopRequested, serve, signals_ignored, stop_on_signals

    load_secrets(settings)
    db: ResolvedDatabase | None = None
    worker: subprocess.Popen[bytes] | None = None
    try:
        with stop_on_signals():
            db = asyncio.run(_prepare(settings, seed=demo and not settings.production))
            if demo:
                # One process for the API, one for the pipeline, as in production.
                worker = _start_worker(db.app_dsn)
            app = create_app(settings, dsn=db.app_dsn)
            _print_banner(settings)
            serve(app, settings.host, settings.port, on_shutdown=lambda: _stop_worker(worker))
    except StopRequested as stop:
        log.info("%s received: stopping", stop)
    finally:
        with signals_ignored():
            _stop_worker(worker, wait_s=WORKER_STOP_S)
            if db is not None and db.server is not None:
                db.server.cleanup()
    return 0


# The worker's own grace for jobs in flight (DOSMOTR_WORKER_STOP_GRACE_S) fits inside this.
WORKER_STOP_S = 12.0


def _start_worker(dsn: str) -> subprocess.Popen[bytes]:
    def die_with_parent() -> None:  # Linux: the worker gets SIGTERM if this process dies
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    return subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "worker"], env={**os.environ, "DATABASE_URL": dsn},
        preexec_fn=die_with_parent if sys.platform == "linux" else None,
    )


def _stop_worker(worker: subprocess.Popen[bytes] | None, wait_s: float = 0) -> None:
    if worker is None:
        return
    if worker.poll() is None:
        worker.terminate()
    if wait_s:
        try:
            worker.wait(wait_s)
        except subprocess.TimeoutExpired:
            log.warning("worker did not stop within %.0fs; killing it", wait_s)
            worker.kill()
            worker.wait()


def cmd_worker(settings: Settings, *, drain: bool = False, check: bool = False) -> int:
    """Run pipeline jobs until SIGTERM/SIGINT (or, with --drain, until the queue is empty).

    On a stop it takes no new jobs and hands the ones still running after the grace period
    back to the queue; it survives the database going away and reconnects by itself.
    """
    if check:
        return _worker_check(settings)
    from backend.db.embedded import resolve_database
    from backend.storage.factory import open_store
    from media_pipeline import runner
    from media_pipeline.health import WorkerHealth, serve_health
    from media_pipeline.validate import ModelsMissing, models_from_registry, require_models
    from media_pipeline.vision.registry import ModelRegistry

    stop = asyncio.Event()

    async def go() -> None:
        db = await resolve_database(settings.database_url, settings.data_dir)
        health = WorkerHealth(dsn=db.app_dsn)
        health_server = None
        if settings.worker_health_port:
            health_server = await serve_health(health, settings.host, settings.worker_health_port)
        try:
            registry = ModelRegistry(settings.models_dir, threads=settings.model_threads)
            loading = asyncio.ensure_future(asyncio.to_thread(models_from_registry, registry))
            await asyncio.wait({loading, asyncio.ensure_future(stop.wait())},
                               return_when=asyncio.FIRST_COMPLETED)
            if not loading.done():
                return  # stopped while the models were loading
            health.models = models = loading.result()
            try:  # no job is judged without the models and the OCR its checks need
                require_models(models)
            except ModelsMissing as refused:
                print(f"dosmotr worker: {refused}", file=sys.stderr)
                raise SystemExit(2) from None
            store = open_store(settings.object_store, settings.data_dir)
            log.info("worker started (concurrency %d)", settings.worker_concurrency)
            await runner.run_worker(db.app_dsn, store, models, settings.data_dir / "work",
                                    concurrency=settings.worker_concurrency, drain=drain,
                                    stop=stop, stop_grace_s=settings.worker_stop_grace_s,
                                    health=health)
        finally:
            if health_server is not None:
                health_server.close()
            if db.server is not None:
                await asyncio.to_thread(db.server.cleanup)

    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):  # also as PID 1, which has no default actions
        loop.add_signal_handler(sig, _on_stop_signal, stop, sig)
    try:
        loop.run_until_complete(go())
    finally:
        if stop.is_set():
            # Released jobs may still be computing in threads (ffmpeg, onnxruntime): end their
            # child processes and leave without waiting for the threads.
            runner.end_child_processes()
            log.info("worker stopped")
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        loop.close()
    return 0


def _on_stop_signal(stop: asyncio.Event, sig: signal.Signals) -> None:
    if stop.is_set():
        log.warning("second %s: leaving now", sig.name)
        from media_pipeline.runner import end_child_processes

        end_child_processes()
        os._exit(1)
    log.info("%s received: taking no new jobs, releasing those in flight", sig.name)
    stop.set()


def _worker_check(settings: Settings) -> int:
    """`dosmotr worker --check`: exit 0 if the running worker is ready (for HEALTHCHECK)."""
    from media_pipeline.health import check

    if not settings.worker_health_port:
        print("dosmotr: set DOSMOTR_WORKER_HEALTH_PORT for the worker's health port", file=sys.stderr)
        return 2
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    ready, body = check(settings.worker_health_port, host)
    print(body)
    return 0 if ready else 1


def cmd_migrate(settings: Settings) -> int:
    db = asyncio.run(_prepare(settings, seed=False))
    if db.server is not None:
        db.server.cleanup()
    print("migrations applied")
    return 0


def cmd_seed(settings: Settings) -> int:
    if settings.production:
        print("refusing to seed demo data in production mode", file=sys.stderr)
        return 2
    db = asyncio.run(_prepare(settings, seed=True))
    if db.server is not None:
        db.server.cleanup()
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
    worker.add_argument("--check", action="store_true",
                        help="ask the running worker's /readyz (DOSMOTR_WORKER_HEALTH_PORT); exit 0 if ready")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("seed-demo", help="seed demo posts, users, declarations (empty database only)")
    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="recompute the audit hash chain")
    verify = sub.add_parser("verify", help="check an evidence package offline")
    verify.add_argument("package", help="the zip from GET /api/declarations/{id}/evidence-package")
    from backend.admin_cli import add_parsers as add_admin_parsers

    add_admin_parsers(sub)  # admin create, post add
    from backend.backup.commands import add_parsers as add_backup_parsers

    add_backup_parsers(sub)  # backup DIR, restore DIR
    from backend.training.commands import add_parsers as add_training_parsers

    add_training_parsers(sub)  # training export DIR, models activate NAME
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs every pg_ctl call
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        from backend.ops.logs import configure_logging

        configure_logging(settings)  # text or JSON lines, request ids, chatty libraries quiet
        from backend.admin_cli import dispatch as admin_dispatch

        if (done := admin_dispatch(args, settings)) is not None:
            return done
        from backend.backup.commands import dispatch as backup_dispatch

        if (done := backup_dispatch(args, settings)) is not None:
            return done
        from backend.training.commands import dispatch as training_dispatch

        if (done := training_dispatch(args, settings)) is not None:
            return done
        if args.command == "run":
            return cmd_run(settings)
        if args.command == "serve":
            return cmd_run(settings, demo=False)
        if args.command == "worker":
            return cmd_worker(settings, drain=args.drain, check=args.check)
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
