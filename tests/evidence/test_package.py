"""The evidence package: what it holds, who may download it (every download audited), and
`dosmotr verify` passing it and failing it, naming the member, once any byte is changed."""

from __future__ import annotations

import fnmatch
import hashlib
import io
import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from backend.evidence import layout
from backend.evidence.verify import VerifyFailure, verify_package
from tests.evidence.conftest import Released

# Every member of the package, by kind; the test below checks these cover it exactly.
MEMBERS = [
    "SHA256SUMS", "README.txt", "package.json", "declaration.json", "decision.json",
    "audit/events.jsonl", "devices/*.json",
    *[f"recordings/{phase}-v1-*/{leaf}" for phase in ("exterior", "unloading")
      for leaf in ("video.webm", "manifest.json", "signature.txt", "chunks.json", "recording.json",
                   "validation.json")],
    "idk/*/scan.json", "idk/*/image.png", "idk/*/conclusion.pdf", "idk/*/conclusion.html",
]


def member(package: Path, pattern: str) -> str:
    with zipfile.ZipFile(package) as zf:
        [name] = [n for n in zf.namelist() if fnmatch.fnmatchcase(n, pattern)]
    return name


def dosmotr_verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "backend.cli", "verify", str(path)],
                          capture_output=True, text=True, timeout=120)


async def test_package_verifies_offline(released: Released) -> None:
    out = dosmotr_verify(released.package)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "evidence package ok" in out.stdout
    assert "2 recording(s), 1 X-ray scan(s)" in out.stdout


async def test_package_holds_the_evidence(released: Released) -> None:
    with zipfile.ZipFile(released.package) as zf:
        names = zf.namelist()
        assert names[0] == layout.SUMS  # first, so its hash could be recorded before streaming
        assert sorted(names) == sorted(member(released.package, p) for p in MEMBERS)
        for phase, data in released.videos.items():
            assert zf.read(member(released.package, f"recordings/{phase}-v1-*/video.webm")) == data
        index = json.loads(zf.read("package.json"))
        decision = json.loads(zf.read("decision.json"))
        events = [json.loads(line) for line in zf.read("audit/events.jsonl").splitlines()]
        scan = json.loads(zf.read(member(released.package, "idk/*/scan.json")))
        sums = zf.read(layout.SUMS)
    assert index["number"] == released.declaration["number"]
    assert index["generated_by"]["login"] == "auditor"
    assert decision["official"]["login"] == "head.altynkol" and decision["override"] is True
    assert {c["code"] for c in decision["gate"]["conditions"]} >= {"evidence_valid", "idk_decided"}
    assert scan["verdict"] == "suspicion" and len(scan["risk_areas"]) == 1
    actions = {e["action"] for e in events}
    assert {"declaration.created", "idk_scan.registered", "idk_scan.verdict", "inspection.started",
            "recording.registered", "recording.validated", "device.registered", "device.approved",
            "upload.completed", "declaration.released_by_override"} <= actions
    assert all({"prev_hash", "hash", "canonical"} <= set(e) for e in events)
    # The download is audited, with the hash of the SHA256SUMS the auditor received.
    recorded = await released.db.fetchrow(
        "SELECT actor_id, payload FROM audit_events WHERE action = 'evidence_package.downloaded' "
        "AND object_id = $1 ORDER BY seq DESC LIMIT 1", released.declaration["id"])
    assert recorded["payload"]["sums_sha256"] == hashlib.sha256(sums).hexdigest()
    assert recorded["actor_id"] == await released.db.fetchval("SELECT id FROM users WHERE login = 'auditor'")


@pytest.mark.parametrize(("login", "status"), [
    ("auditor", 200), ("admin", 200), ("head.altynkol", 200),
    ("head.alakol", 404), ("insp.altynkol.1", 403), ("idk.altynkol", 403), ("keden", 403),
])
async def test_who_may_download(released: Released, login: str, status: int) -> None:
    count = "SELECT count(*) FROM audit_events WHERE action = 'evidence_package.downloaded'"
    before = await released.db.fetchval(count)
    resp = await released.client.get(f"/api/declarations/{released.declaration['id']}/evidence-package",
                                     headers=released.headers(login))
    assert resp.status_code == status
    assert await released.db.fetchval(count) == before + (1 if status == 200 else 0)
    if status == 200:
        assert resp.headers["content-type"] == "application/zip"
        assert resp.headers["content-disposition"].startswith("attachment; filename=")
        assert zipfile.ZipFile(io.BytesIO(resp.content)).testzip() is None


