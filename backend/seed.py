"""Demo data, seeded once into an empty database: posts, users, declarations, IDK scans."""

from __future__ import annotations

from typing import Any

import asyncpg

from backend.audit import repo as audit
from backend.auth.passwords import hash_password_async
from backend.posts import repo as posts_repo
from backend.posts.policy import default_policy


def _square(lat: float, lon: float, half_deg: float) -> dict[str, Any]:
    ring = [
        [lon - half_deg, lat - half_deg],
        [lon + half_deg, lat - half_deg],
        [lon + half_deg, lat + half_deg],
        [lon - half_deg, lat + half_deg],
        [lon - half_deg, lat - half_deg],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


# Approximate locations of the two demo posts; the geofence is about 1.6 km across.
DEMO_POSTS: list[dict[str, Any]] = [
    {"code": "ALTYNKOL", "name": "Алтынколь (ж/д)", "kind": "rail", "has_idk": True,
     "center": (44.2105, 80.3620)},
    {"code": "ALAKOL", "name": "Алаколь (авто)", "kind": "road", "has_idk": False,
     "center": (46.1650, 81.6290)},
]


def demo_users() -> list[dict[str, Any]]:
    users = [
        {"login": "admin", "name": "Администратор системы", "role": "admin", "post": None},
        {"login": "keden", "name": "Keden (интеграция)", "role": "integration", "post": None},
        {"login": "auditor", "name": "Аудитор Сапарова А.", "role": "auditor", "post": None},
    ]
    names = {
        "ALTYNKOL": ["Ахметов Б.", "Жумабаева Д.", "Касымов Е.", "Омарова Г."],
        "ALAKOL": ["Сейткали Н.", "Ибраев Т.", "Нурланова С.", "Бекова А."],
    }
    for post in DEMO_POSTS:
        code = post["code"]
        low = code.lower()
        n = names[code]
        users += [
            {"login": f"insp.{low}.1", "name": f"Инспектор {n[0]}", "role": "inspector", "post": code},
            {"login": f"insp.{low}.2", "name": f"Инспектор {n[1]}", "role": "inspector", "post": code},
            {"login": f"head.{low}", "name": f"Начальник поста {n[2]}", "role": "post_head", "post": code},
            {"login": f"idk.{low}", "name": f"Оператор ИДК {n[3]}", "role": "idk_operator", "post": code},
        ]
    return users


INSERT_USER = """
INSERT INTO users (login, name, role, post_code, password_hash) VALUES ($1, $2, $3, $4, $5)
RETURNING id
"""


async def database_is_empty(conn: asyncpg.Connection) -> bool:
    return not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM posts)")


async def seed_base(conn: asyncpg.Connection, password: str) -> list[dict[str, Any]]:
    """Posts and users. Returns the users created (with their ids)."""
    pw_hash = await hash_password_async(password)
    created = []
    async with conn.transaction():
        for post in DEMO_POSTS:
            lat, lon = post["center"]
            await posts_repo.insert_post(
                conn, post["code"], post["name"], post["kind"], post["has_idk"],
                _square(lat, lon, 0.0075), default_policy(post["kind"]),
            )
            await audit.append(conn, actor_id=None, action="post.created", object_type="post",
                               object_id=post["code"], payload={"kind": post["kind"]})
        for user in demo_users():
            uid = await conn.fetchval(
                INSERT_USER, user["login"], user["name"], user["role"], user["post"], pw_hash
            )
            await audit.append(conn, actor_id=None, action="user.created", object_type="user",
                               object_id=uid, payload={"login": user["login"], "role": user["role"]})
            created.append({**user, "id": uid})
    return created
