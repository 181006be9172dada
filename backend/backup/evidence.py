"""Which evidence objects exist: the rows that name an object key with its sha256, and the
finished objects of a local store."""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import asyncpg

from backend.storage.base import validate_key

# Every text column that may name an object or hold a digest. New evidence tables follow the
# same naming (`<what>_key` beside `<what>_sha256`, or `object_key`/`store_key` beside
# `sha256`), so they are found without a list to keep up to date here.
CANDIDATE_COLUMNS = r"""
SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = 'public' AND data_type = 'text'
  AND (column_name LIKE '%\_key' OR column_name LIKE '%sha256')
ORDER BY table_name, column_name
"""
PLAIN_DIGEST_OWNERS = ("object", "store", "file", "image")
CHUNK = 1 << 20


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def reference_pairs(columns: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(table, key column, sha256 column) for each key column with a digest beside it."""
    by_table: dict[str, set[str]] = defaultdict(set)
    for table, column in columns:
        by_table[table].add(column)
    pairs = []
    for table, cols in sorted(by_table.items()):
        for col in sorted(c for c in cols if c.endswith("_key")):
            what = col[: -len("_key")]
            if f"{what}_sha256" in cols:
                pairs.append((table, col, f"{what}_sha256"))
            elif what in PLAIN_DIGEST_OWNERS and "sha256" in cols:
                pairs.append((table, col, "sha256"))
    return pairs


class Reference:
    __slots__ = ("refs", "sha256")

    def __init__(self, sha256: str) -> None:
        self.sha256 = sha256
        self.refs: list[str] = []


async def referenced_objects(conn: asyncpg.Connection) -> dict[str, Reference]:
    """key -> the sha256 the database records for it and the columns that name it.

    Raises ValueError if two rows record different digests for one key."""
    columns = [(r["table_name"], r["column_name"]) for r in await conn.fetch(CANDIDATE_COLUMNS)]
    found: dict[str, Reference] = {}
    for table, key_col, sha_col in reference_pairs(columns):
        rows = await conn.fetch(
            f"SELECT {_ident(key_col)} AS key, lower({_ident(sha_col)}) AS sha256 "
            f"FROM {_ident(table)} WHERE {_ident(key_col)} IS NOT NULL "
            f"AND {_ident(sha_col)} IS NOT NULL"
        )
        for row in rows:
            ref = found.setdefault(row["key"], Reference(row["sha256"]))
            if ref.sha256 != row["sha256"]:
                raise ValueError(f"object {row['key']!r}: {table}.{sha_col} says {row['sha256']}, "
                                 f"{', '.join(ref.refs)} says {ref.sha256}")
            where = f"{table}.{key_col}"
            if where not in ref.refs:
                ref.refs.append(where)
    return found


def local_object_keys(root: Path) -> Iterator[str]:
    """Keys of the finished objects under a local store root (its dot folders are its own)."""
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        if rel == Path("."):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        dirnames.sort()
        for name in sorted(filenames):
            key = (rel / name).as_posix() if rel != Path(".") else name
            try:
                yield validate_key(key)
            except ValueError:
                continue  # not an object (an editor's or the OS's stray file)


def copy_with_digest(src: Path, dest: Path) -> tuple[int, str]:
    """Copy a file, fsync it, and return its size and sha256 (blocking: run in a thread)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with src.open("rb") as fin, dest.open("xb") as fout:
        while chunk := fin.read(CHUNK):
            digest.update(chunk)
            fout.write(chunk)
            size += len(chunk)
        fout.flush()
        os.fsync(fout.fileno())
    return size, digest.hexdigest()


def file_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
