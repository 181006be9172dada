"""The IDK assessment job: its name and payload, shared by the API (which enqueues, inside the
transaction that registers or links a scan) and the worker (which runs the X-ray model)."""

from __future__ import annotations

from typing import Literal

import asyncpg
import msgspec
from pgqueuer.db import AsyncpgDriver
from pgqueuer.queries import Queries

ASSESS_IDK_SCAN = "assess_idk_scan"

Why = Literal["registered", "linked", "unlinked", "requested", "recalibrated"]


class AssessIdkScan(msgspec.Struct, frozen=True):
    scan_id: str
    why: Why = "registered"


async def enqueue_assessment(conn: asyncpg.Connection, scan_id: str, why: Why) -> None:
    """Commits (or not) with the caller's transaction. A later job re-reads the scan's links,
    so one queued after a link sees it; running twice only re-judges the same facts."""
    await Queries(AsyncpgDriver(conn)).enqueue(
        ASSESS_IDK_SCAN, msgspec.json.encode(AssessIdkScan(scan_id, why)), priority=0
    )
