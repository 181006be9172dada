"""Portal reads: the RFID readers and number cameras of a scanner's portal.

A read binds to the scan of the same scanner at the same post nearest in time within
`BIND_WINDOW_S`. A valid wagon read fills the scan's wagon number when the scanner sent none
(the scan then says the number came from `rfid` or `camera`); a number the scanner sent is
never overwritten. When the valid numbers of the scanner, the RFID and the camera differ, the
post's IDK operators and head are alerted once per scan. A misread (check digit wrong) is kept
as evidence of what the reader saw but fills and contradicts nothing.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from backend.alerts.service import raise_alert
from backend.auth.actor import Actor
from backend.auth.permissions import CROSS_POST_ROLES
from backend.errors import Forbidden, InvalidPortalRead, NotFound
from backend.idk import linking
from backend.idk import repo as idk_repo
from backend.idk.rail import ADD_OPERATORS, HAS_SUBSCRIBERS
from backend.jobs import DeliverPush, enqueue_push
from backend.portal import repo
from backend.portal.schemas import PortalReadIn, PortalReadOut, ScanNumbers
from contract.numbers import CONTAINER_FORMAT, WAGON_FORMAT, is_valid_container, is_valid_wagon
from contract.numbers import normalise as normalise_container

# A portal reader stands a few metres from the scanner: its read and the scan of the same
# wagon are seconds apart; a minute keeps clear of the next wagon of a slow train only if
# trains pass faster than that, so the nearest scan in the window is taken.
BIND_WINDOW_S = 60.0
NUMBER_DISAGREEMENT = "portal_number_disagreement"


def _post_of(actor: Actor, post_code: str | None) -> str:
    if actor.role in CROSS_POST_ROLES:
        if not post_code:
            raise InvalidPortalRead("an admin names the post_code of the read", field="post_code")
        return post_code.strip().upper()
    if actor.post_code is None:
        raise Forbidden(f"role {actor.role} may not send portal reads")
    if post_code and post_code.strip().upper() != actor.post_code:
        raise Forbidden("a scanner account sends reads of its own post only")
    return actor.post_code


def _number(data: PortalReadIn) -> tuple[str, str, bool]:
    """(kind, normalised number, check digit holds); a number of no known format is refused."""
    if (data.wagon_number is None) == (data.container_number is None):
        raise InvalidPortalRead("a read carries a wagon_number or a container_number",
                                field="wagon_number")
    if data.wagon_number is not None:
        wagon = "".join(ch for ch in data.wagon_number if ch not in " -")
        if not WAGON_FORMAT.match(wagon):
            raise InvalidPortalRead("a wagon number is 8 digits", field="wagon_number")
        return "wagon", wagon, is_valid_wagon(wagon)
    container = normalise_container(data.container_number or "")
    if not CONTAINER_FORMAT.match(container):
        raise InvalidPortalRead("a container number is ISO 6346 (4 letters, 7 digits)",
                                field="container_number")
    return "container", container, is_valid_container(container)


def _disagrees(scan: Any, reads: list[PortalReadOut]) -> bool:
    wagons = {r.number for r in reads if r.kind == "wagon" and r.number_valid}
    if scan["wagon_number"] and is_valid_wagon(scan["wagon_number"]):
        wagons.add(scan["wagon_number"])
    if len(wagons) > 1:
        return True
    listed = set(scan["container_numbers"] or [])
    seen = {r.number for r in reads if r.kind == "container" and r.number_valid}
    return bool(listed) and not seen <= listed


async def _alert_disagreement(conn: asyncpg.Connection, scan: Any, post_code: str,
                              reads: list[PortalReadOut]) -> None:
    sources = sorted({f"{r.source}:{r.number}" for r in reads if r.number_valid})
    scan_id = str(scan["id"])
    alert_id = await raise_alert(
        conn, kind=NUMBER_DISAGREEMENT, post_code=post_code, object_type="idk_scan",
        object_id=scan_id, title=f"ИДК: номера снимка {scan['image_id']} не совпадают",
        body=(f"Сканер передал вагон {scan['wagon_number'] or '—'}, считыватели портала: "
              f"{', '.join(sources)}. Сверьте номер на вагоне."),
        dedupe_key=f"{NUMBER_DISAGREEMENT}:{scan_id}", link=f"/idk/{scan_id}",
        code=NUMBER_DISAGREEMENT,
        params={"image_id": scan["image_id"], "wagon": scan["wagon_number"] or "",
                "reads": ", ".join(sources)},
    )
    if alert_id is None:
        return
    pushed = await conn.fetchval(HAS_SUBSCRIBERS, alert_id)  # raise_alert queued the push
    await conn.execute(ADD_OPERATORS, alert_id, post_code)
    if not pushed and await conn.fetchval(HAS_SUBSCRIBERS, alert_id):
        await enqueue_push(conn, DeliverPush(alert_id=alert_id))


async def record_read(conn: asyncpg.Connection, actor: Actor,
                      data: PortalReadIn) -> tuple[PortalReadOut, bool]:
    """Store the read, bind it, fill and cross-check; returns (read, created)."""
    post_code = _post_of(actor, data.post_code)
    kind, number, valid = _number(data)
    async with conn.transaction():
        if not await idk_repo.post_exists(conn, post_code):
            raise InvalidPortalRead(f"unknown post {post_code}", field="post_code")
        read, created = await repo.insert_read(
            conn, post_code, data.scanner, data.reader_id, data.read_at, data.source, kind,
            number, valid, data.confidence, actor.id)
        if not created or read.scan_id is not None:
            return read, created
        scan = await repo.nearest_scan(conn, post_code, data.scanner, data.read_at, BIND_WINDOW_S)
        if scan is None:
            return read, created  # no scan yet: the read stays unbound, kept as sent
        await repo.bind(conn, read.id, str(scan["id"]))
        reads = await _settle(conn, str(scan["id"]), post_code)
        bound = next(r for r in reads if r.id == read.id)
    return bound, created


async def _settle(conn: asyncpg.Connection, scan_id: str, post_code: str) -> list[PortalReadOut]:
    """Fill the scan's missing wagon number from its valid wagon reads (RFID before camera,
    then the most confident) and alert if the numbers disagree; returns the scan's reads."""
    reads = await repo.reads_of_scan(conn, scan_id)
    wagons = sorted((r for r in reads if r.kind == "wagon" and r.number_valid),
                    key=lambda r: (r.source != "rfid", -(r.confidence or 0.0), r.read_at))
    filled = bool(wagons) and await repo.fill_wagon(
        conn, scan_id, wagons[0].number, wagons[0].source
    )
    scan = await repo.scan(conn, scan_id)  # as filled
    if filled:
        # the number the scanner did not send now ties the scan to its declaration
        await linking.link_filled_scan(
            conn, scan_id, post_code, scan["wagon_number"], list(scan["container_numbers"])
        )
    if _disagrees(scan, reads):
        await _alert_disagreement(conn, scan, post_code, reads)
    return reads


