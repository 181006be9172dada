"""Write-once object storage for evidence: a local directory or S3 (see base.ObjectStore)."""

from backend.storage.base import (
    ObjectExists,
    ObjectInfo,
    ObjectMissing,
    ObjectStore,
    OffsetMismatch,
    StoreError,
    UploadMissing,
    validate_key,
)
from backend.storage.factory import open_store
from backend.storage.local import LocalObjectStore

__all__ = [
    "LocalObjectStore",
    "ObjectExists",
    "ObjectInfo",
    "ObjectMissing",
    "ObjectStore",
    "OffsetMismatch",
    "StoreError",
    "UploadMissing",
    "open_store",
    "validate_key",
]
