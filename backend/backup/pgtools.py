"""pg_dump and pg_restore: from the pgserver wheel (PostgreSQL 16, the embedded server's own
version), else from PATH. Passwords travel in PGPASSWORD, never on a command line."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from backend.backup.manifest import BackupError


def pg_tool(name: str) -> str:
    try:
        import pgserver

        bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / name
        if bundled.is_file():
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install PostgreSQL's client tools or pgserver")
    return found


def libpq_target(dsn: str) -> tuple[str, dict[str, str]]:
    """The DSN without its password, and the environment that carries the password."""
    url = urlsplit(dsn)
    userinfo, at, hostport = url.netloc.rpartition("@")
    if not at:
        return dsn, {}
    user, _, password = userinfo.partition(":")
    netloc = f"{user}@{hostport}" if user else hostport
    env = {"PGPASSWORD": unquote(password)} if password else {}
    return urlunsplit(url._replace(netloc=netloc)), env


def run_pg_tool(name: str, args: list[str], dsn: str) -> None:
    target, extra = libpq_target(dsn)
    env = {**os.environ, **extra}
    out = subprocess.run([pg_tool(name), *args, f"--dbname={target}"], env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise BackupError(f"{name} failed ({out.returncode}): {out.stderr.strip()[-2000:]}")
