"""Objects at both demo posts for the API sweeps, made through the API as its real callers do.

Sweeps share one database per module; a case that changes state asks for fresh objects here,
so the cases stay independent of each other and of their order.
"""

from __future__ import annotations

import base64
import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.asymmetric import ec
from litestar.testing import AsyncTestClient

from backend.auth.tokens import token_digest
from backend.idk.xray import xray_png
from tests.helpers import declaration_payload
from tests.helpers import wagon as make_wagon
from tests.recordings.kit import (
    Tablet,
    fake_video,
    manifest_for,
    new_client_id,
    signed_announcement,
    signed_registration,
    split,
    tus_create,
    upload_chunks,
)

PEPPER = "test-pepper-not-secret"  # tests/conftest.py's TEST_PEPPER
POSTS = ("ALTYNKOL", "ALAKOL")
OTHER = {"ALTYNKOL": "ALAKOL", "ALAKOL": "ALTYNKOL"}
SCANNED_AT = "2026-11-22T10:15:00+06:00"

_seq = itertools.count(1)


def login_of(role: str, post: str = "ALTYNKOL") -> str:
    """The demo user who plays `role`; post roles at `post`."""
    low = post.lower()
    return {
        "inspector": f"insp.{low}.1",
        "idk_operator": f"idk.{low}",
        "post_head": f"head.{low}",
        "auditor": "auditor",
        "integration": "keden",
        "admin": "admin",
    }[role]


