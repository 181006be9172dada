"""A test tablet: a device key, chunked recordings with their chain, tus uploads, signed manifests."""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from backend.recordings.manifest import announcement_payload, chain_head, sign_for_tests
from backend.recordings.tus import encode_metadata

TUS = {"Tus-Resumable": "1.0.0"}


def b64url(n: int) -> str:
    return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()


@dataclass
class Tablet:
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    device_id: str | None = None

    def jwk(self) -> dict[str, str]:
        nums = self.key.public_key().public_numbers()
        return {"kty": "EC", "crv": "P-256", "x": b64url(nums.x), "y": b64url(nums.y)}

    async def register(self, client: Any, inspector: dict[str, str], head: dict[str, str],
                       approve: bool = True) -> str:
        resp = await client.post("/api/devices", json={"name": "Tablet A", "public_key_jwk": self.jwk()},
                                 headers=inspector)
        assert resp.status_code == 201, resp.text
        self.device_id = resp.json()["id"]
        if approve:
            ok = await client.post(f"/api/devices/{self.device_id}/approve", headers=head)
            assert ok.status_code == 200, ok.text
        return str(self.device_id)


def split(data: bytes, sizes: list[int]) -> list[bytes]:
    out, pos = [], 0
    for s in sizes:
        out.append(data[pos:pos + s])
        pos += s
    if pos < len(data):
        out.append(data[pos:])
    return out


def fake_video(n: int = 300_000, seed: int = 1) -> bytes:
    """Bytes standing in for a video (intake never decodes; the pipeline tests use real media)."""
    block = hashlib.sha256(str(seed).encode()).digest()
    return (b"\x1aE\xdf\xa3" + block * (n // 32 + 1))[:n]


def manifest_for(device_id: str, chunks: list[bytes], *, mime: str = "video/webm",
                 started: datetime | None = None, **over: Any) -> dict[str, Any]:
    data = b"".join(chunks)
    digests = [hashlib.sha256(c).hexdigest() for c in chunks]
    start = started or datetime.now(UTC) - timedelta(minutes=3)
    m: dict[str, Any] = {
        "device_id": device_id,
        "mime": mime,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "recorded_from": start.isoformat(),
        "recorded_to": (start + timedelta(seconds=150)).isoformat(),
        "chunks": [{"i": i, "size": len(c), "sha256": d} for i, (c, d) in enumerate(zip(chunks, digests))],
        "chain_head": chain_head(digests),
        "track": [{"t": float(t), "lat": 46.165, "lon": 81.629 + t * 1e-6, "acc": 8.5} for t in range(0, 150, 10)],
        "markers": [{"t": 12.5, "kind": "place"}, {"t": 14.0, "kind": "place"}],
    }
    m.update(over)
    return m


async def tus_create(client: Any, headers: dict[str, str], inspection_id: str, phase: str,
                     client_id: str, length: int | None, filetype: str = "video/webm") -> Any:
    h = {**headers, **TUS, "Upload-Metadata": encode_metadata(
        {"inspection_id": inspection_id, "phase": phase, "client_id": client_id, "filetype": filetype})}
    if length is None:
        h["Upload-Defer-Length"] = "1"
    else:
        h["Upload-Length"] = str(length)
    return await client.post("/api/uploads/", headers=h)


async def tus_patch(client: Any, headers: dict[str, str], upload_id: str, offset: int, body: bytes,
                    *, checksum: bool = True, length: int | None = None, digest: bytes | None = None) -> Any:
    h = {**headers, **TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
    if checksum:
        d = digest if digest is not None else hashlib.sha256(body).digest()
        h["Upload-Checksum"] = "sha256 " + base64.b64encode(d).decode()
    if length is not None:
        h["Upload-Length"] = str(length)
    return await client.patch(f"/api/uploads/{upload_id}", content=body, headers=h)


async def upload_chunks(client: Any, headers: dict[str, str], inspection_id: str, phase: str,
                        client_id: str, chunks: list[bytes]) -> str:
    """What the tablet's outbox does: a deferred-length upload fed chunk by chunk."""
    created = await tus_create(client, headers, inspection_id, phase, client_id, None)
    assert created.status_code == 201, created.text
    upload_id = created.headers["location"].rsplit("/", 1)[-1]
    offset, total = 0, sum(len(c) for c in chunks)
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        resp = await tus_patch(client, headers, upload_id, offset, chunk, length=total if last else None)
        assert resp.status_code == 204, resp.text
        offset = int(resp.headers["upload-offset"])
    assert offset == total
    return str(upload_id)


def new_client_id() -> str:
    return uuid.uuid4().hex


def signed_registration(tablet: Tablet, client_id: str, phase: str, upload_id: str,
                        manifest: dict[str, Any], signer: ec.EllipticCurvePrivateKey | None = None) -> dict[str, Any]:
    return {"client_id": client_id, "phase": phase, "upload_id": upload_id, "manifest": manifest,
            "signature": sign_for_tests(signer or tablet.key, manifest)}


def signed_announcement(tablet: Tablet, inspection_id: str, client_id: str, phase: str,
                        manifest: dict[str, Any]) -> dict[str, Any]:
    payload = announcement_payload(inspection_id, client_id, phase, str(tablet.device_id),
                                   manifest["chunks"], manifest["chain_head"])
    return {"phase": phase, "device_id": tablet.device_id, "chunks": manifest["chunks"],
            "chain_head": manifest["chain_head"], "signature": sign_for_tests(tablet.key, payload)}
