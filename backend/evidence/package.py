"""Building a declaration's evidence package: what goes in, its SHA256SUMS, the audited download.

Everything small (JSON) is built in memory first; recordings and X-ray images stay in the
object store and are streamed into the zip later (zipstream.py). Their sha256 is known from
intake, so SHA256SUMS is complete before a byte is sent, goes first in the zip, and its own
hash is recorded in the download's audit event.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from backend.audit import repo as audit
from backend.audit.chain import canonical_event, canonical_time
from backend.auth.actor import Actor
from backend.declarations import repo as declarations_repo
from backend.errors import NotFound
from backend.evidence import layout, repo
from backend.idk import assist_repo
from backend.idk import repo as idk_repo
from backend.inspections import repo as inspections_repo


@dataclass(frozen=True)
class StoredMember:
    name: str
    key: str
    size: int
    sha256: str


@dataclass
class PackagePlan:
    filename: str
    generated_at: datetime
    small: list[tuple[str, bytes]] = field(default_factory=list)  # in zip order, after SUMS
    stored: list[StoredMember] = field(default_factory=list)

    def add(self, name: str, value: Any) -> None:
        self.small.append((name, value if isinstance(value, bytes) else layout.json_bytes(value)))

    def sums(self) -> bytes:
        hashes = [(n, hashlib.sha256(b).hexdigest()) for n, b in self.small]
        hashes += [(m.name, m.sha256) for m in self.stored]
        return layout.sums_text(hashes)


def _event_line(r: Any) -> bytes:
    canonical = canonical_event(
        r["seq"], r["at"], r["actor_id"], r["action"], r["object_type"], r["object_id"], r["payload"]
    )
    return msgspec.json.encode({
        "seq": r["seq"], "at": canonical_time(r["at"]), "actor_id": r["actor_id"],
        "action": r["action"], "object_type": r["object_type"], "object_id": r["object_id"],
        "payload": r["payload"], "prev_hash": bytes(r["prev_hash"]).hex(),
        "hash": bytes(r["hash"]).hex(), "canonical": canonical.decode(),
    }) + b"\n"


def _recording_members(plan: PackagePlan, r: Any) -> dict[str, Any]:
    base = layout.recording_dir(r["phase"], r["version"], r["id"])
    video = f"{base}/video.{layout.VIDEO_EXT.get((r['mime'] or '').split(';')[0], 'bin')}"
    manifest = r["manifest"]
    plan.add(f"{base}/recording.json", {
        "id": r["id"], "inspection_id": r["inspection_id"], "phase": r["phase"],
        "version": r["version"], "client_id": r["client_id"], "upload_id": r["upload_id"],
        "device_id": r["device_id"], "mime": r["mime"], "size": r["size"], "sha256": r["sha256"],
        "state": r["state"], "integrity": r["integrity"], "received_at": r["received_at"],
        "created_by": r["created_by"], "video": video,
    })
    plan.add(f"{base}/manifest.json", manifest)
    plan.add(f"{base}/signature.txt", (r["signature"] + "\n").encode())
    digests = [c["sha256"] for c in manifest.get("chunks", [])]
    links, h = [], bytes(32)
    for c in manifest.get("chunks", []):
        h = hashlib.sha256(h + bytes.fromhex(c["sha256"])).digest()
        links.append({**c, "h": h.hex()})
    plan.add(f"{base}/chunks.json", {"h0": bytes(32).hex(), "chunks": links,
                                     "chain_head": links[-1]["h"] if digests else None})
    plan.add(f"{base}/validation.json", r["report"])
    plan.stored.append(StoredMember(video, r["object_key"], int(r["size"]), r["sha256"]))
    return {"id": r["id"], "phase": r["phase"], "version": r["version"], "dir": base,
            "video": video}


async def prepare(conn: asyncpg.Connection, actor: Actor, declaration_id: str) -> PackagePlan:
    """Load and lay out the package, and record the download (with its SHA256SUMS hash)."""
    view = await declarations_repo.get_view(conn, declaration_id)
    if view is None or not actor.sees_post(view.post_code):
        raise NotFound(f"declaration {declaration_id} not found")
    now = datetime.now(UTC)
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", view.number).strip("-")
    plan = PackagePlan(filename=f"dosmotr-evidence-{safe}.zip", generated_at=now)
    plan.add(layout.README, layout.README_TEXT.format(
        format=layout.FORMAT, number=view.number, post_code=view.post_code,
        generated_at=now.isoformat(), login=actor.login, filename=plan.filename).encode())
    index_at = len(plan.small)  # package.json goes here once everything is known
    plan.add(layout.DECLARATION, view)
    decided = await repo.decision(conn, declaration_id)
    plan.add(layout.DECISION, None if decided is None else {
        "decision": decided["decision"], "decided_at": decided["decided_at"],
        "official": {"id": decided["actor_id"], "login": decided["actor_login"],
                     "name": decided["actor_name"], "role": decided["actor_role"]},
        "override": decided["override"], "override_reason": decided["override_reason"],
        "comment": decided["comment"], "gate": decided["gate"],
    })
    objects: list[tuple[str, str]] = [("declaration", declaration_id)]
    inspection = await inspections_repo.by_declaration(conn, declaration_id)
    recordings: list[Any] = []
    if inspection is not None:
        objects.append(("inspection", inspection["id"]))
        recordings = await repo.recordings(conn, inspection["id"])
        objects += [("upload", u) for u in await repo.upload_ids(conn, inspection["id"])]
    device_ids = sorted({r["device_id"] for r in recordings if r["device_id"]})
    for d in await repo.devices(conn, device_ids):
        plan.add(layout.device_member(d["id"]), dict(d))
        objects.append(("device", d["id"]))
    index_recordings = [_recording_members(plan, r) for r in recordings]
    objects += [("recording", r["id"]) for r in recordings]
    index_scans = []
    for img in await repo.scan_images(conn, view.linked_scan_ids):
        scan = await idk_repo.scan_by_id(conn, img["id"])
        base = layout.scan_dir(img["id"])
        name = f"{base}/image.{layout.IMAGE_EXT.get(img['image_mime'], 'bin')}"
        plan.add(f"{base}/scan.json", scan)
        plan.stored.append(StoredMember(name, img["image_key"], int(img["image_size"]),
                                        img["image_sha256"]))
        objects.append(("idk_scan", img["id"]))
        entry = {"id": img["id"], "dir": base, "image": name}
        # The electronic conclusion form, as issued at verdict time (its digests are in the
        # scan's audit events too).
        issued = await assist_repo.conclusion(conn, img["id"])
        if issued is not None:
            for ext in ("pdf", "html"):
                member = f"{base}/conclusion.{ext}"
                plan.stored.append(StoredMember(member, issued[f"{ext}_key"],
                                                int(issued[f"{ext}_size"]), issued[f"{ext}_sha256"]))
                entry[f"conclusion_{ext}"] = member
        index_scans.append(entry)
    events = await repo.events(conn, objects)
    plan.add(layout.EVENTS, b"".join(_event_line(e) for e in events))
    head = await repo.audit_head(conn)
    plan.small.insert(index_at, (layout.INDEX, layout.json_bytes({
        "format": layout.FORMAT, "declaration_id": view.id, "number": view.number,
        "post_code": view.post_code, "generated_at": now,
        "generated_by": {"id": actor.id, "login": actor.login, "name": actor.name,
                         "role": actor.role},
        "recordings": index_recordings, "scans": index_scans, "devices": device_ids,
        "events": len(events),
        "audit_head": {"seq": head["seq"], "hash": bytes(head["hash"]).hex()} if head else None,
    })))
    sums = plan.sums()
    async with conn.transaction():
        await audit.append(
            conn, actor_id=actor.id, action="evidence_package.downloaded",
            object_type="declaration", object_id=declaration_id, post_code=view.post_code,
            payload={"sums_sha256": hashlib.sha256(sums).hexdigest(),
                     "members": len(plan.small) + len(plan.stored) + 1,
                     "recordings": [r["id"] for r in recordings],
                     "scans": [s["id"] for s in index_scans], "events": len(events)},
        )
    return plan
