"""The stills stored for a person's confirmation: which instants, their labels, and that they
are stored once as immutable objects (real ffmpeg on a generated take, the local store)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from backend.attestations.keys import index_key
from backend.storage.local import LocalObjectStore
from contract.report import build_report, result
from media_pipeline import confirm_frames
from tests import media


def test_completeness_shows_the_first_seconds_beside_the_last() -> None:
    c = result("completeness", "warn", 0.8, 0.5, "advisory", [(0, 6), (24, 30), (5, 70)],
               needs_confirmation=True)  # fmt: skip
    picks = confirm_frames.picks_for(c, duration=30.0)
    assert [p.role for p in picks] == ["start", "start", "end", "end"]
    assert picks[0].t < 1.0 and picks[1].t == 3.0 and picks[2].t == 27.0
    assert 29.0 < picks[3].t < 30.0


def test_recount_shows_the_taps_spread_over_the_take() -> None:
    taps = [(float(t), float(t)) for t in range(2, 42, 2)]  # 20 taps
    c = result("recount", "warn", 1.0, 1.0, "advisory", [*taps, (0.0, 5.0)], needs_confirmation=True,
               params={"seen": 14, "declared": 20})  # fmt: skip
    picks = confirm_frames.picks_for(c)
    assert len(picks) == confirm_frames.MAX_TAP_FRAMES and picks[0].t == 2.0 and picks[-1].t == 40.0
    assert picks[0].label == "tap 1/20, counter ~14" and picks[-1].label == "tap 20/20, counter ~14"
    assert {p.role for p in picks} == {"tap"}


async def test_frames_are_stored_once_per_report_version(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    video = media.recording("unloading.mp4")
    c = result("completeness", "warn", 0.8, 0.5, "advisory", [(0, 6), (24, 30)],
               needs_confirmation=True)  # fmt: skip
    plain = result("probe", "pass", 1.0, 1.0, "ok")
    report = build_report([plain, c])
    work = tmp_path / "work"
    work.mkdir()
    assert await confirm_frames.store_frames(store, "rec1", 1, video, report, work) == 4
    index = json.loads(await store.get_bytes(index_key("rec1", 1, "completeness")))
    assert [f["role"] for f in index["frames"]] == ["start", "start", "end", "end"]
    first = await store.get_bytes(index["frames"][0]["key"])
    img = cv2.imdecode(np.frombuffer(first, np.uint8), cv2.IMREAD_COLOR)
    assert img.shape[1] == confirm_frames.WIDTH
    # the same job again (a crash after storing): nothing new, nothing overwritten
    assert await confirm_frames.store_frames(store, "rec1", 1, video, report, work) == 0
    assert await store.get_bytes(index["frames"][0]["key"]) == first
    # no check asks for confirmation: nothing stored; an unreadable file: no crash, no frames
    assert await confirm_frames.store_frames(store, "rec1", 2, video, build_report([plain]), work) == 0
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video")
    assert await confirm_frames.store_frames(store, "rec2", 1, junk, report, work) == 0