def _data_span(package: bytes, name: str) -> tuple[int, int]:
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        zi = zf.getinfo(name)
    name_len, extra_len = struct.unpack("<HH", package[zi.header_offset + 26:zi.header_offset + 30])
    start = zi.header_offset + 30 + name_len + extra_len
    return start, zi.compress_size


@pytest.mark.parametrize("pattern", MEMBERS)
async def test_one_flipped_byte_fails_naming_the_member(released: Released, tmp_path: Path,
                                                        pattern: str) -> None:
    data = bytearray(released.package.read_bytes())
    name = member(released.package, pattern)
    start, size = _data_span(bytes(data), name)
    data[start + size // 2] ^= 0x01
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(bytes(data))
    out = dosmotr_verify(tampered)
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"FAILED: {name}:" in out.stdout


def _rewrite(package: Path, out: Path, name: str, change: Any) -> None:
    """What someone who also fixes SHA256SUMS would make: `name` changed, the sums recomputed."""
    with zipfile.ZipFile(package) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members[name] = change(members[name])
    members[layout.SUMS] = layout.sums_text(
        [(n, hashlib.sha256(b).hexdigest()) for n, b in members.items() if n != layout.SUMS])
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, b in members.items():
            zf.writestr(n, b)


def flip_middle(b: bytes) -> bytes:
    out = bytearray(b)
    out[len(out) // 2] ^= 0x01
    return bytes(out)


def edit_json(path: list[Any], value: Any) -> Any:
    def change(b: bytes) -> bytes:
        doc = json.loads(b)
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return json.dumps(doc).encode()
    return change


def edit_event(action: str, key: str, value: Any) -> Any:
    def change(b: bytes) -> bytes:
        lines = [json.loads(line) for line in b.splitlines()]
        event = next(e for e in lines if e["action"] == action)
        event["payload"][key] = value
        return b"\n".join(json.dumps(e).encode() for e in lines) + b"\n"
    return change


# Changes that keep SHA256SUMS right: each must be caught by what anchors that member.
CONSISTENT = [
    ("recordings/unloading-v1-*/video.webm", flip_middle),
    ("recordings/exterior-v1-*/manifest.json", edit_json(["size"], 1)),
    ("recordings/exterior-v1-*/signature.txt", lambda b: b"A" + b[1:]),
    ("recordings/exterior-v1-*/chunks.json", edit_json(["chunks", 0, "h"], "0" * 64)),
    ("recordings/exterior-v1-*/recording.json", edit_json(["sha256"], "0" * 64)),
    ("recordings/unloading-v1-*/validation.json", edit_json(["verdict"], "pass")),
    ("devices/*.json", edit_json(["public_key_jwk", "x"], "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU")),
    ("idk/*/image.png", flip_middle),
    ("idk/*/scan.json", edit_json(["verdict"], "clear")),
    ("audit/events.jsonl", edit_event("declaration.released_by_override", "override_reason", "—")),
    ("decision.json", edit_json(["official", "id"], "someone-else")),
    ("declaration.json", edit_json(["declarant"], "ТОО «Другое»")),
    ("package.json", edit_json(["recordings"], [])),
]


@pytest.mark.parametrize(("pattern", "change"), CONSISTENT, ids=[p for p, _ in CONSISTENT])
async def test_a_change_with_fixed_sums_is_still_caught(released: Released, tmp_path: Path,
                                                        pattern: str, change: Any) -> None:
    name = member(released.package, pattern)
    tampered = tmp_path / "tampered.zip"
    _rewrite(released.package, tampered, name, change)
    with pytest.raises(VerifyFailure) as failure:
        verify_package(tampered)
    # A manifest and its signature fail as a pair: the failure names both.
    assert failure.value.member == name or name in failure.value.reason, str(failure.value)


async def test_an_untouched_rewrite_still_verifies(released: Released, tmp_path: Path) -> None:
    copy = tmp_path / "copy.zip"
    _rewrite(released.package, copy, "README.txt", lambda b: b)
    assert verify_package(copy).recordings == 2


async def test_not_a_zip_fails_cleanly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not really")
    out = dosmotr_verify(bad)
    assert out.returncode == 1 and "FAILED" in out.stdout and "Traceback" not in out.stderr
