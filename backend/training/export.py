"""`dosmotr training export DIR`: people's answers to advisory checks as a dataset.

Writes the layout models/training's trainers read (models/training/README.md):

    DIR/labelled/bay/{empty,partial}/*.jpg          frames of the closing seconds of takes
    DIR/labelled/bay-holdout/{empty,partial}/*.jpg  the same from OTHER takes (by recording)
    DIR/review/recount/{count_right,count_wrong}/   frames at taps: a person still counts the
                                                    places in view before the counter can use them
    DIR/dataset.json                                every example: label, who, when, recording,
                                                    report version, each frame's sha256 and file

A confirmed completeness means the bay IS empty at the end: its closing frames are `empty`;
a rejected one means cargo was left: `partial` (a bay emptied but for some places). Opening
frames are not labelled: nobody attested what they show. Whole recordings go either to training
or to the hold-out, never both (frames of one take are near-copies). Every frame's bytes are
checked against the sha256 stored with the example; a mismatch is reported and left out.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg

from backend.storage.base import ObjectMissing, ObjectStore
from backend.training import repo

HOLDOUT_EVERY = 5  # one recording in five (by a hash of its id) goes to the hold-out
BAY_CLASS = {"empty_at_end": "empty", "not_empty_at_end": "partial"}


def holdout(recording_id: str) -> bool:
    return int(hashlib.sha256(recording_id.encode()).hexdigest()[:8], 16) % HOLDOUT_EVERY == 0


def _target(ex: Any, frame: dict[str, Any]) -> Path | None:
    check, label, role = ex["check_name"], ex["label"], frame.get("role")
    if check == "completeness" and role == "end" and label in BAY_CLASS:
        split = "bay-holdout" if holdout(ex["recording_id"]) else "bay"
        return Path("labelled") / split / BAY_CLASS[label]
    if check == "recount" and role == "tap":
        return Path("review") / "recount" / label
    return None


async def export(
    conn: asyncpg.Connection, store: ObjectStore, out: Path, post_code: str | None = None
) -> dict[str, Any]:
    """Write the dataset under `out`; returns its summary (also in dataset.json)."""
    examples = []
    files: Counter[str] = Counter()
    problems: list[str] = []
    for ex in await repo.examples(conn, post_code=post_code):
        written = []
        for frame in ex["frames"] or []:
            target = _target(ex, frame)
            if target is None:
                continue
            try:
                data = await store.get_bytes(str(frame["key"]))
            except ObjectMissing:
                problems.append(f"{ex['id']}: frame {frame['key']} is missing from the store")
                continue
            if hashlib.sha256(data).hexdigest() != frame.get("sha256"):
                problems.append(f"{ex['id']}: frame {frame['key']} does not match its sha256")
                continue
            name = f"{ex['recording_id']}_v{ex['report_version']}_{ex['check_name']}_{frame['i']}.jpg"
            await asyncio.to_thread(_write, out / target / name, data)
            files[str(target)] += 1
            written.append({"file": str(target / name), "sha256": frame["sha256"],
                            "t": frame.get("t"), "role": frame.get("role")})  # fmt: skip
        examples.append({
            "id": ex["id"], "recording_id": ex["recording_id"],
            "report_version": ex["report_version"], "check": ex["check_name"],
            "post_code": ex["post_code"], "label": ex["label"], "by": ex["actor_login"],
            "at": ex["created_at"].isoformat(), "model_code": ex["model_code"],
            "model_params": ex["model_params"], "holdout": holdout(ex["recording_id"]),
            "frames": written,
        })  # fmt: skip
    summary = {"post_code": post_code, "examples": len(examples), "files": dict(files),
               "problems": problems, "items": examples}  # fmt: skip
    text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    await asyncio.to_thread(_write, out / "dataset.json", text.encode())
    return summary


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
