"""IDK scans and their links to declarations: SQL only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from backend.errors import InvalidRequest
from backend.idk.images import ImageInfo
from backend.idk.schemas import (
    Assessment,
    LinkedScan,
    LinkRecord,
    RiskArea,
    ScanFields,
    ScanOut,
    StoredImage,
    UserRef,
)

SCAN_SELECT = """
SELECT s.id, s.image_id, s.post_code, s.scanner, s.composition_number, s.wagon_number,
       s.container_numbers, s.scanned_at, s.image_mime, s.image_size, s.image_sha256,
       s.width, s.height, s.bit_depth, s.verdict, s.risk_areas, s.verdict_by,
       u.name AS verdict_by_name, s.verdict_at, s.created_by, s.created_at, s.assessment,
       s.assessment_version, s.wagon_number_invalid,
       coalesce((SELECT array_agg(l.declaration_id ORDER BY l.created_at, l.declaration_id)
                 FROM scan_links l WHERE l.scan_id = s.id AND l.unlinked_at IS NULL), '{}')
         AS linked_declaration_ids,
       coalesce((SELECT json_agg(json_build_object(
            'declaration_id', l.declaration_id, 'matched_on', l.matched_on,
            'linked_at', l.created_at, 'linked_by', l.linked_by, 'link_reason', l.link_reason,
            'covers_wagon', l.covers_wagon, 'covers_containers', l.covers_containers,
            'unlinked_at', l.unlinked_at, 'unlinked_by', l.unlinked_by, 'reason', l.reason)
            ORDER BY l.created_at, l.id) FROM scan_links l WHERE l.scan_id = s.id), '[]')
         AS links
FROM idk_scans s LEFT JOIN users u ON u.id = s.verdict_by
"""


def _scan_out(r: Any) -> ScanOut:
    return ScanOut(
        id=r["id"], image_id=r["image_id"], post_code=r["post_code"], scanner=r["scanner"],
        composition_number=r["composition_number"], wagon_number=r["wagon_number"],
        container_numbers=list(r["container_numbers"]), scanned_at=r["scanned_at"],
        image_mime=r["image_mime"], image_size=r["image_size"], image_sha256=r["image_sha256"],
        width=r["width"], height=r["height"], bit_depth=r["bit_depth"], verdict=r["verdict"],
        risk_areas=msgspec.convert(r["risk_areas"] or [], list[RiskArea]),
        verdict_by=UserRef(r["verdict_by"], r["verdict_by_name"]) if r["verdict_by"] else None,
        verdict_at=r["verdict_at"], linked_declaration_ids=list(r["linked_declaration_ids"]),
        created_by=r["created_by"], created_at=r["created_at"],
        assessment=msgspec.convert(r["assessment"], Assessment) if r["assessment"] else None,
        links=msgspec.convert(r["links"], list[LinkRecord]),
        assessment_version=r["assessment_version"],
        wagon_number_invalid=r["wagon_number_invalid"],
    )


SCAN_BY_ID = SCAN_SELECT + "WHERE s.id = $1"


async def scan_by_id(conn: asyncpg.Connection, scan_id: str) -> ScanOut | None:
    row = await conn.fetchrow(SCAN_BY_ID, scan_id)
    return _scan_out(row) if row else None


SCAN_BY_IMAGE_ID = SCAN_SELECT + "WHERE s.image_id = $1"


async def scan_by_image_id(conn: asyncpg.Connection, image_id: str) -> ScanOut | None:
    row = await conn.fetchrow(SCAN_BY_IMAGE_ID, image_id)
    return _scan_out(row) if row else None


LIST_SCANS = SCAN_SELECT + """
WHERE ($1::text IS NULL OR s.post_code = $1)
  AND (NOT $2 OR NOT EXISTS (SELECT 1 FROM scan_links l
                             WHERE l.scan_id = s.id AND l.unlinked_at IS NULL))
  AND ($3::text IS NULL OR ($3 = 'pending' AND s.verdict IS NULL) OR s.verdict = $3)
