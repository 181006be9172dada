"""Choose the object store from its configuration string (DOSMOTR_OBJECT_STORE)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from backend.storage.base import ObjectStore
from backend.storage.local import LocalObjectStore

DEFAULT_PART_SIZE = 8 << 20
DEFAULT_RETENTION_DAYS = 1825  # five years; the post's policy may ask for more


def open_store(
    spec: str,
    data_dir: Path,
    *,
    part_size: int = DEFAULT_PART_SIZE,
    retention_days: int = DEFAULT_RETENTION_DAYS,
) -> ObjectStore:
    """`spec` is a directory (relative to the working directory; empty means
    `<data_dir>/objects`) or `s3://bucket/prefix`.

    The S3 store spools unfinished upload tails under `<data_dir>/s3-spool`, so an upload
    resumes on the machine (or shared volume) that began it.
    """
    spec = spec.strip()
    if spec.startswith("s3://"):
        from backend.storage.s3 import S3ObjectStore  # boto3 is slow to import; only when used

        url = urlsplit(spec)
        if not url.netloc:
            raise ValueError(f"object store {spec!r} names no bucket")
        return S3ObjectStore(
            bucket=url.netloc,
            prefix=url.path.strip("/"),
            spool_dir=Path(data_dir) / "s3-spool",
            part_size=part_size,
            retention_days=retention_days,
        )
    if "://" in spec:
        raise ValueError(f"unsupported object store {spec!r}: a directory or s3://bucket/prefix")
    return LocalObjectStore(Path(spec) if spec else Path(data_dir) / "objects")