def p256_jwk() -> dict[str, str]:
    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()

    def b64(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()

    return {"kty": "EC", "crv": "P-256", "x": b64(numbers.x), "y": b64(numbers.y)}


_PNG = xray_png(1, width=96, height=48, bits=8)


@dataclass
class World:
    client: AsyncTestClient
    db: asyncpg.Connection
    tokens: dict[str, str]
    # Long-lived objects per post, for reads: declaration (red, so with an inspection), scan,
    # device, and an alert every user has in their inbox.
    decl: dict[str, str] = field(default_factory=dict)
    inspection: dict[str, str] = field(default_factory=dict)
    scan: dict[str, str] = field(default_factory=dict)
    device: dict[str, str] = field(default_factory=dict)
    tablet: dict[str, Tablet] = field(default_factory=dict)  # approved device
    recording: dict[str, str] = field(default_factory=dict)
    upload: dict[str, str] = field(default_factory=dict)  # an open tus upload
    alert: str = ""
    bystander: str = ""  # a user no sweep logs in as (target of session revocation)

    def headers(self, login: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[login]}"}

    async def fresh_token(self, login: str) -> str:
        """A new session for `login`, for cases that end it."""
        token = f"sweep-{secrets.token_hex(8)}"
        await self.db.execute(
            "INSERT INTO sessions (user_id, token_hash, expires_at) "
            "SELECT id, $2, $3 FROM users WHERE login = $1",
            login, token_digest(PEPPER, token), datetime.now(UTC) + timedelta(hours=1),
        )
        return token

    async def user_id(self, login: str) -> str:
        return str(await self.db.fetchval("SELECT id FROM users WHERE login = $1", login))

    # --- factories ---------------------------------------------------------------------------

    async def declaration(self, post: str = "ALTYNKOL", corridor: str = "green",
                          **over: Any) -> dict[str, Any]:
        """A declaration from the integration account; a red one gets its inspection assigned
        to the post's first inspector (the draw is random; sweeps need to know who)."""
        resp = await self.client.post(
            "/api/declarations", json=declaration_payload(post=post, corridor=corridor, **over),
            headers=self.headers("keden"),
        )
        assert resp.status_code == 201, resp.text
        decl = dict(resp.json())
        if decl["inspection"] is not None:
            await self.db.execute(
                "UPDATE inspections SET inspector_id = $2 WHERE id = $1",
                decl["inspection"]["id"], await self.user_id(login_of("inspector", post)),
            )
        return decl

    async def inspection_id(self, post: str = "ALTYNKOL", *, started: bool = False,
                            counted: bool = False) -> str:
        decl = await self.declaration(post, "red")
        insp = str(decl["inspection"]["id"])
        inspector = self.headers(login_of("inspector", post))
        if started or counted:
            resp = await self.client.post(f"/api/inspections/{insp}/start", headers=inspector)
            assert resp.status_code == 200, resp.text
        if counted:
            resp = await self.client.post(f"/api/inspections/{insp}/counts",
                                          json={"places_counted": 20}, headers=inspector)
            assert resp.status_code == 200, resp.text
        return insp

    def scan_form(self, wagon: str | None = None, **over: str) -> dict[str, Any]:
        form = {
            "image_id": f"SWEEP-{next(_seq):06d}-{secrets.token_hex(3)}",
            "scanner": "Nuctech MB1215DE",
            "composition_number": "2105",
            "wagon_number": wagon or make_wagon(f"7{next(_seq):06d}"),
            "scanned_at": SCANNED_AT,
        }
        form.update(over)
        return {"data": form, "files": {"image": ("scan.png", _PNG, "image/png")}}

    async def scan_id(self, post: str = "ALTYNKOL", wagon: str | None = None) -> str:
        resp = await self.client.post("/api/idk/scans", **self.scan_form(wagon),
                                      headers=self.headers(login_of("idk_operator", post)))
        assert resp.status_code == 201, resp.text
        return str(resp.json()["id"])

    async def device_id(self, post: str = "ALTYNKOL") -> str:
        resp = await self.client.post(
            "/api/devices", json={"name": f"Tablet {next(_seq)}", "public_key_jwk": p256_jwk()},
            headers=self.headers(login_of("inspector", post)),
        )
        assert resp.status_code == 201, resp.text
        return str(resp.json()["id"])

    async def releasable_id(self, post: str = "ALTYNKOL") -> str:
        """A green declaration whose gate is open: at a rail post its wagon is scanned, clear."""
        wagon = make_wagon(f"6{next(_seq):06d}")
        transport = {"wagons": [wagon], "containers": []} if post == "ALTYNKOL" else None
        decl = await self.declaration(post, "green", **({"transport": transport} if transport else {}))
        if transport:
            scan = await self.scan_id(post, wagon)
            resp = await self.client.post(f"/api/idk/scans/{scan}/verdict", json={"verdict": "clear"},
                                          headers=self.headers(login_of("idk_operator", post)))
            assert resp.status_code == 200, resp.text
        return str(decl["id"])

    async def upload_id(self, post: str = "ALTYNKOL", inspection_id: str | None = None,
                        length: int = 1000) -> str:
        """An open tus upload by the post's inspector, of a started inspection."""
        insp = inspection_id or await self.inspection_id(post, started=True)
        resp = await tus_create(self.client, self.headers(login_of("inspector", post)), insp,
                                "unloading", new_client_id(), length)
        assert resp.status_code == 201, resp.text
        return str(resp.headers["location"].rsplit("/", 1)[-1])

    async def recording_body(self, post: str = "ALTYNKOL",
                             inspection_id: str | None = None) -> tuple[str, dict[str, Any]]:
        """(inspection id, registration body) of a recording uploaded by the inspector and
        signed by the post's approved tablet, not yet registered."""
        insp = inspection_id or await self.inspection_id(post, started=True)
        chunks = split(fake_video(24_000, seed=next(_seq)), [12_000])
        cid = new_client_id()
        upload = await upload_chunks(self.client, self.headers(login_of("inspector", post)), insp,
                                     "unloading", cid, chunks)
        tablet = self.tablet[post]
        manifest = manifest_for(str(tablet.device_id), chunks)
        return insp, signed_registration(tablet, cid, "unloading", upload, manifest)

    async def announcement(self, post: str = "ALTYNKOL") -> tuple[str, str, dict[str, Any]]:
        """(inspection id, client id, body) announcing a chunk chain before the upload."""
        insp = await self.inspection_id(post, started=True)
        chunks = split(fake_video(24_000, seed=next(_seq)), [12_000])
        tablet = self.tablet[post]
        cid = new_client_id()
        manifest = manifest_for(str(tablet.device_id), chunks)
        return insp, cid, signed_announcement(tablet, insp, cid, "unloading", manifest)


async def build_world(client: AsyncTestClient, db: asyncpg.Connection,
                      tokens: dict[str, str]) -> World:
    w = World(client=client, db=db, tokens=tokens)
    for post in POSTS:
        decl = await w.declaration(post, "red")
        w.decl[post] = str(decl["id"])
        w.inspection[post] = str(decl["inspection"]["id"])
        w.scan[post] = await w.scan_id(post)
        w.device[post] = await w.device_id(post)
        inspector, head = w.headers(login_of("inspector", post)), w.headers(login_of("post_head", post))
        started = await client.post(f"/api/inspections/{w.inspection[post]}/start", headers=inspector)
        assert started.status_code == 200, started.text
        w.tablet[post] = Tablet()
        await w.tablet[post].register(client, inspector, head)
        insp, body = await w.recording_body(post, w.inspection[post])
        resp = await client.post(f"/api/inspections/{insp}/recordings", json=body, headers=inspector)
        assert resp.status_code == 201, resp.text
        w.recording[post] = str(resp.json()["id"])
        w.upload[post] = await w.upload_id(post, w.inspection[post])
    w.alert = str(await db.fetchval(
        "INSERT INTO alerts (kind, post_code, object_type, object_id, title, body, dedupe_key) "
        "VALUES ('sweep', 'ALTYNKOL', 'declaration', $1, 'Sweep', 'For every inbox', $2) "
        "RETURNING id",
        w.decl["ALTYNKOL"], f"sweep:{secrets.token_hex(4)}",
    ))
    await db.execute(
        "INSERT INTO alert_recipients (alert_id, user_id) SELECT $1, id FROM users", w.alert
    )
    w.bystander = await w.user_id("insp.alakol.2")
    return w
