"""IDK scans over HTTP: upload (formats, replay, conflicts, validation), roles, verdicts, reads."""

from __future__ import annotations

import asyncio
import io
import itertools
from datetime import UTC, datetime
from typing import Any

import msgspec
import numpy as np
import pytest
from litestar.testing import AsyncTestClient
from PIL import Image

from backend.errors import UnprocessableImage, UnsupportedMedia
from backend.idk.images import inspect_image
from backend.idk.schemas import ScanFields
from backend.idk.service import register_scan
from backend.idk.xray import XraySpec, generate, render, xray_png
from backend.storage.factory import open_store

W, H = 160, 64
SCANNED_AT = "2026-11-22T10:15:00+06:00"
_ids = itertools.count(1)


# --- test media, generated here --------------------------------------------------------------


def png8(seed: int = 1) -> bytes:
    return xray_png(seed, width=W, height=H, bits=8)


def png16(seed: int = 1) -> bytes:
    return xray_png(seed, width=W, height=H, bits=16)


def tiff16(seed: int = 1) -> bytes:
    trans, _, _ = render(XraySpec(seed=seed, width=W, height=H, packaging="bags"))
    out = io.BytesIO()
    Image.fromarray(np.round(trans * 60000).astype(np.uint16)).save(
        out, "TIFF", compression="tiff_lzw"
    )
    return out.getvalue()


def jpeg(seed: int = 1) -> bytes:
    trans, _, _ = render(XraySpec(seed=seed, width=W, height=H, packaging="barrels"))
    out = io.BytesIO()
    Image.fromarray(np.round(trans * 255).astype(np.uint8), mode="L").save(out, "JPEG", quality=90)
    return out.getvalue()


def new_image_id() -> str:
    return f"ALT-SC1-{next(_ids):06d}"


async def upload(
    client: AsyncTestClient,
    headers: dict[str, str],
    image: bytes | None = None,
    *,
    filename: str = "scan.png",
    content_type: str = "image/png",
    **fields: Any,
) -> Any:
    form = {
        "image_id": new_image_id(),
        "scanner": "Nuctech MB1215DE",
        "composition_number": "2105",
        "wagon_number": "58123456",
        "container_numbers": "MSKU1234565",
        "scanned_at": SCANNED_AT,
    }
    form.update({k: v for k, v in fields.items() if v is not None})
    for k in [k for k, v in fields.items() if v is None]:
        form.pop(k, None)
    files = {"image": (filename, png8() if image is None else image, content_type)}
    return await client.post("/api/idk/scans", data=form, files=files, headers=headers)


async def uploaded(client: AsyncTestClient, headers: dict[str, str], **kw: Any) -> dict[str, Any]:
    resp = await upload(client, headers, **kw)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


# --- generators and decoding ----------------------------------------------------------------


def test_xray_generator_is_deterministic_and_marks_its_anomalies() -> None:
    assert xray_png(7, width=W, height=H) == xray_png(7, width=W, height=H)
    assert xray_png(7, width=W, height=H) != xray_png(8, width=W, height=H)
    img = generate(XraySpec(seed=3, width=W, height=H, hidden_block=True, voids=2))
    kinds = sorted(b.kind for b in img.anomalies)
    assert kinds == ["dense_block", "void", "void"]
    for b in img.anomalies:
        assert 0 <= b.x and b.x + b.w <= W and 0 <= b.y and b.y + b.h <= H
    # the hidden block is denser (darker) than the cargo around it
    block = next(b for b in img.anomalies if b.kind == "dense_block")
    pixels = np.asarray(Image.open(io.BytesIO(img.png)))
    inside = pixels[block.y : block.y + block.h, block.x : block.x + block.w].mean()
    assert inside < pixels[img.bay.y : img.bay.y + img.bay.h, img.bay.x : img.bay.x + img.bay.w].mean()


def test_inspect_image_reads_bit_depth_and_refuses_non_images() -> None:
    assert inspect_image(png16()).bit_depth == 16
    assert inspect_image(png8()).bit_depth == 8
    assert inspect_image(tiff16()).bit_depth == 16
    assert inspect_image(jpeg()).content_type == "image/jpeg"
    with pytest.raises(UnprocessableImage):
        inspect_image(b"wagon 58123456, containers MSKU1234565\n")
    with pytest.raises(UnprocessableImage):
        inspect_image(png8()[:300])  # truncated
    gif = io.BytesIO()
    Image.new("L", (8, 8)).save(gif, "GIF")
    with pytest.raises(UnsupportedMedia):
        inspect_image(gif.getvalue())


