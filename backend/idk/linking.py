"""Tie IDK scans to declarations by wagon or container number, whichever arrives first, or by
the operator's hand (with a reason); links end by being stamped, never by deletion.

A scan links to the open (not released, not refused) declarations of its own post that
declare its wagon or one of its containers. Linking runs both when a scan is registered and
when a declaration arrives, inside the caller's transaction, and audits every new link. A
declaration that links to a scan already judged `suspicion` must be inspected.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import asyncpg

from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.auth.permissions import can
from backend.declarations.schemas import normalise_unit
from backend.errors import (
    AlreadyLinked,
    Forbidden,
    InvalidContainerNumber,
    InvalidRequest,
    InvalidState,
    LinkNotFound,
    NotFound,
    UnitNotDeclared,
)
from backend.idk import assist_repo, repo
from backend.idk.assessment import rejudge
from backend.idk.jobs import Why, enqueue_assessment
from backend.idk.schemas import LinkIn
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


async def link_filled_scan(
    conn: asyncpg.Connection, scan_id: str, post_code: str, wagon_number: str,
    container_numbers: list[str],
) -> list[str]:
    """A scan whose wagon number was filled after it was registered (a portal read named the
    wagon the scanner did not send): link it by that number as a new scan would be, and treat
    the new links as a later declaration's are (a suspicion reaches them at once; the
    assessment is judged again). Returns the declaration ids newly linked."""
    new = await repo.link_scan(conn, scan_id, post_code, wagon_number, container_numbers)
    await _audit_links(conn, None, [(scan_id, d, m) for d, m in new])
    declarations = [d for d, _ in new]
    if not declarations:
        return []
    if await repo.suspicious_among(conn, [scan_id]):
        for declaration_id in declarations:
            await require_inspection(conn, declaration_id, reason="idk_suspicion", actor_id=None)
    await _after_links_changed(conn, scan_id, "linked", None)
    return declarations


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
    for scan_id in scan_ids:
        await _after_links_changed(conn, scan_id, "linked", actor_id)
    return scan_ids


async def _after_links_changed(
    conn: asyncpg.Connection, scan_id: str, why: Why, actor_id: str | None
) -> None:
    """A scan's declarations changed: the declared goods are judged against the image again
    now (a new assessment version; a `clear` over a flagged image reaches a new declaration
    at once). Before the model has run, its run will read the links."""
    scan = await assist_repo.scan_for_assessment(conn, scan_id)
    if scan is None:
        return
    if not scan["assessment"]:
        await enqueue_assessment(conn, scan_id, why)
        return
    await rejudge(conn, scan_id, why, actor_id, datetime.now(UTC))


async def link_manually(
    conn: asyncpg.Connection, actor: Actor, scan_id: str, data: LinkIn
) -> None:
    """The operator ties a scan to a declaration the numbers did not match (a misread wagon
    number, a re-loaded container). Audited with the reason; a suspicion reaches it at once."""
    async with conn.transaction():
        scan = await _own_scan(conn, actor, scan_id)
        decl = await _open_declaration(conn, scan, data.declaration_id)
        wagon, containers = await _covers(conn, decl, data)
        link_id = await repo.insert_manual_link(conn, scan_id, decl["id"], actor.id, data.reason,
                                                wagon, containers)
        if link_id is None:
            raise AlreadyLinked(f"scan {scan_id} is already linked to declaration {decl['number']}")
        await audit.append(
            conn, actor_id=actor.id, action="idk_scan.linked", object_type="idk_scan",
            object_id=scan_id,
            payload={"declaration_id": decl["id"], "matched_on": "manual", "reason": data.reason,
                     "link_id": link_id, "covers_wagon": wagon, "covers_containers": containers},
        )
        if scan["verdict"] == "suspicion":
            await require_inspection(conn, decl["id"], reason="idk_suspicion", actor_id=actor.id)
        await _after_links_changed(conn, scan_id, "linked", actor.id)


async def unlink(
    conn: asyncpg.Connection, actor: Actor, scan_id: str, declaration_id: str, reason: str
) -> None:
    """End a link, keeping it as history. What the link already set off (a red corridor, an
    inspection) stays: unlinking is not a way to green."""
    async with conn.transaction():
        scan = await _own_scan(conn, actor, scan_id)
        decl = await _open_declaration(conn, scan, declaration_id)
        ended = await repo.unlink(conn, scan_id, decl["id"], actor.id, reason)
        if ended is None:
            raise LinkNotFound(f"scan {scan_id} is not linked to declaration {decl['number']}")
        await audit.append(
            conn, actor_id=actor.id, action="idk_scan.unlinked", object_type="idk_scan",
            object_id=scan_id,
            payload={"declaration_id": decl["id"], "matched_on": ended["matched_on"],
                     "reason": reason, "link_id": ended["id"]},
        )
        await _after_links_changed(conn, scan_id, "unlinked", actor.id)


async def _covers(
    conn: asyncpg.Connection, decl: asyncpg.Record, data: LinkIn
) -> tuple[str, list[str]]:
    """The units the operator says the image shows: they must be units of the declaration."""
    wagon = normalise_wagon(data.wagon_number)
    containers = normalise_containers(data.container_numbers)
    declared = await repo.declared_units(conn, decl["id"])
    strangers = ([wagon] if wagon and ("wagon", wagon) not in declared else []) + [
        c for c in containers if ("container", c) not in declared]
    if strangers:
        raise UnitNotDeclared(
            f"declaration {decl['number']} does not declare {', '.join(strangers)}",
            field="wagon_number" if wagon in strangers else "container_numbers",
        )
    return wagon, containers


async def _own_scan(conn: asyncpg.Connection, actor: Actor, scan_id: str) -> asyncpg.Record:
    scan = await repo.lock_scan(conn, scan_id)
    if scan is None or actor.post_code != scan["post_code"]:
        raise NotFound(f"scan {scan_id} not found")
    if not can(actor, "idk.link"):
        raise Forbidden("only the IDK operator of the scan's post links scans")
    return scan


async def _open_declaration(
    conn: asyncpg.Connection, scan: asyncpg.Record, declaration_id: str
) -> asyncpg.Record:
    decl = await repo.lock_declaration(conn, declaration_id)
    if decl is None or decl["post_code"] != scan["post_code"]:
        raise NotFound(f"declaration {declaration_id} not found")
    if decl["status"] in ("released", "refused"):
        raise InvalidState(f"declaration {decl['number']} is already {decl['status']}; "
                           "its links are history")
    return decl
