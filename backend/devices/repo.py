"""Devices: SQL only. Rows come back as records; the service shapes them into DeviceOut."""

from __future__ import annotations

from typing import Any

import asyncpg

# The owner's name by sub-select, so INSERT/UPDATE ... RETURNING give the same shape.
COLUMNS = """id, name, post_code, status, public_key_jwk, registered_by, approved_by, approved_at,
created_at, (SELECT u.name FROM users u WHERE u.id = devices.registered_by) AS registered_by_name"""

DEVICE_BY_THUMBPRINT = f"SELECT {COLUMNS} FROM devices WHERE key_thumbprint = $1"


async def by_thumbprint(conn: asyncpg.Connection, thumbprint: str) -> Any:
    return await conn.fetchrow(DEVICE_BY_THUMBPRINT, thumbprint)


INSERT_DEVICE = f"""
INSERT INTO devices (name, post_code, public_key_jwk, key_thumbprint, registered_by)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (key_thumbprint) DO NOTHING
RETURNING {COLUMNS}
"""


async def insert(
    conn: asyncpg.Connection, name: str, post_code: str | None, key: dict[str, Any],
    thumbprint: str, registered_by: str,
) -> Any:
    """The new device's row, or None when this key is already registered."""
    return await conn.fetchrow(INSERT_DEVICE, name, post_code, key, thumbprint, registered_by)


DEVICE_FOR_UPDATE = f"SELECT {COLUMNS} FROM devices WHERE id = $1 FOR UPDATE"


async def lock(conn: asyncpg.Connection, device_id: str) -> Any:
    return await conn.fetchrow(DEVICE_FOR_UPDATE, device_id)


SET_STATUS = f"""
UPDATE devices SET status = $2,
  approved_by = CASE WHEN $2 = 'approved' THEN $3 ELSE approved_by END,
  approved_at = CASE WHEN $2 = 'approved' THEN now() ELSE approved_at END
WHERE id = $1
RETURNING {COLUMNS}
"""


async def set_status(conn: asyncpg.Connection, device_id: str, status: str, by: str) -> Any:
    return await conn.fetchrow(SET_STATUS, device_id, status, by)


LIST_DEVICES = f"""
SELECT {COLUMNS} FROM devices WHERE ($1::text IS NULL OR post_code = $1) ORDER BY created_at DESC
"""


async def list_devices(conn: asyncpg.Connection, post_code: str | None) -> list[Any]:
    return list(await conn.fetch(LIST_DEVICES, post_code))


DEVICE_BY_ID = f"SELECT {COLUMNS} FROM devices WHERE id = $1"


async def by_id(conn: asyncpg.Connection, device_id: str) -> Any:
    return await conn.fetchrow(DEVICE_BY_ID, device_id)