# --- upload ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "filename", "mime", "bits"),
    [
        (png8, "s.png", "image/png", 8),
        (png16, "s.png", "image/png", 16),
        (tiff16, "s.tiff", "image/tiff", 16),
        (jpeg, "s.jpg", "image/jpeg", 8),
    ],
)
async def test_upload_accepts_png_tiff_jpeg(client, auth, db, make, filename, mime, bits) -> None:  # type: ignore[no-untyped-def]
    headers = await auth("idk.altynkol")
    data = make()
    scan = await uploaded(client, headers, image=data, filename=filename,
                          content_type="application/octet-stream")
    assert (scan["width"], scan["height"]) == (W, H)
    assert scan["image_mime"] == mime and scan["bit_depth"] == bits
    assert scan["post_code"] == "ALTYNKOL"
    assert scan["verdict"] is None and scan["risk_areas"] == [] and scan["assessment"] is None
    assert scan["linked_declaration_ids"] == []

    resp = await client.get(f"/api/idk/scans/{scan['id']}/image", headers=headers)
    assert resp.status_code == 200
    assert resp.content == data
    assert resp.headers["content-type"].startswith(mime)

    actions = [r["action"] for r in await db.fetch(
        "SELECT action FROM audit_events WHERE object_id = $1 ORDER BY seq", scan["id"])]
    assert actions == ["idk_scan.registered", "idk_scan.image_viewed"]
    key = await db.fetchval("SELECT image_key FROM idk_scans WHERE id = $1", scan["id"])
    assert key == f"idk/ALTYNKOL/{scan['image_id']}/{scan['image_sha256']}.{filename.split('.')[1]}"


async def test_same_image_id_same_bytes_is_a_replay(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    headers = await auth("idk.altynkol")
    first = await uploaded(client, headers, image_id="ALT-REPLAY-1")
    again = await upload(client, headers, image_id="ALT-REPLAY-1")
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first["id"]
    assert await db.fetchval("SELECT count(*) FROM idk_scans WHERE image_id = 'ALT-REPLAY-1'") == 1


async def test_same_image_id_other_bytes_is_a_conflict(client, auth) -> None:  # type: ignore[no-untyped-def]
    headers = await auth("idk.altynkol")
    await uploaded(client, headers, image_id="ALT-CONFLICT-1", image=png8(1))
    resp = await upload(client, headers, image_id="ALT-CONFLICT-1", image=png8(2))
    assert resp.status_code == 409
    assert resp.json()["code"] == "image_id_conflict"
    assert resp.headers["content-type"].startswith("application/problem+json")


async def test_not_an_image_is_refused(client, auth) -> None:  # type: ignore[no-untyped-def]
    headers = await auth("idk.altynkol")
    resp = await upload(client, headers, image=b"not an x-ray\n" * 10, filename="notes.txt",
                        content_type="text/plain")
    assert resp.status_code in (415, 422), resp.text
    assert resp.json()["code"] in ("invalid_image", "unsupported_media_type")
    gif = io.BytesIO()
    Image.new("L", (8, 8)).save(gif, "GIF")
    resp = await upload(client, headers, image=gif.getvalue(), filename="a.gif",
                        content_type="image/gif")
    assert resp.status_code == 415
    assert resp.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"image_id": None}, "invalid_request"),
        ({"scanned_at": None}, "invalid_request"),
        ({"scanned_at": "2026-11-22T10:15:00"}, "invalid_request"),  # no offset
        ({"scanned_at": "yesterday"}, "invalid_request"),
        ({"image_id": "../etc/passwd"}, "invalid_request"),
        ({"container_numbers": "MSKU12345"}, "invalid_container_number"),
        ({"container_numbers": "1234MSKU567"}, "invalid_container_number"),
        ({"wagon_number": "", "container_numbers": ""}, "invalid_request"),
        ({"unexpected": "x"}, "invalid_request"),
    ],
)
async def test_bad_fields_are_400(client, auth, fields, code) -> None:  # type: ignore[no-untyped-def]
    resp = await upload(client, await auth("idk.altynkol"), **fields)
    assert resp.status_code == 400, resp.text
    assert resp.json()["code"] == code


