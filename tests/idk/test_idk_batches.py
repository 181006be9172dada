"""A whole train composition at once: every row its own outcome, replays change nothing, a bad
row never stops the others, and a 16-bit 8000 x 2000 TIFF passes within a memory bound."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from backend.idk.xray import XraySpec, encode, render
from tests.helpers import declaration_payload, wagon

SCANNED_AT = "2026-11-22T09:00:00+05:00"
FORMATS = [("png", 8, "image/png"), ("png", 16, "image/png"), ("tiff", 16, "image/tiff"),
           ("jpeg", 8, "image/jpeg")]


def image(seed: int, fmt: str = "png", bits: int = 8, width: int = 256, height: int = 96) -> bytes:
    trans, _, _ = render(XraySpec(seed=seed, width=width, height=height, packaging="bags"))
    return encode(trans, fmt, bits)  # type: ignore[arg-type]


def row(image_id: str, wagon: str, **over: Any) -> dict[str, Any]:
    body = {"image_id": image_id, "scanner": "Nuctech MB1215DE", "composition_number": "2105",
            "wagon_number": wagon, "container_numbers": [], "scanned_at": SCANNED_AT}
    body.update(over)
    return body


async def send(client: Any, headers: dict[str, str], rows: list[dict[str, Any]],
               images: dict[int, tuple[str, bytes, str]], **fields: str) -> Any:
    files = {f"image_{i}": img for i, img in images.items()}
    return await client.post("/api/idk/batches", data={"rows": json.dumps(rows), **fields},
                             files=files, headers=headers)


def composition(prefix: str, wagons: list[str]) -> tuple[list[dict[str, Any]], dict[int, Any]]:
    rows, images = [], {}
    for i, number in enumerate(wagons):
        fmt, bits, mime = FORMATS[i % len(FORMATS)]
        rows.append(row(f"{prefix}-{i:02d}", number))
        images[i] = (f"w{i}.{fmt}", image(100 + i, fmt, bits), mime)
    return rows, images


async def test_ten_wagon_composition_links_and_a_replay_changes_nothing(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    wagons = [wagon(f"581{i:04d}") for i in range(10)]
    body = declaration_payload("ALTYNKOL", "green")
    body["transport"] = {"wagons": wagons, "containers": []}
    decl = (await client.post("/api/declarations", json=body, headers=await auth("keden"))).json()
    operator = await auth("idk.altynkol")
    rows, images = composition("KP2105", wagons)

    resp = await send(client, operator, rows, images)
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert [r["index"] for r in results] == list(range(10))
    assert {r["status"] for r in results} == {"created"}
    assert all(r["error"] is None for r in results)
    assert [r["scan"]["wagon_number"] for r in results] == wagons
    assert [r["scan"]["bit_depth"] for r in results] == [8, 16, 16, 8] * 2 + [8, 16]
    assert all(r["scan"]["linked_declaration_ids"] == [decl["id"]] for r in results)
    gate = (await client.get(f"/api/declarations/{decl['id']}/gate",
                             headers=await auth("head.altynkol"))).json()
    assert {c["code"]: c["met"] for c in gate["conditions"]}["idk_linked"] is True
    assert await db.fetchval(
        "SELECT count(*) FROM pgqueuer WHERE entrypoint = 'assess_idk_scan'") == 10

    events = await db.fetchval("SELECT count(*) FROM audit_events")
    again = await send(client, operator, rows, images)
    assert again.status_code == 200, again.text
    replay = again.json()["results"]
    assert {r["status"] for r in replay} == {"existing"}
    assert [r["scan"]["id"] for r in replay] == [r["scan"]["id"] for r in results]
    assert await db.fetchval("SELECT count(*) FROM audit_events") == events
    assert await db.fetchval("SELECT count(*) FROM idk_scans WHERE composition_number = '2105'") == 10
    assert await db.fetchval(
        "SELECT count(*) FROM pgqueuer WHERE entrypoint = 'assess_idk_scan'") == 10


async def test_bad_rows_are_errors_and_the_others_apply(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    operator = await auth("idk.altynkol")
    first = await send(client, operator, [row("TAKEN-1", "58200080")],
                       {0: ("a.png", image(1), "image/png")})
    assert first.json()["results"][0]["status"] == "created"
    rows = [
        row("OK-0", "58200031"),
        row("BROKEN-1", "58200072"),  # not an image
        row("OK-2", "58200023"),
        row("NOFILE-3", "58200064"),  # its file part is missing
        row("BOX-4", "", container_numbers=["NOT-A-BOX"]),
        row("TAKEN-1", "58200080"),  # the id exists with another image
        {"image_id": "ODD-6", "scanner": "S", "scanned_at": SCANNED_AT, "colour": "red"},
        row("NOOFFSET-7", "58200007", scanned_at="2026-11-22T09:00:00"),
        row("OK-8", "58200098"),
    ]
    images = {i: (f"{i}.png", image(10 + i), "image/png") for i in range(len(rows)) if i != 3}
    images[1] = ("1.png", b"not an image at all", "image/png")
    resp = await send(client, operator, rows, images)
    assert resp.status_code == 200, resp.text
    got = {r["index"]: r for r in resp.json()["results"]}
    assert [got[i]["status"] for i in range(len(rows))] == [
        "created", "error", "created", "error", "error", "error", "error", "error", "created"]
    codes = {i: (got[i]["error"]["status"], got[i]["error"]["code"]) for i in got if got[i]["error"]}
    assert codes == {1: (422, "invalid_image"), 3: (400, "invalid_request"),
                     4: (400, "invalid_container_number"), 5: (409, "image_id_conflict"),
                     6: (400, "invalid_request"), 7: (400, "invalid_request")}
    assert all(got[i]["scan"] is None for i in codes)
    ids = {r["image_id"] for r in await db.fetch("SELECT image_id FROM idk_scans")}
    assert {"OK-0", "OK-2", "OK-8", "TAKEN-1"} <= ids
    assert not ids & {"BROKEN-1", "NOFILE-3", "BOX-4", "ODD-6", "NOOFFSET-7"}
    registered = await db.fetchval(
        "SELECT count(*) FROM audit_events WHERE action = 'idk_scan.registered'")
    assert registered == 4  # TAKEN-1 and the three good rows; nothing half-applied


async def test_the_request_itself_must_be_a_batch(client, auth) -> None:  # type: ignore[no-untyped-def]
    operator = await auth("idk.altynkol")
    png = ("a.png", image(2), "image/png")
    cases = [
        await client.post("/api/idk/batches", json={"rows": []}, headers=operator),
        await client.post("/api/idk/batches", data={"x": "1"}, files={"image_0": png},
                          headers=operator),
        await client.post("/api/idk/batches", files={"image_0": png}, headers=operator),
        await send(client, operator, [row("ORPHAN-0", "58300005")],
                   {0: png, 1: png}),
        await client.post("/api/idk/batches", data={"rows": "[{"}, files={"image_0": png},
                          headers=operator),
        await client.post("/api/idk/batches", data={"rows": "[]"}, files={"image_0": png},
                          headers=operator),
        await client.post("/api/idk/batches", data={"rows": json.dumps([row("X-0", "1")])},
                          files={"picture": png}, headers=operator),
        await client.post("/api/idk/batches", content=b"--b\r\nContent-Disposition: form-data; "
                          b"name=\"rows\"\r\n\r\n[", headers={
                              **operator, "Content-Type": "multipart/form-data; boundary=b"}),
    ]
    for resp in cases:
        assert resp.status_code == 400, resp.text
        assert resp.json()["code"] == "invalid_request"
    admin = await send(client, await auth("admin"), [row("ADM-0", "58300021")], {0: png})
    assert admin.status_code == 400 and "post_code" in admin.text
    named = await send(client, await auth("admin"), [row("ADM-0", "58300021")], {0: png},
                       post_code="ALTYNKOL")
    assert named.json()["results"][0]["status"] == "created"


MEMORY_PROBE = textwrap.dedent("""
    import asyncio, json, sys, threading, time
    from pathlib import Path

    async def main(dsn, body_path, boundary, store_dir, tmp):
        from backend.auth.actor import Actor
        from backend.db.pool import connect, open_pool
        from backend.idk.batch import register_batch
        from backend.storage.factory import open_store
        from media_pipeline.idk_assess import IdkAssessor
        from media_pipeline.vision.registry import ModelRegistry
        from media_pipeline.vision.xray import XrayAssistModel

        conn = await connect(dsn)
        pool = await open_pool(dsn, max_size=2)
        store = open_store(store_dir, Path(tmp))
        u = await conn.fetchrow("SELECT id, login, name, role, post_code FROM users "
                                "WHERE login = 'idk.altynkol'")
        actor = Actor(u["id"], u["login"], u["name"], u["role"], u["post_code"], "probe")
        assessor = IdkAssessor(pool, store, XrayAssistModel(ModelRegistry(threads=2)), Path(tmp))
        ctype = "multipart/form-data; boundary=" + boundary

        async def stream(path):
            with open(path, "rb") as fh:
                while chunk := fh.read(65536):
                    yield chunk
            yield b""

        async def once(path):
            out = await register_batch(conn, store, actor, stream(path), ctype, Path(tmp),
                                       1 << 30)
            res = out.results[0]
            assert res.status == "created", res
            return res.scan

        def status(field):
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])

        class Peak:
            # Peak anonymous RSS (the process's own memory; libtiff's read-only mapping of
            # the file is page cache, shared and reclaimable) sampled every millisecond, and
            # the kernel's high-water mark of all RSS since the start.

            def __enter__(self):
                with open("/proc/self/clear_refs", "w") as fh:
                    fh.write("5")  # VmHWM starts again from here
                self.base, self.rss = status("RssAnon"), status("VmRSS")
                self.peak, self.running = self.base, True
                self.thread = threading.Thread(target=self.sample, daemon=True)
                self.thread.start()
                return self

            def sample(self):
                while self.running:
                    self.peak = max(self.peak, status("RssAnon"))
                    time.sleep(0.001)

            def __exit__(self, *exc):
                self.running = False
                self.thread.join()
                self.anon = max(self.peak, status("RssAnon")) - self.base
                self.total = status("VmHWM") - self.rss

        warm = await once(body_path + ".small")  # every code path loaded and warmed
        await assessor.assess(warm.id)
        with Peak() as intake:
            scan = await once(body_path)
        with Peak() as assess:
            judged = await assessor.assess(scan.id)
        print(json.dumps({"intake_kb": intake.anon, "assess_kb": assess.anon,
                          "intake_total_kb": intake.total, "assess_total_kb": assess.total,
                          "width": scan.width, "height": scan.height, "bits": scan.bit_depth,
                          "anomalies": len(judged.anomalies)}))
        await pool.close()
        await conn.close()

    asyncio.run(main(*sys.argv[1:]))
