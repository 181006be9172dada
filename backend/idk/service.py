"""IDK scan rules: registering an image (idempotent by image id), the operator's verdict, reads."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import msgspec

from backend.alerts.service import raise_alert
from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.auth.permissions import CROSS_POST_ROLES, can, post_scope
from backend.errors import (
    Forbidden,
    ImageIdConflict,
    InvalidRequest,
    NotFound,
    RawExportRequired,
    RiskAreaOutside,
    VerdictFinal,
)
from backend.idk import assist_repo, conclusion_service, linking, rail, repo
from backend.idk.assessment import enforce_disagreement
from backend.idk.images import ImageInfo, inspect_image_async, inspect_image_file_async
from backend.idk.jobs import enqueue_assessment
from backend.idk.scanners import calibration_for_scan
from backend.idk.schemas import (
    Assessment,
    AssessmentVersion,
    RiskArea,
    ScanFields,
    ScanOut,
    StoredImage,
    VerdictIn,
)
from backend.inspections.service import require_inspection
from backend.integration.outbox import emit
from backend.portal import service as portal_service
from backend.storage.base import ObjectExists, ObjectStore

log = logging.getLogger("dosmotr.idk")

LIST_LIMIT_MAX = 500
STORE_BLOCK = 8 << 20


def normalise_fields(fields: ScanFields) -> ScanFields:
    """Numbers as the linker compares them; a scan must name something it can be linked by."""
    if fields.scanned_at.tzinfo is None:
        raise InvalidRequest("scanned_at needs a UTC offset (ISO 8601)", field="scanned_at")
    try:
        fields.scanned_at.astimezone(UTC)  # as the database stores it
    except OverflowError:
        raise InvalidRequest("scanned_at is out of range", field="scanned_at") from None
    wagon = linking.normalise_wagon(fields.wagon_number)
    containers = linking.normalise_containers(fields.container_numbers)
    if not wagon and not containers:
        raise InvalidRequest(
            "a scan names its wagon number or at least one container number",
            field="wagon_number",
        )
    return ScanFields(
        image_id=fields.image_id, scanner=fields.scanner.strip(), scanned_at=fields.scanned_at,
        composition_number=fields.composition_number.strip(), wagon_number=wagon,
        container_numbers=containers,
    )


def image_key(post_code: str, image_id: str, image: ImageInfo) -> str:
    return f"idk/{post_code}/{image_id}/{image.sha256}.{image.ext}"


def _replay_or_conflict(existing: ScanOut, post_code: str, image: ImageInfo) -> ScanOut:
    # The scanner's id decides: the same image again is a replay, anything else is a conflict.
    if existing.image_sha256 == image.sha256 and existing.post_code == post_code:
        return existing
    raise ImageIdConflict(f"image id {existing.image_id} is already registered with other content")


async def _store_image(store: ObjectStore, key: str, data: bytes, image: ImageInfo) -> None:
    try:
        await store.put_bytes(key, data, image.content_type)
    except ObjectExists:
        await _check_existing(store, key, image)


async def _check_existing(store: ObjectStore, key: str, image: ImageInfo) -> None:
    # A replay racing us, or an earlier attempt whose database write failed. The key
    # names the content's hash, so what is there is this image unless the store is damaged.
    info = await store.stat(key)
    if info is None or info.sha256 != image.sha256:
        raise RuntimeError(f"object {key} exists with other content") from None


async def _store_file(store: ObjectStore, key: str, path: Path, image: ImageInfo) -> None:
    """Copy a file into the store a block at a time (the store's resumable append), so a
    large image is never held whole in memory."""
    try:
        token = await store.begin_append(key, image.content_type)
    except ObjectExists:
        await _check_existing(store, key, image)
        return
    offset = 0
    with path.open("rb") as fh:
        while block := await asyncio.to_thread(fh.read, STORE_BLOCK):
            offset = await store.append(key, token, offset, block)
    info = await store.complete_append(key, token)
    if info.sha256 != image.sha256:
        raise RuntimeError(f"object {key} was stored with another digest")


StoreImage = Callable[[str], Awaitable[None]]


async def _require_raw_export(conn: asyncpg.Connection, post_code: str, scanner: str,
                              info: ImageInfo) -> None:
    """A scanner whose settings require the raw export refuses 8-bit images: a display-LUT
    copy has lost the linear transmission the X-ray model and the mass estimate read."""
    calibration = await calibration_for_scan(conn, scanner, post_code)
    if calibration is not None and calibration.raw_export_required and info.bit_depth <= 8:
        raise RawExportRequired(
            f"scanner {scanner} at {post_code} accepts only its raw export (16-bit PNG or TIFF);"
            f" this image has {info.bit_depth} bits", field="image", scanner=scanner)


async def _register(
    conn: asyncpg.Connection, actor_id: str, post_code: str, fields: ScanFields,
    info: ImageInfo, put: StoreImage,
) -> tuple[ScanOut, bool]:
    existing = await repo.scan_by_image_id(conn, fields.image_id)
    if existing is not None:
        return _replay_or_conflict(existing, post_code, info), False
    if not await repo.post_exists(conn, post_code):
        raise InvalidRequest(f"unknown post {post_code}", field="post_code")
    await _require_raw_export(conn, post_code, fields.scanner, info)
    key = image_key(post_code, fields.image_id, info)
    # Evidence first: a scan row never points at an object that is not there.
    await put(key)
    async with conn.transaction():
        scan_id = await repo.insert_scan(conn, post_code, fields, key, info, actor_id)
        if scan_id is None:
            existing = await repo.scan_by_image_id(conn, fields.image_id)
            assert existing is not None
            return _replay_or_conflict(existing, post_code, info), False
        await audit.append(
            conn, actor_id=actor_id, action="idk_scan.registered", object_type="idk_scan",
            object_id=scan_id,
            payload={
                "image_id": fields.image_id, "post_code": post_code, "scanner": fields.scanner,
                "composition_number": fields.composition_number,
                "wagon_number": fields.wagon_number,
                "container_numbers": fields.container_numbers,
                "scanned_at": fields.scanned_at.isoformat(), "image_key": key,
                "image_sha256": info.sha256, "image_size": info.size,
                "image_mime": info.content_type, "width": info.width, "height": info.height,
            },
        )
        if rail.wagon_number_invalid(fields.wagon_number):
            await rail.flag_invalid_wagon(
                conn, scan_id, post_code, fields.image_id, fields.wagon_number
            )
        await linking.link_scan(
            conn, scan_id, post_code, fields.wagon_number, fields.container_numbers, actor_id
        )
        # Portal reads (RFID, camera) that came before the scan bind to it now, and may name
        # the wagon the scanner did not send (which then links it)
        await portal_service.bind_waiting_reads(conn, scan_id)
        await enqueue_assessment(conn, scan_id, "registered")
        scan = await repo.scan_by_id(conn, scan_id)
    assert scan is not None
    return scan, True


async def register_scan(
    conn: asyncpg.Connection,
    store: ObjectStore,
    actor_id: str,
    post_code: str,
    fields: ScanFields,
    image: bytes,
    content_type: str,
) -> tuple[ScanOut, bool]:
    """Register a scan and its image at a post and link it; returns (scan, created).

    `content_type` is the sender's label, a hint only: the bytes decide the type.
    """
    fields = normalise_fields(fields)
    info = await inspect_image_async(image)
    if content_type and content_type.split(";")[0].strip().lower() != info.content_type:
        log.debug("image %s labelled %s is %s", fields.image_id, content_type, info.content_type)
    return await _register(conn, actor_id, post_code, fields, info,
                           lambda key: _store_image(store, key, image, info))


async def register_scan_file(
    conn: asyncpg.Connection,
    store: ObjectStore,
    actor_id: str,
    post_code: str,
    fields: ScanFields,
    path: Path,
    sha256: str | None = None,
) -> tuple[ScanOut, bool]:
    """`register_scan` for an image already on disk (a streamed upload part)."""
    fields = normalise_fields(fields)
    info = await inspect_image_file_async(path, sha256)
    return await _register(conn, actor_id, post_code, fields, info,
                           lambda key: _store_file(store, key, path, info))


def upload_post(actor: Actor, post_code: str | None) -> str:
    """Whose post an upload belongs to: an operator's own, or the one an admin names."""
    if not can(actor, "idk.upload"):
        raise Forbidden(f"role {actor.role} may not register scans")
    if actor.role in CROSS_POST_ROLES:
        if not post_code:
            raise InvalidRequest("an admin names the post_code of the scan", field="post_code")
        return post_code.strip().upper()
    if actor.post_code is None:
        raise Forbidden(f"role {actor.role} may not register scans")
    if post_code and post_code.strip().upper() != actor.post_code:
        raise Forbidden("an IDK operator registers scans of their own post only")
    return actor.post_code


async def upload_scan(
    conn: asyncpg.Connection,
    store: ObjectStore,
    actor: Actor,
    post_code: str | None,
    fields: ScanFields,
    image: bytes,
    content_type: str,
) -> tuple[ScanOut, bool]:
    return await register_scan(
        conn, store, actor.id, upload_post(actor, post_code), fields, image, content_type
    )


def _check_areas(areas: list[RiskArea], width: int, height: int) -> None:
    for i, a in enumerate(areas):
        if a.x + a.w > width or a.y + a.h > height:
            raise RiskAreaOutside(
                f"risk area {i} ({a.x},{a.y} {a.w}x{a.h}) leaves the {width}x{height} image",
                index=i,
            )


async def give_verdict(
    conn: asyncpg.Connection, actor: Actor, scan_id: str, data: VerdictIn,
    store: ObjectStore | None = None,
) -> ScanOut:
    """The operator's verdict, final once given, with its conclusion (when a store is given;
    otherwise the conclusion is issued on first reading). `suspicion` sends every linked
    declaration to inspection (red corridor) and alerts the post head; `clear` over an image
    the model flagged sends them to inspection too. All in one transaction."""
    scan = await repo.scan_by_id(conn, scan_id)
    if scan is None or actor.post_code != scan.post_code:
        raise NotFound(f"scan {scan_id} not found")
    if not can(actor, "idk.verdict"):
        raise Forbidden("only the IDK operator of the scan's post gives a verdict")
    if scan.verdict is not None:
        raise VerdictFinal(f"scan {scan_id} already has the verdict {scan.verdict}")
    _check_areas(data.risk_areas, scan.width, scan.height)
    verdict_at = datetime.now(UTC).replace(microsecond=0)
    stored = None
    if store is not None:
        stored = await conclusion_service.issue(
            conn, store, scan, verdict=data.verdict, areas=data.risk_areas, operator=actor.name,
            verdict_at=verdict_at,
        )
    async with conn.transaction():
        row = await repo.lock_scan(conn, scan_id)
        assert row is not None
        if row["verdict"] is not None:
            raise VerdictFinal(f"scan {scan_id} already has the verdict {row['verdict']}")
        await repo.set_verdict(conn, scan_id, data.verdict, data.risk_areas, actor.id, verdict_at)
        declaration_ids = await repo.linked_declaration_ids(conn, scan_id)
        await audit.append(
            conn, actor_id=actor.id, action="idk_scan.verdict", object_type="idk_scan",
            object_id=scan_id,
            payload={"verdict": data.verdict, "risk_areas": data.risk_areas,
                     "linked_declaration_ids": declaration_ids},
        )
        await emit(conn, "idk.verdict", {
            "scan_id": scan_id, "image_id": row["image_id"], "post_code": row["post_code"],
            "verdict": data.verdict, "risk_areas": len(data.risk_areas),
            "operator": {"id": actor.id, "name": actor.name}, "verdict_at": verdict_at,
            "declaration_ids": declaration_ids})
        if stored is not None:
            await conclusion_service.record(conn, scan_id, stored, actor.id, verdict_at)
        if data.verdict == "suspicion":
            for declaration_id in declaration_ids:
                await require_inspection(
                    conn, declaration_id, reason="idk_suspicion", actor_id=actor.id
                )
            await raise_alert(
                conn, kind="idk_suspicion", post_code=row["post_code"], object_type="idk_scan",
                object_id=scan_id, title=f"ИДК: подозрение — {_vehicle(row)}",
                body=(
                    f"Оператор ИДК {actor.name} отметил снимок {row['image_id']} как подозрительный"
                    f" (зон риска: {len(data.risk_areas)}); связанных деклараций: "
                    f"{len(declaration_ids)}, по ним назначен досмотр."
                ),
                dedupe_key=f"idk_suspicion:{scan_id}", link=f"/idk/{scan_id}",
                code="idk_suspicion",
                params={"image_id": row["image_id"], "vehicle": _vehicle(row),
                        "areas": len(data.risk_areas), "declarations": len(declaration_ids)},
            )
        else:
            # the assessment as of now: the worker may have stored one since the first read
            judged = await assist_repo.lock_scan(conn, scan_id)
            assessment = (msgspec.convert(judged["assessment"], Assessment)
                          if judged["assessment"] else None)
            await enforce_disagreement(conn, judged, assessment, actor.id)
        scan = await repo.scan_by_id(conn, scan_id)
    assert scan is not None
    return scan


def _vehicle(row: asyncpg.Record) -> str:
    units = ([f"вагон {row['wagon_number']}"] if row["wagon_number"] else []) + list(
        row["container_numbers"]
    )
    return ", ".join(units) or row["image_id"]


async def get_scan(conn: asyncpg.Connection, actor: Actor, scan_id: str) -> ScanOut:
    scan = await repo.scan_by_id(conn, scan_id)
    if scan is None or not actor.sees_post(scan.post_code):
        raise NotFound(f"scan {scan_id} not found")
    return scan


async def assessment_history(
    conn: asyncpg.Connection, actor: Actor, scan_id: str
) -> list[AssessmentVersion]:
    """Every assessment the scan had, oldest first (the last is the scan's `assessment`)."""
    await get_scan(conn, actor, scan_id)
    return [
        AssessmentVersion(version=r["version"], why=r["why"], created_at=r["created_at"],
                          assessment=msgspec.convert(r["assessment"], Assessment))
        for r in await assist_repo.assessment_history(conn, scan_id)
    ]


async def list_scans(
    conn: asyncpg.Connection,
    actor: Actor,
    post_code: str | None,
    unlinked: bool,
    verdict: str | None,
    limit: int,
) -> list[ScanOut]:
    """Post staff see their own post whatever they ask for; cross-post roles may filter."""
    if post_code is not None:
        post_code = post_code.strip().upper()
    own_post = post_scope(actor)
    if own_post is not None:
        if post_code is not None and post_code != own_post:
            return []
        post_code = own_post
    return await repo.list_scans(conn, post_code, unlinked, verdict, min(limit, LIST_LIMIT_MAX))


async def open_image(
    conn: asyncpg.Connection, store: ObjectStore, actor: Actor, scan_id: str
) -> tuple[StoredImage, AsyncIterator[bytes]]:
    """The stored image and a reader of its bytes; viewing evidence is itself audited."""
    found = await repo.stored_image(conn, scan_id)
    if found is None or not actor.sees_post(found[1]):
        raise NotFound(f"scan {scan_id} not found")
    image = found[0]
    async with conn.transaction():
        await audit.append(
            conn, actor_id=actor.id, action="idk_scan.image_viewed", object_type="idk_scan",
            object_id=scan_id, payload={"image_sha256": image.sha256},
        )
    return image, store.read_range(image.key, 0, image.size - 1)