async def test_missing_image_is_400(client, auth) -> None:  # type: ignore[no-untyped-def]
    resp = await client.post(
        "/api/idk/scans",
        data={"image_id": new_image_id(), "scanner": "s", "wagon_number": "58123456",
              "scanned_at": SCANNED_AT},
        headers=await auth("idk.altynkol"),
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalid_request"


async def test_numbers_are_normalised(client, auth) -> None:  # type: ignore[no-untyped-def]
    scan = await uploaded(
        client, await auth("idk.altynkol"), wagon_number=" 5812-3456 ",
        container_numbers="msku 123456-5, TGHU 8765432 ,MSKU1234565,",
    )
    assert scan["wagon_number"] == "58123456"
    assert scan["container_numbers"] == ["MSKU1234565", "TGHU8765432"]


async def test_image_over_the_configured_limit_is_413(settings, db_url, auth, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from backend.app import create_app
    from tests.conftest import TEST_PEPPER

    monkeypatch.setenv("DOSMOTR_TOKEN_PEPPER", TEST_PEPPER)
    app = create_app(msgspec.structs.replace(settings, max_image_body=2000), dsn=db_url)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as small:
        resp = await upload(small, await auth("idk.altynkol"), image=png16())
        assert len(png16()) > 2000
        assert resp.status_code == 413
        assert resp.json()["code"] == "body_too_large"


# --- roles and posts ------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["insp.altynkol.1", "head.altynkol", "keden", "auditor"])
async def test_only_operators_and_admin_upload(client, auth, login) -> None:  # type: ignore[no-untyped-def]
    resp = await upload(client, await auth(login))
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_operator_uploads_to_own_post_admin_names_it(client, auth) -> None:  # type: ignore[no-untyped-def]
    resp = await upload(client, await auth("idk.altynkol"), post_code="ALAKOL")
    assert resp.status_code == 403
    assert (await upload(client, await auth("idk.altynkol"), post_code="ALTYNKOL")).status_code == 201
    admin = await auth("admin")
    resp = await upload(client, admin)
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_request"
    resp = await upload(client, admin, post_code="NOWHERE")
    assert resp.status_code == 400
    scan = await uploaded(client, admin, post_code="ALTYNKOL")
    assert scan["post_code"] == "ALTYNKOL"


async def test_read_access_by_role_and_post(client, auth) -> None:  # type: ignore[no-untyped-def]
    scan = await uploaded(client, await auth("idk.altynkol"))
    url = f"/api/idk/scans/{scan['id']}"
    for login in ("idk.altynkol", "head.altynkol", "insp.altynkol.2", "auditor", "admin"):
        resp = await client.get(url, headers=await auth(login))
        assert resp.status_code == 200, (login, resp.text)
        assert resp.json()["id"] == scan["id"]
    for login in ("idk.alakol", "head.alakol", "insp.alakol.1"):
        for path in (url, url + "/image"):
            resp = await client.get(path, headers=await auth(login))
            assert resp.status_code == 404, (login, path)
    assert (await client.get(url, headers=await auth("keden"))).status_code == 403
    assert (await client.get(url + "/image", headers=await auth("keden"))).status_code == 403
    assert (await client.get(url)).status_code == 401
    assert (await client.get("/api/idk/scans/nope", headers=await auth("auditor"))).status_code == 404


async def test_list_is_scoped_and_filtered(client, auth) -> None:  # type: ignore[no-untyped-def]
    op = await auth("idk.altynkol")
    a = await uploaded(client, op)
    b = await uploaded(client, op)
    resp = await client.post(f"/api/idk/scans/{b['id']}/verdict", json={"verdict": "clear"},
                             headers=op)
    assert resp.status_code == 200

    async def ids(login: str, **params: Any) -> set[str]:
        resp = await client.get("/api/idk/scans", params=params, headers=await auth(login))
        assert resp.status_code == 200, resp.text
        return {s["id"] for s in resp.json()}

    assert {a["id"], b["id"]} <= await ids("head.altynkol")
    assert await ids("idk.alakol") == set()
    assert await ids("idk.alakol", post_code="ALTYNKOL") == set()
    assert {a["id"], b["id"]} <= await ids("auditor", post_code="ALTYNKOL")
    assert await ids("auditor", post_code="ALAKOL") == set()
    assert a["id"] in await ids("idk.altynkol", verdict="pending")
    assert b["id"] not in await ids("idk.altynkol", verdict="pending")
    assert await ids("idk.altynkol", verdict="clear") == {b["id"]}
    assert {a["id"], b["id"]} <= await ids("idk.altynkol", unlinked="true")
    resp = await client.get("/api/idk/scans", headers=await auth("keden"))
    assert resp.status_code == 403


# --- verdicts -------------------------------------------------------------------------------


async def test_verdict_is_given_once(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    op = await auth("idk.altynkol")
    scan = await uploaded(client, op)
    url = f"/api/idk/scans/{scan['id']}/verdict"
    body = {"verdict": "clear", "risk_areas": [{"x": 0, "y": 0, "w": W, "h": H, "note": "весь"}]}

    for login in ("insp.altynkol.1", "head.altynkol", "admin", "auditor", "keden"):
        assert (await client.post(url, json=body, headers=await auth(login))).status_code == 403
    assert (await client.post(url, json=body, headers=await auth("idk.alakol"))).status_code == 404

    resp = await client.post(url, json=body, headers=op)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["verdict"] == "clear"
    assert out["risk_areas"] == body["risk_areas"]
    assert out["verdict_by"]["id"] == await db.fetchval(
        "SELECT id FROM users WHERE login = 'idk.altynkol'")
    assert out["verdict_at"] is not None

    again = await client.post(url, json={"verdict": "suspicion"}, headers=op)
    assert again.status_code == 409
    assert again.json()["code"] == "verdict_final"
    got = (await client.get(f"/api/idk/scans/{scan['id']}", headers=op)).json()
    assert got["verdict"] == "clear"
    assert await db.fetchval(
        "SELECT count(*) FROM audit_events WHERE object_id = $1 AND action = 'idk_scan.verdict'",
        scan["id"],
    ) == 1


@pytest.mark.parametrize(
    ("area", "status"),
    [
        ({"x": W - 10, "y": 0, "w": 11, "h": 5}, 422),
        ({"x": 0, "y": H, "w": 1, "h": 1}, 422),
        ({"x": 0, "y": 0, "w": 0, "h": 5}, 400),
        ({"x": -1, "y": 0, "w": 5, "h": 5}, 400),
        ({"x": 0, "y": 0, "w": 5, "h": 5, "z": 1}, 400),
    ],
)
async def test_risk_area_must_lie_inside_the_image(client, auth, area, status) -> None:  # type: ignore[no-untyped-def]
    op = await auth("idk.altynkol")
    scan = await uploaded(client, op)
    url = f"/api/idk/scans/{scan['id']}/verdict"
    resp = await client.post(url, json={"verdict": "suspicion", "risk_areas": [area]}, headers=op)
    assert resp.status_code == status, resp.text
    # nothing was decided: a correct verdict still goes through
    ok = {"verdict": "suspicion", "risk_areas": [{"x": 1, "y": 1, "w": 5, "h": 5, "note": ""}]}
    assert (await client.post(url, json=ok, headers=op)).status_code == 200


async def test_bad_verdict_value_is_400(client, auth) -> None:  # type: ignore[no-untyped-def]
    op = await auth("idk.altynkol")
    scan = await uploaded(client, op)
    resp = await client.post(f"/api/idk/scans/{scan['id']}/verdict", json={"verdict": "maybe"},
                             headers=op)
    assert resp.status_code == 400


async def test_concurrent_replays_make_one_scan(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    headers = await auth("idk.altynkol")
    data = png16(11)
    results = await asyncio.gather(
        *(upload(client, headers, image=data, image_id="ALT-RACE-1") for _ in range(3))
    )
    assert sorted(r.status_code for r in results) == [200, 200, 201], [r.text for r in results]
    assert len({r.json()["id"] for r in results}) == 1
    assert await db.fetchval("SELECT count(*) FROM idk_scans WHERE image_id = 'ALT-RACE-1'") == 1


async def test_register_scan_for_the_seed(settings, db) -> None:  # type: ignore[no-untyped-def]
    store = open_store(settings.object_store, settings.data_dir)
    admin_id = await db.fetchval("SELECT id FROM users WHERE login = 'admin'")
    fields = ScanFields(image_id="SEED-1", scanner="demo", scanned_at=datetime.now(UTC),
                        wagon_number="5810 0199", container_numbers=["tghu 000001-2"])
    image = xray_png(99, width=W, height=H)
    scan, created = await register_scan(db, store, admin_id, "ALTYNKOL", fields, image, "image/png")
    assert created and scan.wagon_number == "58100199"
    assert scan.container_numbers == ["TGHU0000012"]
    again, created = await register_scan(db, store, admin_id, "ALTYNKOL", fields, image, "")
    assert not created and again.id == scan.id
    key = await db.fetchval("SELECT image_key FROM idk_scans WHERE id = $1", scan.id)
    assert await store.get_bytes(key) == image


@pytest.mark.parametrize(("make", "filename", "passthrough"),
                         [(tiff16, "s.tiff", False), (png16, "s.png", True), (jpeg, "s.jpg", True)])
async def test_display_copy_for_browsers(client, auth, make, filename, passthrough) -> None:  # type: ignore[no-untyped-def]
    """Browsers decode no TIFF: the display copy is an 8-bit PNG of the same size, so risk
    areas keep their coordinates; PNG and JPEG are shown as they are."""
    headers = await auth("idk.altynkol")
    data = make()
    scan = await uploaded(client, headers, image=data, filename=filename,
                          content_type="application/octet-stream")
    shown = await client.get(f"/api/idk/scans/{scan['id']}/display", headers=headers)
    assert shown.status_code == 200
    if passthrough:
        assert shown.content == data
        return
    assert shown.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(shown.content)) as im:
        assert im.size == (W, H) and im.mode == "L"
        arr = np.asarray(im)
    assert arr.min() < 40 and arr.max() > 215  # windowed to the image's own range
    again = await client.get(f"/api/idk/scans/{scan['id']}/display", headers=headers)
    assert again.content == shown.content  # derived once, stored, served the same
    original = await client.get(f"/api/idk/scans/{scan['id']}/image", headers=headers)
    assert original.content == data  # the evidence itself is untouched