""")


def multipart_file(path: Path, boundary: str, rows: list[dict[str, Any]], image: bytes) -> None:
    b = boundary.encode()
    with path.open("wb") as fh:
        fh.write(b"--" + b + b'\r\nContent-Disposition: form-data; name="rows"\r\n\r\n')
        fh.write(json.dumps(rows).encode() + b"\r\n")
        fh.write(b"--" + b + b'\r\nContent-Disposition: form-data; name="image_0"; '
                 b'filename="scan.tiff"\r\nContent-Type: image/tiff\r\n\r\n')
        fh.write(image)
        fh.write(b"\r\n--" + b + b"--\r\n")


def big_tiff(width: int = 8000, height: int = 2000) -> bytes:
    # A generated scan at a quarter of the size, scaled up, with fresh detector noise: the
    # generator's own 8000 x 2000 render costs seconds and a gigabyte the probe does not need.
    import cv2

    small, _, _ = render(XraySpec(seed=77, width=width // 4, height=height // 4,
                                  packaging="boxes", hidden_block=True))
    trans = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    noise = np.random.default_rng(5).normal(0, 0.004, size=trans.shape).astype(np.float32)
    return encode(np.clip(trans + noise, 0, 1), "tiff", 16)


async def test_16_bit_8000_x_2000_tiff_within_a_memory_bound(db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    raw_kb = 8000 * 2000 * 2 // 1024  # one decoded copy: 31 250 KB
    body = tmp_path / "batch.body"
    multipart_file(body, "b0undary", [row("MEM-8000", "58400003")], big_tiff())
    multipart_file(Path(str(body) + ".small"), "b0undary", [row("MEM-WARM", "58400011")],
                   image(3, "tiff", 16, 2000, 500))
    proc = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, db_url, str(body), "b0undary",
         str(tmp_path / "objects"), str(tmp_path)],
        capture_output=True, text=True, timeout=240, cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (got["width"], got["height"], got["bits"]) == (8000, 2000, 16)
    intake, assess = got["intake_kb"], got["assess_kb"]
    print(f"8000x2000 16-bit TIFF: one decoded copy {raw_kb} KB; peak over the warmed process: "
          f"intake +{intake} KB anonymous (+{got['intake_total_kb']} KB with the file's mapping), "
          f"assessment +{assess} KB (+{got['assess_total_kb']} KB)")
    # one decoded copy at a time plus working room; two would already be 2x
    assert intake < 1.5 * raw_kb, got
    assert assess < 1.5 * raw_kb, got
    # with libtiff's mapping of the (incompressible, noisy) file itself
    assert got["intake_total_kb"] < 2.5 * raw_kb and got["assess_total_kb"] < 2.5 * raw_kb, got
