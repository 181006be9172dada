"""Tie IDK scans to declarations by wagon or container number, whichever arrives first.

A scan links to the open (not released, not refused) declarations of its own post that
declare its wagon or one of its containers. Linking runs both when a scan is registered and
when a declaration arrives, inside the caller's transaction, and audits every new link. A
declaration that links to a scan already judged `suspicion` must be inspected.
"""

from __future__ import annotations

import re

import asyncpg

from backend.audit import repo as audit
from backend.declarations.schemas import normalise_unit
from backend.errors import InvalidRequest
from backend.idk import repo
from backend.idk.schemas import InvalidContainerNumber
from backend.inspections.service import require_inspection

# Owner code (3 letters) + category letter, 6-digit serial, check digit. The check digit is
# verified where the number is read (OCR); a scanner's typo must not lose the image here.
CONTAINER_NUMBER = re.compile(r"[A-Z]{4}[0-9]{7}")
WAGON_NUMBER = re.compile(r"[A-Z0-9]{1,32}")


def normalise_wagon(number: str) -> str:
    """Upper case, separators dropped: the same rule as the declaration's transport units."""
    wagon = normalise_unit(number)
    if wagon and not WAGON_NUMBER.fullmatch(wagon):
        raise InvalidRequest(f"wagon number {number!r} is not letters and digits", field="wagon_number")
    return wagon


def normalise_container(number: str) -> str:
    container = normalise_unit(number)
    if not CONTAINER_NUMBER.fullmatch(container):
        raise InvalidContainerNumber(
            f"container number {number!r} is not 4 letters + 7 digits", field="container_numbers"
        )
    return container


def normalise_containers(numbers: list[str]) -> list[str]:
    """Normalised, blanks dropped, duplicates removed, order kept."""
    seen: dict[str, None] = {}
    for n in numbers:
        if n.strip():
            seen.setdefault(normalise_container(n), None)
    return list(seen)


async def _audit_links(
    conn: asyncpg.Connection, actor_id: str | None, links: list[tuple[str, str, str]]
) -> None:
    for scan_id, declaration_id, matched_on in links:
        await audit.append(
            conn, actor_id=actor_id, action="idk_scan.linked", object_type="idk_scan",
            object_id=scan_id, payload={"declaration_id": declaration_id, "matched_on": matched_on},
        )


async def link_scan(
    conn: asyncpg.Connection,
    scan_id: str,
    post_code: str,
    wagon_number: str,
    container_numbers: list[str],
    actor_id: str | None,
) -> list[str]:
    """Link a newly registered scan; returns the declaration ids newly linked."""
    new = await repo.link_scan(conn, scan_id, post_code, wagon_number, container_numbers)
    await _audit_links(conn, actor_id, [(scan_id, d, m) for d, m in new])
    return [d for d, _ in new]


async def link_declaration(
    conn: asyncpg.Connection, declaration_id: str, post_code: str, *, actor_id: str | None = None
) -> list[str]:
    """Link a declaration to the scans already at its post; returns the scan ids newly linked.

    Runs inside the caller's transaction (the audit log needs it). If any newly linked scan
    already carries the verdict `suspicion`, the declaration is sent to inspection here.
    """
    new = await repo.link_declaration(conn, declaration_id, post_code)
    await _audit_links(conn, actor_id, [(s, declaration_id, m) for s, m in new])
    scan_ids = [s for s, _ in new]
    if scan_ids and await repo.suspicious_among(conn, scan_ids):
        await require_inspection(conn, declaration_id, reason="idk_suspicion", actor_id=actor_id)
    return scan_ids
