"""Pre-arrival consists: intake (idempotent by train number and date, wagon numbers checked)
and the aligned train (each wagon scanned, missing, out of order or with a disagreeing number;
unexpected scans listed). Missing and unexpected wagons alert the post's IDK operators and head
once per consist and wagon, from the first read that sees the train being scanned."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from backend.alerts.service import raise_alert
from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.errors import AlreadyExists, InvalidPost, InvalidRequest, InvalidWagonNumber, NotFound
from backend.idk.assessment import rejudge
from backend.idk.rail import ADD_OPERATORS
from backend.rail import repo
from backend.rail.alignment import align
from backend.rail.schemas import ConsistIn, ConsistOut, GoodsIn, ScanRef, WagonOut
from contract.numbers import WAGON_FORMAT, is_valid_wagon, normalise

PRE_ARRIVAL = "pre_arrival"  # why an assessment version was made
CONSIST_WAGON_MISSING = "consist_wagon_missing"
CONSIST_SCAN_UNEXPECTED = "consist_scan_unexpected"


def _checked(data: ConsistIn) -> ConsistIn:
    wagons = [msgspec.structs.replace(w, wagon_number=normalise(w.wagon_number),
                                      container_numbers=[normalise(c) for c in w.container_numbers])
              for w in data.wagons]
    bad = [w.wagon_number for w in wagons
           if WAGON_FORMAT.match(w.wagon_number) and not is_valid_wagon(w.wagon_number)]
    if bad:
        raise InvalidWagonNumber(f"wagon numbers fail their check digit: {', '.join(bad)}",
                                 numbers=bad)
    for field, values in (("position", [w.position for w in wagons]),
                          ("wagon_number", [w.wagon_number for w in wagons])):
        if len(set(values)) != len(values):
            raise InvalidRequest(f"a consist lists each wagon {field} once", field=field)
    return msgspec.structs.replace(data, wagons=wagons)


async def submit(conn: asyncpg.Connection, actor: Actor, data: ConsistIn) -> tuple[ConsistOut, bool]:
    """Store the consist; a resend of the same one returns it (created False), another body for
    the same train and date is 409 `already_exists` (a consist is never rewritten)."""
    data = _checked(data)
    body = msgspec.json.encode(data)
    sha = hashlib.sha256(body).hexdigest()
    day = data.expected_at.astimezone(UTC).date()
    async with conn.transaction():
        if not await repo.rail_post(conn, data.station):
            raise InvalidPost(f"station {data.station} is not a rail post", field="station")
        consist_id = await repo.insert_consist(conn, data.station, data.train_number, day,
                                               data.station, data.expected_at, sha, actor.id)
        created = consist_id is not None
        if consist_id is None:
            row = await repo.by_train(conn, data.train_number, day)
            assert row is not None
            if row["body_sha256"] != sha:
                raise AlreadyExists(f"train {data.train_number} of {day} already has another "
                                    "consist", consist_id=row["id"])
            consist_id = row["id"]
        else:
            await repo.insert_wagons(conn, [
                (consist_id, w.position, w.wagon_number, w.container_numbers, w.consignor,
                 w.consignee, msgspec.json.encode(w.goods).decode()) for w in data.wagons])
            await audit.append(conn, actor_id=actor.id, action="rail_consist.received",
                               object_type="rail_consist", object_id=consist_id,
                               payload={"train_number": data.train_number, "date": day.isoformat(),
                                        "wagons": len(data.wagons), "sha256": sha})
            # scans of the train already assessed are judged against the pre-arrival goods
            # (a no-op for those a declaration already covers)
            now = datetime.now(UTC)
            for scan in await repo.train_scans(conn, data.station, data.train_number,
                                               data.expected_at):
                await rejudge(conn, scan["id"], PRE_ARRIVAL, actor.id, now)
    return await read(conn, actor, consist_id), created


def _ref(row: Any) -> ScanRef:
    return ScanRef(row["id"], row["image_id"], row["wagon_number"], row["scanned_at"],
                   row["verdict"])


async def read(conn: asyncpg.Connection, actor: Actor, consist_id: str) -> ConsistOut:
    head = await repo.consist(conn, consist_id)
    if head is None or not actor.sees_post(head["post_code"]):
        raise NotFound("no such consist")
    wagons = await repo.wagons(conn, consist_id)
    scans = await repo.train_scans(conn, head["post_code"], head["train_number"],
                                   head["expected_at"])
    result = align([(w["position"], w["wagon_number"]) for w in wagons],
                   [s["wagon_number"] for s in scans])
    scan_of = {w["position"]: scans[i] for w in wagons
               if (i := result.states[w["position"]][1]) is not None}
    decls: dict[str, list[str]] = {}
    for r in await repo.wagon_declarations(conn, head["post_code"],
                                           [w["wagon_number"] for w in wagons],
                                           [s["id"] for s in scan_of.values()]):
        decls.setdefault(r["number"], []).append(r["id"])
    out = []
    for w in wagons:
        state, index = result.states[w["position"]]
        scan = scan_of.get(w["position"])
        linked = sorted({*decls.get(w["wagon_number"], []),
                         *(decls.get(scan["wagon_number"], []) if scan else [])})
        out.append(WagonOut(
            w["position"], w["wagon_number"], list(w["container_numbers"]), w["consignor"],
            w["consignee"], msgspec.json.decode(w["goods"], type=list[GoodsIn]), state,  # type: ignore[arg-type]
            _ref(scans[index]) if index is not None else None, linked))
    unexpected = [_ref(scans[i]) for i in result.unexpected]
    counts = {s: sum(1 for w in out if w.state == s)
              for s in ("scanned", "missing", "out_of_order", "number_disagrees")}
    counts["unexpected"] = len(unexpected)
    consist = ConsistOut(head["id"], head["post_code"], head["train_number"],
                         head["train_date"].isoformat(), head["station"], head["expected_at"],
                         head["created_at"], out, unexpected, counts)
    if scans:
        await _alert(conn, consist)
    return consist


async def _alert(conn: asyncpg.Connection, c: ConsistOut) -> None:
    """Once per consist and wagon (dedupe key): the post head gets every alert of the post,
    the post's IDK operators are added as recipients."""
    link = f"/rail/consists/{c.id}"
    async with conn.transaction():
        for w in c.wagons:
            if w.state != "missing":
                continue
            alert_id = await raise_alert(
                conn, kind=CONSIST_WAGON_MISSING, post_code=c.post_code, object_type="rail_consist",
                object_id=c.id, title=f"Поезд {c.train_number}: вагон {w.wagon_number} не просвечен",
                body=(f"Вагон {w.wagon_number} (позиция {w.position}) есть в предварительной "
                      f"информации поезда {c.train_number}, но его снимка нет."),
                dedupe_key=f"{CONSIST_WAGON_MISSING}:{c.id}:{w.position}", link=link,
                code=CONSIST_WAGON_MISSING,
                params={"train": c.train_number, "wagon": w.wagon_number, "position": w.position})
            if alert_id:
                await conn.execute(ADD_OPERATORS, alert_id, c.post_code)
        for s in c.unexpected:
            alert_id = await raise_alert(
                conn, kind=CONSIST_SCAN_UNEXPECTED, post_code=c.post_code,
                object_type="rail_consist", object_id=c.id,
                title=f"Поезд {c.train_number}: вагон {s.wagon_number or '?'} не заявлен",
                body=(f"Снимок {s.image_id} поезда {c.train_number} снят с вагона "
                      f"{s.wagon_number or 'без номера'}, которого нет в предварительной информации."),
                dedupe_key=f"{CONSIST_SCAN_UNEXPECTED}:{c.id}:{s.id}", link=link,
                code=CONSIST_SCAN_UNEXPECTED,
                params={"train": c.train_number, "wagon": s.wagon_number, "image_id": s.image_id})
            if alert_id:
                await conn.execute(ADD_OPERATORS, alert_id, c.post_code)
