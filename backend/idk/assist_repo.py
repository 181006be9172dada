"""SQL of the IDK assistance: the model's assessment, declared goods per scan, conclusions."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec

from backend.idk.schemas import Assessment

SCAN_FOR_ASSESSMENT = """
SELECT id, image_id, image_key, image_mime, image_sha256, width, height, post_code,
       scanner, wagon_number, container_numbers, verdict, assessment
FROM idk_scans WHERE id = $1
"""


async def scan_for_assessment(conn: asyncpg.Connection, scan_id: str) -> Any:
    return await conn.fetchrow(SCAN_FOR_ASSESSMENT, scan_id)


LOCK_SCAN = SCAN_FOR_ASSESSMENT + " FOR UPDATE"


async def lock_scan(conn: asyncpg.Connection, scan_id: str) -> Any:
    return await conn.fetchrow(LOCK_SCAN, scan_id)


# What every actively linked declaration says about its goods and its vehicles.
DECLARED_FOR_SCAN = """
SELECT d.id, d.number, d.status,
       coalesce((SELECT json_agg(json_build_object(
            'description', dl.description, 'packaging', dl.packaging, 'places', dl.places,
            'gross_kg', dl.gross_kg::float8) ORDER BY dl.line_no)
            FROM declaration_lines dl WHERE dl.declaration_id = d.id), '[]') AS lines,
       coalesce((SELECT array_agg(u.number ORDER BY u.number) FROM transport_units u
                 WHERE u.declaration_id = d.id AND u.kind = 'wagon'), '{}') AS wagons,
       coalesce((SELECT array_agg(u.number ORDER BY u.number) FROM transport_units u
                 WHERE u.declaration_id = d.id AND u.kind = 'container'), '{}') AS containers
FROM scan_links l JOIN declarations d ON d.id = l.declaration_id
WHERE l.scan_id = $1 AND l.unlinked_at IS NULL
ORDER BY l.created_at, d.id
"""


async def declared_for_scan(conn: asyncpg.Connection, scan_id: str) -> list[Any]:
    return list(await conn.fetch(DECLARED_FOR_SCAN, scan_id))


# A new version, never a rewrite: the scan row (locked by the caller) points at the latest.
ADD_ASSESSMENT = """
WITH latest AS (
    UPDATE idk_scans SET assessment = $2, assessment_version = assessment_version + 1
    WHERE id = $1 RETURNING assessment_version
)
INSERT INTO idk_assessments (scan_id, version, why, assessment, declaration_ids)
SELECT $1, latest.assessment_version, $3, $2, $4 FROM latest
RETURNING version
"""


async def add_assessment(
    conn: asyncpg.Connection, scan_id: str, assessment: Assessment, why: str
) -> int:
    """Store `assessment` as the scan's next version; returns its version number."""
    return int(await conn.fetchval(
        ADD_ASSESSMENT, scan_id, msgspec.to_builtins(assessment), why, assessment.declaration_ids
    ))


ASSESSMENT_HISTORY = """
SELECT version, why, assessment, created_at FROM idk_assessments
WHERE scan_id = $1 ORDER BY version
"""


async def assessment_history(conn: asyncpg.Connection, scan_id: str) -> list[Any]:
    return list(await conn.fetch(ASSESSMENT_HISTORY, scan_id))


# Open declarations among these that do not carry the reason yet.
WITHOUT_REASON = """
SELECT id FROM declarations
WHERE id = ANY ($1::text[]) AND status NOT IN ('released', 'refused')
  AND NOT ($2 = ANY (inspection_reasons))
ORDER BY id
"""


async def open_without_reason(
    conn: asyncpg.Connection, declaration_ids: list[str], reason: str
) -> list[str]:
    return [r["id"] for r in await conn.fetch(WITHOUT_REASON, declaration_ids, reason)]


USER_NAME = "SELECT name FROM users WHERE id = $1"


async def user_name(conn: asyncpg.Connection, user_id: str) -> str:
    return str(await conn.fetchval(USER_NAME, user_id) or user_id)


DECLARATION_NUMBERS = """
SELECT d.number FROM scan_links l JOIN declarations d ON d.id = l.declaration_id
WHERE l.scan_id = $1 AND l.unlinked_at IS NULL ORDER BY l.created_at, d.id
"""


async def declaration_numbers(conn: asyncpg.Connection, scan_id: str) -> list[str]:
    return [r["number"] for r in await conn.fetch(DECLARATION_NUMBERS, scan_id)]


POST_NAME = "SELECT name FROM posts WHERE code = $1"


async def post_name(conn: asyncpg.Connection, post_code: str) -> str:
    return str(await conn.fetchval(POST_NAME, post_code) or post_code)


INSERT_CONCLUSION = """
INSERT INTO idk_conclusions (scan_id, pdf_key, pdf_sha256, pdf_size, html_key, html_sha256,
                             html_size, issued_by, issued_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""


async def insert_conclusion(conn: asyncpg.Connection, scan_id: str, stored: dict[str, Any],
                            issued_by: str, issued_at: Any) -> None:
    await conn.execute(
        INSERT_CONCLUSION, scan_id, stored["pdf_key"], stored["pdf_sha256"], stored["pdf_size"],
        stored["html_key"], stored["html_sha256"], stored["html_size"], issued_by, issued_at,
    )


CONCLUSION = """
SELECT c.*, s.post_code, s.image_id FROM idk_conclusions c JOIN idk_scans s ON s.id = c.scan_id
WHERE c.scan_id = $1
"""


async def conclusion(conn: asyncpg.Connection, scan_id: str) -> Any:
    return await conn.fetchrow(CONCLUSION, scan_id)
