"""dosmotr training export DIR | models activate NAME --file DIR --reason TEXT."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

from backend.settings import Settings


def add_parsers(sub: Any) -> None:
    training = sub.add_parser("training", help="datasets from people's confirmations")
    training_sub = training.add_subparsers(dest="training_command", required=True)
    export = training_sub.add_parser(
        "export", help="write confirmed/rejected checks as a dataset for models/training")
    export.add_argument("dir", type=Path)
    export.add_argument("--post", help="only this post's examples (a post code)")
    models = sub.add_parser("models", help="vision models")
    models_sub = models.add_subparsers(dest="models_command", required=True)
    activate = models_sub.add_parser(
        "activate", help="load a new model file (sha256 verified, audited, the old one retired)")
    activate.add_argument("name", help="e.g. bay_occupancy")
    activate.add_argument("--file", required=True, type=Path,
                          help="the folder models/training wrote: model.onnx, manifest.json, CARD.md")
    activate.add_argument("--reason", required=True, help="why (kept in the audit log)")


def dispatch(args: argparse.Namespace, settings: Settings) -> int | None:
    if args.command == "training" and args.training_command == "export":
        return _with_db(settings, lambda conn: _export(conn, settings, args.dir, args.post))
    if args.command == "models" and args.models_command == "activate":
        return _with_db(settings, lambda conn: _activate(conn, settings, args))
    return None


def _with_db(settings: Settings, fn: Callable[[asyncpg.Connection], Awaitable[int]]) -> int:
    from backend.db.embedded import resolve_dsn
    from backend.db.pool import connect

    async def go() -> int:
        dsn, server = await resolve_dsn(settings.database_url, settings.data_dir)
        conn = await connect(dsn)
        try:
            return await fn(conn)
        finally:
            await conn.close()
            if server is not None:
                server.cleanup()

    return asyncio.run(go())


async def _export(conn: asyncpg.Connection, settings: Settings, out: Path, post: str | None) -> int:
    from backend.storage.factory import open_store
    from backend.training.export import export

    store = open_store(settings.object_store, settings.data_dir)
    summary = await export(conn, store, out, post.strip().upper() if post else None)
    print(f"{summary['examples']} examples, files {summary['files']} -> {out}")
    for problem in summary["problems"]:
        print(f"  left out: {problem}", file=sys.stderr)
    return 1 if summary["problems"] else 0


async def _activate(conn: asyncpg.Connection, settings: Settings, args: argparse.Namespace) -> int:
    from backend.training.activation import ActivationRefused, activate

    try:
        done = await activate(conn, settings.models_dir, args.name, args.file.resolve(),
                              args.reason, f"cli:{getpass.getuser()}")  # fmt: skip
    except ActivationRefused as exc:
        print(f"dosmotr: model not activated: {exc}", file=sys.stderr)
        return 1
    print(f"{done['name']} {done['sha256']} active (was {done['previous_sha256']}); "
          f"restart the workers to load it")
    return 0
