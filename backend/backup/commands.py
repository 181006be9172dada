"""The `dosmotr backup DIR` and `dosmotr restore DIR` commands (hooked in backend/cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from backend.backup.manifest import BackupError
from backend.settings import Settings


def cmd_backup(settings: Settings, dest: str) -> int:
    from backend.backup.service import backup
    from backend.db.embedded import resolve_database
    from backend.storage.factory import open_store

    folder = Path(dest).resolve()

    async def go() -> int:
        db = await resolve_database(settings.database_url, settings.data_dir,
                                    settings.migrate_database_url)
        try:
            store = open_store(settings.object_store, settings.data_dir)
            manifest = await backup(folder, db.migrate_dsn, store,
                                    settings.object_store, settings.data_dir)
        finally:
            if db.server is not None:
                db.server.cleanup()
        copied = sum(1 for o in manifest.objects if o.copied)
        print(f"backup written to {folder}: database {manifest.database.size} bytes, "
              f"{len(manifest.objects)} evidence objects ({copied} copied), "
              f"audit chain {manifest.audit.length} events, head {manifest.audit.head}")
        if not manifest.audit.ok:
            print("WARNING: the audit chain did not verify at backup time (`dosmotr audit "
                  "verify` names the first bad event); the backup keeps it as it was",
                  file=sys.stderr)
            return 1
        return 0

    try:
        return asyncio.run(go())
    except BackupError as exc:
        print(f"dosmotr backup: {exc}", file=sys.stderr)
        return 1


def cmd_restore(settings: Settings, src: str) -> int:
    from backend.audit.repo import verify_chain
    from backend.backup.service import restore
    from backend.db.embedded import resolve_database
    from backend.db.migrate import migrate
    from backend.db.pool import connect
    from backend.db.roles import current_role
    from backend.storage.factory import open_store

    folder = Path(src).resolve()

    async def go() -> int:
        db = await resolve_database(settings.database_url, settings.data_dir,
                                    settings.migrate_database_url)
        try:
            store = open_store(settings.object_store, settings.data_dir)
            result = await restore(folder, db.migrate_dsn, store, settings.data_dir)
            # The restored schema is the owner's; the app role gets its grants as at start-up.
            app_role = await current_role(db.app_dsn) if db.roles_separated else None
            conn = await connect(db.migrate_dsn)
            try:
                await migrate(conn, app_role=app_role)
                chain = await verify_chain(conn)
            finally:
                await conn.close()
        finally:
            if db.server is not None:
                db.server.cleanup()
        expected = result.manifest.audit
        print(f"restored {result.manifest.created_at} backup: {result.restored_objects} "
              f"evidence objects copied into the store; audit chain {chain.length} events, "
              f"head {chain.head}")
        if result.secrets_restored:
            print("restored secrets.json into the data dir")
        status = 0
        if result.missing_remote:
            print(f"WARNING: {len(result.missing_remote)} objects the backup lists are not in "
                  f"the bucket, e.g. {result.missing_remote[:3]}", file=sys.stderr)
            status = 1
        if (chain.ok, chain.length, chain.head) != (expected.ok, expected.length, expected.head):
            print(f"WARNING: the audit chain after restore ({chain.length} events, head "
                  f"{chain.head}) differs from the backup's ({expected.length}, {expected.head})",
                  file=sys.stderr)
            status = 1
        return status

    try:
        return asyncio.run(go())
    except BackupError as exc:
        print(f"dosmotr restore: {exc}", file=sys.stderr)
        return 1



def add_parsers(sub: Any) -> None:
    backup = sub.add_parser("backup", help="dump the database and copy/list the evidence objects")
    backup.add_argument("dir", help="a new or empty folder for the backup")
    restore = sub.add_parser("restore", help="restore a backup into an empty database and store")
    restore.add_argument("dir", help="a folder written by `dosmotr backup`")


def dispatch(args: argparse.Namespace, settings: Settings) -> int | None:
    if args.command == "backup":
        return cmd_backup(settings, args.dir)
    if args.command == "restore":
        return cmd_restore(settings, args.dir)
    return None
