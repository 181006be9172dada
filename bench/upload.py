"""Upload throughput and server memory: 1 GiB through the tus API into each store, over loopback.

Baseline: the same bytes appended straight into the same store, in-process, in the same batch
size (what the API would cost if HTTP, auth and bookkeeping were free). Prints MB/s, the ratio
to the baseline, and the server's peak RSS for 100 MiB and 1 GiB (it should be flat).

Run: .venv/bin/python bench/upload.py [--sizes 100,1024] [--stores local,s3]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.recordings.tus import encode_metadata
from backend.recordings.uploads import APPEND_BATCH
from backend.storage.factory import open_store
from tests.conftest import TEST_PEPPER, EmbeddedServer, _build_template
from tests.recordings.kit import TUS, Tablet
from tests.recordings.server import ServerProcess

MIB = 1 << 20
logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto logs every S3 request
BLOCK = hashlib.sha256(b"dosmotr-bench").digest() * (MIB // 32)


def body(size: int):  # type: ignore[no-untyped-def]
    for _ in range(size // MIB):
        yield BLOCK


async def prepare_inspection(dsn: str, tokens: dict[str, str]) -> str:
    """An ALAKOL inspection in progress for insp.alakol.1, made through the service layer."""
    import msgspec

    from backend.auth.actor import Actor
    from backend.db.pool import connect
    from backend.declarations import service as declarations
    from backend.declarations.schemas import DeclarationIn

    conn = await connect(dsn)
    try:
        ids = {r["login"]: r for r in await conn.fetch("SELECT id, login, name, role, post_code FROM users")}
        keden = ids["keden"]
        actor = Actor(id=keden["id"], login="keden", name=keden["name"], role="integration",
                      post_code=None, session_id="bench")
        decl, _ = await declarations.create(conn, actor, msgspec.convert({
            "number": f"BENCH/{time.time_ns()}", "procedure": "import", "post_code": "ALAKOL",
            "declarant": "bench", "corridor": "green", "transport": {"vehicle_plate": "000 AAA 01"},
            "lines": [{"hs_code": "8471300000", "description": "x", "packaging": "boxes", "places": 1,
                       "gross_kg": 1, "net_kg": 1}]}, DeclarationIn))
        insp = await conn.fetchval(
            "INSERT INTO inspections (declaration_id, post_code, inspector_id, status, started_at) "
            "VALUES ($1, 'ALAKOL', $2, 'in_progress', now()) RETURNING id", decl.id, ids["insp.alakol.1"]["id"])
        return str(insp)
    finally:
        await conn.close()


def api_upload(server: ServerProcess, token: str, inspection_id: str, size: int) -> float:
    headers = {"Authorization": f"Bearer {token}", **TUS}
    meta = encode_metadata({"inspection_id": inspection_id, "phase": "unloading",
                            "client_id": f"bench{time.time_ns()}", "filetype": "video/webm"})
    created = httpx.post(server.url + "/api/uploads/", headers={**headers, "Upload-Length": str(size),
                                                                "Upload-Metadata": meta})
    created.raise_for_status()
    upload_id = created.headers["location"].rsplit("/", 1)[-1]
    start = time.perf_counter()
    resp = httpx.patch(f"{server.url}/api/uploads/{upload_id}", content=body(size), timeout=3600,
                       headers={**headers, "Upload-Offset": "0",
                                "Content-Type": "application/offset+octet-stream"})
    resp.raise_for_status()
    return time.perf_counter() - start


async def baseline_copy(spec: str, data_dir: Path, size: int) -> float:
    store = open_store(spec, data_dir)
    key = f"bench/{time.time_ns()}.bin"
    token = await store.begin_append(key, "video/webm")
    start = time.perf_counter()
    offset, buf = 0, bytearray()
    for block in body(size):
        buf += block
        if len(buf) >= APPEND_BATCH:
            offset = await store.append(key, token, offset, bytes(buf))
            buf.clear()
    if buf:
        offset = await store.append(key, token, offset, bytes(buf))
    await store.complete_append(key, token)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1024", help="MiB, comma-separated")
    parser.add_argument("--stores", default="local,s3")
    args = parser.parse_args()
    sizes = [int(s) * MIB for s in args.sizes.split(",")]
    root = Path(tempfile.mkdtemp(prefix="dosmotr-bench-"))
    root.chmod(0o755)
    pg = EmbeddedServer(root / "pg")
    tokens = asyncio.run(_build_template(pg))
    dsn = pg.dsn("dosmotr_template")
    inspection_id = asyncio.run(prepare_inspection(dsn, tokens))
    token = tokens["insp.alakol.1"]
    _ = TEST_PEPPER, Tablet
    print(f"{'store':<6} {'size':>8} {'api MB/s':>9} {'base MB/s':>10} {'ratio':>6} {'peak RSS MiB':>13}")
    for store_kind in args.stores.split(","):
        env_extra: dict[str, str] = {}
        moto = None
        if store_kind == "s3":
            import boto3
            from moto.server import ThreadedMotoServer

            moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            moto.start()
            host, port = moto.get_host_and_port()
            env_extra = {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "x",
                         "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
            import os

            os.environ.update(env_extra)
            boto3.client("s3").create_bucket(Bucket="bench", ObjectLockEnabledForBucket=True)
        for size in sizes:
            data_dir = root / f"data-{store_kind}-{size}"
            data_dir.mkdir()
            spec = str(data_dir / "objects") if store_kind == "local" else f"s3://bench/{size}"
            server = ServerProcess(dsn, data_dir, env_extra={"DOSMOTR_OBJECT_STORE": spec, **env_extra})
            server.start()
            try:
                api_s = api_upload(server, token, inspection_id, size)
                peak = server.peak_rss_kib() / 1024
            finally:
                server.stop()
            base_s = asyncio.run(baseline_copy(spec, data_dir, size))
            mb = size / 1e6
            print(f"{store_kind:<6} {size // MIB:>6}Mi {mb / api_s:>9.0f} {mb / base_s:>10.0f} "
                  f"{base_s / api_s:>6.2f} {peak:>13.0f}", flush=True)
        if moto is not None:
            moto.stop()
    print("target: ratio >= 0.80 of the baseline's throughput; peak RSS flat from 100 MiB to 1 GiB")


if __name__ == "__main__":
    main()
