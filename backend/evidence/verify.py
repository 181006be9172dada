"""`dosmotr verify PACKAGE.zip`: check an evidence package offline (no database, no network).

Checks, stopping at the first failure and naming the member it is in:
1. every member is listed in SHA256SUMS and hashes to it (and the zip's own CRCs hold);
2. every audit event's canonical form matches its fields and its hash follows from prev_hash
   and that form; consecutive events link;
3. each device key's thumbprint is the one its registration event recorded;
4. each manifest is signed by its device's key; the manifest is the one the registration event
   recorded; the chunk chain and the video's bytes are what the manifest claims;
5. each validation report, X-ray image and verdict, the declaration and the release decision
   agree with the audit events that recorded them.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from backend.audit.chain import canonical_event, link
from backend.devices.keys import thumbprint
from backend.evidence import layout
from backend.recordings.manifest import verify_signature

READ_SIZE = 1 << 20


class VerifyFailure(Exception):
    def __init__(self, member: str, reason: str) -> None:
        super().__init__(f"{member}: {reason}")
        self.member, self.reason = member, reason


@dataclass(frozen=True)
class VerifyReport:
    members: int
    recordings: int
    scans: int
    events: int
    sums_sha256: str


class _Package:
    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.names = set(zf.namelist())
        self.events: list[dict[str, Any]] = []
        self.by_object: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self.current = layout.INDEX  # the member last read: named if its shape is wrong

    def read(self, name: str) -> bytes:
        self.current = name
        if name not in self.names:
            raise VerifyFailure(name, "missing from the package")
        try:
            return self.zf.read(name)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise VerifyFailure(name, f"unreadable ({exc})") from exc

    def json(self, name: str) -> Any:
        try:
            return json.loads(self.read(name))
        except (UnicodeDecodeError, ValueError) as exc:
            raise VerifyFailure(name, f"not valid JSON ({exc})") from exc

    def event(self, object_type: str, object_id: str, *actions: str) -> dict[str, Any] | None:
        found = [e for e in self.by_object[(object_type, object_id)] if e["action"] in actions]
        return found[-1] if found else None

    def hashes(self, name: str, boundaries: list[int] | None = None) -> tuple[str, list[str]]:
        """sha256 of a member and, along `boundaries`, of each chunk of it; memory bounded."""
        whole, chunk, sizes = hashlib.sha256(), hashlib.sha256(), list(boundaries or [])
        chunks: list[str] = []
        left = sizes.pop(0) if sizes else -1
        try:
            with self.zf.open(name) as f:
                while piece := f.read(READ_SIZE):
                    whole.update(piece)
                    view = memoryview(piece)
                    while view and left >= 0:
                        take = min(left, len(view))
                        chunk.update(view[:take])
                        view, left = view[take:], left - take
                        if left == 0:
                            chunks.append(chunk.hexdigest())
                            chunk = hashlib.sha256()
                            left = sizes.pop(0) if sizes else -1
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise VerifyFailure(name, f"unreadable ({exc})") from exc
        return whole.hexdigest(), chunks


def _check_sums(p: _Package) -> str:
    if layout.SUMS not in p.names:
        raise VerifyFailure(layout.SUMS, "missing from the package")
    raw = p.read(layout.SUMS)
    try:
        listed = layout.parse_sums(raw.decode())
    except (UnicodeDecodeError, ValueError) as exc:
        raise VerifyFailure(layout.SUMS, str(exc)) from exc
    expected = dict(listed)
    if len(expected) != len(listed):
        raise VerifyFailure(layout.SUMS, "lists a member twice")
    for name in sorted(p.names - {layout.SUMS}):
        if name not in expected:
            raise VerifyFailure(name, "is not listed in SHA256SUMS")
    for name, digest in listed:
        if name not in p.names:
            raise VerifyFailure(name, "is listed in SHA256SUMS but missing from the package")
        actual, _ = p.hashes(name)
        if actual != digest:
            raise VerifyFailure(name, f"sha256 {actual} differs from SHA256SUMS ({digest})")
    return hashlib.sha256(raw).hexdigest()


def _check_events(p: _Package) -> None:
    try:
        lines = p.read(layout.EVENTS).decode().splitlines()
    except UnicodeDecodeError as exc:
        raise VerifyFailure(layout.EVENTS, "not UTF-8") from exc
    previous: dict[str, Any] | None = None
    for n, line in enumerate(lines, 1):
        try:
            e = json.loads(line)
            at = datetime.fromisoformat(e["at"].replace("Z", "+00:00"))
            canonical = canonical_event(e["seq"], at, e["actor_id"], e["action"], e["object_type"],
                                        e["object_id"], e["payload"])
            prev_hash, digest = bytes.fromhex(e["prev_hash"]), bytes.fromhex(e["hash"])
        except (ValueError, KeyError, TypeError) as exc:
            raise VerifyFailure(layout.EVENTS, f"line {n} is not an audit event ({exc})") from exc
        seq = e["seq"]
        if canonical.decode() != e["canonical"]:
            raise VerifyFailure(layout.EVENTS, f"event {seq}: its canonical form does not match its fields")
        if link(prev_hash, canonical) != digest:
            raise VerifyFailure(layout.EVENTS, f"event {seq}: hash does not follow from prev_hash and content")
        if previous is not None:
            if seq <= previous["seq"]:
                raise VerifyFailure(layout.EVENTS, f"event {seq} is out of order")
            if seq == previous["seq"] + 1 and e["prev_hash"] != previous["hash"]:
                raise VerifyFailure(layout.EVENTS, f"event {seq} does not link to event {previous['seq']}")
        previous = e
        p.events.append(e)
        p.by_object[(e["object_type"], e["object_id"])].append(e)


def _check_devices(p: _Package, device_ids: list[str]) -> dict[str, Any]:
    keys = {}
    found = sorted(PurePosixPath(n).stem for n in p.names if n.startswith("devices/"))
    if found != sorted(device_ids):
        raise VerifyFailure(layout.INDEX, f"lists devices {sorted(device_ids)}, the package holds {found}")
    for device_id in device_ids:
        name = layout.device_member(device_id)
        device = p.json(name)
        try:
            tp = thumbprint(device["public_key_jwk"])
        except (KeyError, TypeError) as exc:
            raise VerifyFailure(name, f"no usable public_key_jwk ({exc})") from exc
        registered = p.event("device", device_id, "device.registered")
        if registered is None:
            raise VerifyFailure(name, "its registration is not among the audit events")
        if tp != registered["payload"].get("thumbprint") or tp != device.get("key_thumbprint"):
            raise VerifyFailure(name, "the key is not the one registered for this device")
        keys[device_id] = device["public_key_jwk"]
    return keys


def _check_recording(p: _Package, entry: dict[str, Any], keys: dict[str, Any]) -> None:
    base = entry["dir"]
    names = {k: f"{base}/{k}.json" for k in ("recording", "manifest", "chunks", "validation")}
    rec, manifest = p.json(names["recording"]), p.json(names["manifest"])
    signature_name = f"{base}/signature.txt"
    signature = p.read(signature_name).decode(errors="replace").strip()
    device_id = manifest.get("device_id")
    if device_id not in keys:
        raise VerifyFailure(names["manifest"], f"signed by device {device_id}, whose key is not here")
    if not verify_signature(keys[device_id], manifest, signature):
        raise VerifyFailure(names["manifest"], f"the signature in {signature_name} does not verify "
                            f"under device {device_id}'s key")
    registered = p.event("recording", entry["id"], "recording.registered")
    if registered is None:
        raise VerifyFailure(names["recording"], "its registration is not among the audit events")
    claims = {k: registered["payload"].get(k) for k in ("sha256", "chain_head", "device_id")}
    if claims != {k: manifest.get(k) for k in claims}:
        raise VerifyFailure(names["manifest"], "is not the manifest the audit log registered")
    if (rec.get("id"), rec.get("sha256"), rec.get("size"), rec.get("device_id"), rec.get("video")) != (
            entry["id"], manifest["sha256"], manifest["size"], device_id, entry["video"]):
        raise VerifyFailure(names["recording"], "disagrees with the signed manifest")
    chunks = manifest.get("chunks", [])
    listed, h = p.json(names["chunks"]), bytes(32)
    try:
        for mine, theirs in zip(listed["chunks"], chunks, strict=True):
            h = hashlib.sha256(h + bytes.fromhex(theirs["sha256"])).digest()
            if {k: mine[k] for k in ("i", "size", "sha256")} != theirs or mine["h"] != h.hex():
                raise VerifyFailure(names["chunks"], f"chunk {theirs['i']} breaks the chain")
        if listed["chain_head"] != manifest["chain_head"] or h.hex() != manifest["chain_head"]:
            raise VerifyFailure(names["chunks"], "the chain does not end at the manifest's chain_head")
    except (KeyError, TypeError, ValueError) as exc:
        raise VerifyFailure(names["chunks"], f"not the manifest's chunk chain ({exc})") from exc
    video = entry["video"]
    digest, parts = p.hashes(video, [c["size"] for c in chunks])
    if digest != manifest["sha256"]:
        raise VerifyFailure(video, f"sha256 {digest} is not the signed manifest's {manifest['sha256']}")
    bad = next((i for i, (a, c) in enumerate(zip(parts, chunks, strict=False))
                if a != c["sha256"]), None)
    if bad is not None or len(parts) != len(chunks):
        raise VerifyFailure(video, f"chunk {bad} differs from the signed chunk chain")
    _check_validation(p, names["validation"], entry["id"])


def _check_validation(p: _Package, name: str, recording_id: str) -> None:
    report = p.json(name)
    validated = p.event("recording", recording_id, "recording.validated")
    if report is None:
        if validated is not None:
            raise VerifyFailure(name, "missing, though the audit log records a validation")
        return
    if validated is None:
        raise VerifyFailure(name, "its validation is not among the audit events")
    failed = [c.get("name") for c in report.get("checks", []) if c.get("verdict") == "fail"]
    claim = validated["payload"]
    if (report.get("verdict"), failed, report.get("pipeline_version")) != (
            claim.get("verdict"), claim.get("failed"), claim.get("pipeline_version")):
        raise VerifyFailure(name, "disagrees with the validation the audit log recorded")


def _check_scan(p: _Package, entry: dict[str, Any]) -> None:
    scan_name, image = f"{entry['dir']}/scan.json", entry["image"]
    scan = p.json(scan_name)
    registered = p.event("idk_scan", entry["id"], "idk_scan.registered")
    if registered is None:
        raise VerifyFailure(scan_name, "its registration is not among the audit events")
    digest, _ = p.hashes(image)
    if digest != registered["payload"].get("image_sha256"):
        raise VerifyFailure(image, "is not the image the audit log registered")
    if scan.get("image_sha256") != digest or scan.get("id") != entry["id"]:
        raise VerifyFailure(scan_name, "does not describe this image")
    verdict = p.event("idk_scan", entry["id"], "idk_scan.verdict")
    given = None if verdict is None else verdict["payload"]
    areas = [(a["x"], a["y"], a["w"], a["h"]) for a in scan.get("risk_areas") or []]
    if given is None:
        if scan.get("verdict") is not None:
            raise VerifyFailure(scan_name, "has a verdict the audit log does not record")
    elif scan.get("verdict") != given.get("verdict") or areas != [
            (a["x"], a["y"], a["w"], a["h"]) for a in given.get("risk_areas") or []]:
        raise VerifyFailure(scan_name, "verdict or risk areas differ from the audit log")


def _check_declaration(p: _Package, index: dict[str, Any]) -> None:
    declaration = p.json(layout.DECLARATION)
    declaration_id = str(index.get("declaration_id"))
    created = p.event("declaration", declaration_id, "declaration.created")
    if declaration.get("id") != declaration_id or created is None:
        raise VerifyFailure(layout.DECLARATION, "its creation is not among the audit events")
    given = created["payload"]
    mine = (declaration.get("number"), declaration.get("procedure"), declaration.get("post_code"),
            declaration.get("declarant"), declaration.get("declared_corridor"))
    if mine != (given.get("number"), given.get("procedure"), given.get("post_code"),
                given.get("declarant"), given.get("corridor")):
        raise VerifyFailure(layout.DECLARATION, "differs from the declaration the audit log received")
    decision = p.json(layout.DECISION)
    event = p.event("declaration", declaration_id, *layout.RELEASE_ACTIONS)
    if decision is None:
        if event is not None or declaration.get("decision") is not None:
            raise VerifyFailure(layout.DECISION, "missing, though the declaration was decided")
        return
    if event is None:
        raise VerifyFailure(layout.DECISION, "the decision is not among the audit events")
    claim = event["payload"]
    expected: tuple[Any, ...]
    if event["action"] == "declaration.refused":
        expected = ("refused", claim.get("reason"), claim.get("gate"))
        recorded: tuple[Any, ...] = (decision["decision"], decision.get("comment"), decision.get("gate"))
    else:
        expected = ("released", claim.get("override"), claim.get("override_reason"),
                    claim.get("comment"), claim.get("gate"))
        recorded = (decision["decision"], decision.get("override"), decision.get("override_reason"),
                    decision.get("comment"), decision.get("gate"))
    official = (decision.get("official") or {}).get("id")
    if expected != recorded or official != event["actor_id"]:
        raise VerifyFailure(layout.DECISION, f"differs from the audit event {event['seq']} "
                            f"({event['action']}) that recorded it")
    shown = declaration.get("decision") or {}
    if (shown.get("released_by") or {}).get("id") != official:
        raise VerifyFailure(layout.DECLARATION, "names another official than the decision")


def verify_package(path: Path) -> VerifyReport:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise VerifyFailure(str(path), f"not a readable zip ({exc})") from exc
    with zf:
        if len(zf.namelist()) != len(set(zf.namelist())):
            raise VerifyFailure(str(path), "holds a member name twice")
        p = _Package(zf)
        sums = _check_sums(p)
        try:
            return _check_content(p, sums)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise VerifyFailure(p.current, f"not in the package's format ({exc!r})") from exc


def _check_content(p: _Package, sums: str) -> VerifyReport:
    index = p.json(layout.INDEX)
    if index.get("format") != layout.FORMAT:
        raise VerifyFailure(layout.INDEX, f"format {index.get('format')!r} is not {layout.FORMAT}")
    _check_events(p)
    if index.get("events") != len(p.events):
        raise VerifyFailure(layout.INDEX, f"counts {index.get('events')} events, "
                            f"{layout.EVENTS} holds {len(p.events)}")
    keys = _check_devices(p, list(index.get("devices", [])))
    on_disk = {n.split("/")[1] for n in p.names if n.startswith("recordings/")}
    if on_disk != {PurePosixPath(r["dir"]).name for r in index.get("recordings", [])}:
        raise VerifyFailure(layout.INDEX, "does not list the recordings the package holds")
    for entry in index["recordings"]:
        _check_recording(p, entry, keys)
    on_disk = {n.split("/")[1] for n in p.names if n.startswith("idk/")}
    if on_disk != {s["id"] for s in index.get("scans", [])}:
        raise VerifyFailure(layout.INDEX, "does not list the X-ray scans the package holds")
    for entry in index["scans"]:
        _check_scan(p, entry)
    _check_declaration(p, index)
    return VerifyReport(members=len(p.names), recordings=len(index["recordings"]),
                        scans=len(index["scans"]), events=len(p.events), sums_sha256=sums)


def main(path: str) -> int:
    try:
        report = verify_package(Path(path))
    except VerifyFailure as failure:
        print(f"evidence package FAILED: {failure.member}: {failure.reason}")
        return 1
    print(f"evidence package ok: {report.members} members, {report.recordings} recording(s), "
          f"{report.scans} X-ray scan(s), {report.events} audit events")
    print(f"SHA256SUMS sha256 {report.sums_sha256} (the live audit log's "
          f"evidence_package.downloaded event records it)")
    return 0