async def bind_waiting_reads(conn: asyncpg.Connection, scan_id: str) -> int:
    """A scan registered after its portal reads arrived: bind the unbound reads of its scanner
    for which it is the nearest scan in the window, then fill and cross-check as for a new
    read. Call inside the transaction that registers the scan; returns how many bound."""
    scan = await repo.scan_for_binding(conn, scan_id)
    if scan is None:
        return 0
    bound = 0
    for read in await repo.unbound_reads_near(conn, scan["post_code"], scan["scanner"],
                                              scan["scanned_at"], BIND_WINDOW_S):
        nearest = await repo.nearest_scan(conn, scan["post_code"], scan["scanner"],
                                          read.read_at, BIND_WINDOW_S)
        if nearest is not None and str(nearest["id"]) == scan_id:
            await repo.bind(conn, read.id, scan_id)
            bound += 1
    if bound:
        await _settle(conn, scan_id, scan["post_code"])
    return bound


async def scan_numbers(conn: asyncpg.Connection, actor: Actor, scan_id: str) -> ScanNumbers:
    scan = await repo.scan(conn, scan_id)
    if scan is None or not actor.sees_post(scan["post_code"]):
        raise NotFound(f"IDK scan {scan_id} not found")
    reads = await repo.reads_of_scan(conn, scan_id)
    return ScanNumbers(
        scan_id=scan_id, wagon_number=scan["wagon_number"],
        wagon_number_source=scan["wagon_number_source"] if scan["wagon_number"] else "",
        container_numbers=list(scan["container_numbers"] or []), reads=reads,
        disagreement=_disagrees(scan, reads),
    )