ORDER BY s.scanned_at DESC, s.id
LIMIT $4
"""


async def list_scans(
    conn: asyncpg.Connection, post_code: str | None, unlinked: bool, verdict: str | None,
    limit: int,
) -> list[ScanOut]:
    rows = await conn.fetch(LIST_SCANS, post_code, unlinked, verdict, limit)
    return [_scan_out(r) for r in rows]


INSERT_SCAN = """
INSERT INTO idk_scans (image_id, post_code, scanner, composition_number, wagon_number,
                       container_numbers, scanned_at, image_key, image_sha256, image_mime,
                       image_size, width, height, bit_depth, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
ON CONFLICT (image_id) DO NOTHING
RETURNING id
"""


async def insert_scan(
    conn: asyncpg.Connection, post_code: str, fields: ScanFields, key: str, image: ImageInfo,
    created_by: str,
) -> str | None:
    """The new scan's id, or None when the image id is already taken (a replay or a race)."""
    try:
        scan_id = await conn.fetchval(
            INSERT_SCAN, fields.image_id, post_code, fields.scanner, fields.composition_number,
            fields.wagon_number, fields.container_numbers, fields.scanned_at, key, image.sha256,
            image.content_type, image.size, image.width, image.height, image.bit_depth,
            created_by,
        )
    except asyncpg.ForeignKeyViolationError as exc:
        raise InvalidRequest(f"unknown post or user: {exc.detail}") from None
    return str(scan_id) if scan_id is not None else None


SCAN_FOR_VERDICT = """
SELECT id, image_id, post_code, wagon_number, container_numbers, width, height, verdict
FROM idk_scans WHERE id = $1 FOR UPDATE
"""


async def lock_scan(conn: asyncpg.Connection, scan_id: str) -> Any:
    """The scan row, locked until the caller's transaction ends.

    FOR UPDATE (not NO KEY UPDATE) on purpose: it conflicts with the key-share lock a new
    scan_links row takes on its scan, so a declaration linking while a verdict is given
    either is seen by the verdict or sees the verdict; it never misses it.
    """
    return await conn.fetchrow(SCAN_FOR_VERDICT, scan_id)


SET_VERDICT = """
UPDATE idk_scans SET verdict = $2, risk_areas = $3, verdict_by = $4, verdict_at = $5
WHERE id = $1 AND verdict IS NULL
RETURNING verdict_at
"""


async def set_verdict(
    conn: asyncpg.Connection, scan_id: str, verdict: str, risk_areas: list[RiskArea],
    actor_id: str, verdict_at: datetime,
) -> datetime | None:
    """`verdict_at` comes from the caller: the conclusion rendered before this write shows it."""
    return await conn.fetchval(
        SET_VERDICT, scan_id, verdict, msgspec.to_builtins(risk_areas), actor_id, verdict_at
    )


STORED_IMAGE = """
SELECT image_key, image_mime, image_size, image_sha256, image_id, post_code
FROM idk_scans WHERE id = $1
"""


async def stored_image(conn: asyncpg.Connection, scan_id: str) -> tuple[StoredImage, str] | None:
    """The image's object and the scan's post."""
    r = await conn.fetchrow(STORED_IMAGE, scan_id)
    if r is None:
        return None
    image = StoredImage(key=r["image_key"], content_type=r["image_mime"], size=r["image_size"],
                        sha256=r["image_sha256"], image_id=r["image_id"])
    return image, str(r["post_code"])


LINKED_DECLARATIONS = """
SELECT declaration_id FROM scan_links WHERE scan_id = $1 AND unlinked_at IS NULL
ORDER BY created_at, declaration_id
"""


async def linked_declaration_ids(conn: asyncpg.Connection, scan_id: str) -> list[str]:
    return [r["declaration_id"] for r in await conn.fetch(LINKED_DECLARATIONS, scan_id)]


# A scan matches a declaration of its post by wagon number or by any container number.
# Several matches between one pair become one link: matched_on lists them, comma-separated.
# A pair with any history (an operator unlinked it) is never linked again automatically.
LINK_SCAN = """
INSERT INTO scan_links (scan_id, declaration_id, matched_on)
SELECT $1, d.id, string_agg(tu.kind || ':' || tu.number, ',' ORDER BY tu.kind DESC, tu.number)
FROM declarations d JOIN transport_units tu ON tu.declaration_id = d.id
WHERE d.post_code = $2 AND d.status NOT IN ('released', 'refused')
  AND ((tu.kind = 'wagon' AND $3 <> '' AND tu.number = $3)
       OR (tu.kind = 'container' AND tu.number = ANY ($4::text[])))
  AND NOT EXISTS (SELECT 1 FROM scan_links h WHERE h.scan_id = $1 AND h.declaration_id = d.id)
GROUP BY d.id
ON CONFLICT DO NOTHING
RETURNING declaration_id, matched_on
"""


async def link_scan(
    conn: asyncpg.Connection, scan_id: str, post_code: str, wagon_number: str,
    container_numbers: list[str],
) -> list[tuple[str, str]]:
    """Insert the links a scan has to open declarations; returns the new (declaration, matched_on)."""
    rows = await conn.fetch(LINK_SCAN, scan_id, post_code, wagon_number, container_numbers)
    return [(r["declaration_id"], r["matched_on"]) for r in rows]


LINK_DECLARATION = """
INSERT INTO scan_links (scan_id, declaration_id, matched_on)
SELECT s.id, d.id, string_agg(tu.kind || ':' || tu.number, ',' ORDER BY tu.kind DESC, tu.number)
FROM declarations d
JOIN transport_units tu ON tu.declaration_id = d.id
JOIN idk_scans s ON s.post_code = d.post_code
  AND ((tu.kind = 'wagon' AND tu.number <> '' AND s.wagon_number = tu.number)
       OR (tu.kind = 'container' AND tu.number = ANY (s.container_numbers)))
WHERE d.id = $1 AND d.post_code = $2 AND d.status NOT IN ('released', 'refused')
  AND NOT EXISTS (SELECT 1 FROM scan_links h WHERE h.scan_id = s.id AND h.declaration_id = d.id)
GROUP BY s.id, d.id
ON CONFLICT DO NOTHING
RETURNING scan_id, matched_on
"""


async def link_declaration(
    conn: asyncpg.Connection, declaration_id: str, post_code: str
) -> list[tuple[str, str]]:
    """Insert the links a declaration has to scans of its post; returns the new (scan, matched_on)."""
    rows = await conn.fetch(LINK_DECLARATION, declaration_id, post_code)
    return [(r["scan_id"], r["matched_on"]) for r in rows]


SUSPICIOUS_AMONG = """
SELECT id FROM idk_scans WHERE id = ANY ($1::text[]) AND verdict = 'suspicion' ORDER BY id
"""


async def suspicious_among(conn: asyncpg.Connection, scan_ids: list[str]) -> list[str]:
    return [r["id"] for r in await conn.fetch(SUSPICIOUS_AMONG, scan_ids)]


SCANS_FOR_DECLARATION = """
SELECT s.id, s.image_id, s.wagon_number, s.container_numbers, s.verdict, s.risk_areas,
       s.width, s.height, s.scanned_at
FROM scan_links l JOIN idk_scans s ON s.id = l.scan_id
WHERE l.declaration_id = $1 AND l.unlinked_at IS NULL
ORDER BY s.scanned_at, s.id
"""


async def scans_for_declaration(conn: asyncpg.Connection, declaration_id: str) -> list[LinkedScan]:
    rows = await conn.fetch(SCANS_FOR_DECLARATION, declaration_id)
    return [
        LinkedScan(
            id=r["id"], image_id=r["image_id"], wagon_number=r["wagon_number"],
            container_numbers=list(r["container_numbers"]), verdict=r["verdict"],
            risk_areas=list(r["risk_areas"] or []), width=r["width"], height=r["height"],
            scanned_at=r["scanned_at"],
        )
        for r in rows
    ]


POST_EXISTS = "SELECT EXISTS (SELECT 1 FROM posts WHERE code = $1)"


async def post_exists(conn: asyncpg.Connection, post_code: str) -> bool:
    return bool(await conn.fetchval(POST_EXISTS, post_code))


DECLARATION_FOR_LINK = """
SELECT id, number, post_code, status FROM declarations WHERE id = $1 FOR UPDATE
"""


async def lock_declaration(conn: asyncpg.Connection, declaration_id: str) -> Any:
    """The declaration, locked as a release locks it: a link never races a release."""
    return await conn.fetchrow(DECLARATION_FOR_LINK, declaration_id)


INSERT_MANUAL_LINK = """
INSERT INTO scan_links (scan_id, declaration_id, matched_on, linked_by, link_reason,
                        covers_wagon, covers_containers)
VALUES ($1, $2, 'manual', $3, $4, $5, $6)
ON CONFLICT DO NOTHING
RETURNING id
"""


async def insert_manual_link(
    conn: asyncpg.Connection, scan_id: str, declaration_id: str, actor_id: str, reason: str,
    covers_wagon: str, covers_containers: list[str],
) -> str | None:
    """The new link's id, or None when the pair is already actively linked."""
    return await conn.fetchval(INSERT_MANUAL_LINK, scan_id, declaration_id, actor_id, reason,
                               covers_wagon, covers_containers)


DECLARED_UNITS = "SELECT kind, number FROM transport_units WHERE declaration_id = $1"


async def declared_units(conn: asyncpg.Connection, declaration_id: str) -> set[tuple[str, str]]:
    return {(r["kind"], r["number"]) for r in await conn.fetch(DECLARED_UNITS, declaration_id)}


UNLINK = """
UPDATE scan_links SET unlinked_at = now(), unlinked_by = $3, reason = $4
WHERE scan_id = $1 AND declaration_id = $2 AND unlinked_at IS NULL
RETURNING id, matched_on
"""


async def unlink(
    conn: asyncpg.Connection, scan_id: str, declaration_id: str, actor_id: str, reason: str
) -> Any:
    """Stamp the active link as ended; None when there is no active link."""
    return await conn.fetchrow(UNLINK, scan_id, declaration_id, actor_id, reason)
