"""Learning from the post's own footage: people's answers export as a labelled dataset in the
trainers' layout (`dosmotr training export`), and a new model file is activated only after
its sha256 and a real onnxruntime run check out, retiring (never deleting) the old one, as an
audited admin action (`dosmotr models activate`). Both run as real subprocesses."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from backend.settings import Settings
from media_pipeline import confirm_frames
from tests import media
from tests.attestations.test_attestations import _report, _url, _with_report
from tests.media_pipeline.test_worker import _register
from tests.recordings.conftest import scene  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[2]


def _cli(db_url: str, data_dir: Path, *args: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOSMOTR_")}
    env.update({"DATABASE_URL": db_url, "DOSMOTR_DATA_DIR": str(data_dir), **env_extra})
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], env=env,
                          capture_output=True, text=True, timeout=180)  # fmt: skip


async def test_answers_export_as_a_dataset(client, scene, app, db, db_url, settings: Settings, tmp_path) -> None:  # noqa: F811
    rec = await _register(client, scene, "unloading.mp4")
    report = _report()
    await _with_report(db, rec["id"], report)
    work = tmp_path / "work"
    work.mkdir()
    video = media.recording("unloading.mp4")
    assert await confirm_frames.store_frames(app.state.store, rec["id"], 1, video, report, work) == 4
    resp = await client.post(_url(rec["id"]) + "/attestation", json={"decision": "confirmed"},
                             headers=scene.head)
    assert resp.status_code == 201, resp.text

    out = tmp_path / "dataset"
    done = _cli(db_url, settings.data_dir, "training", "export", str(out))
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "dataset.json").read_text())
    assert summary["examples"] == 1 and not summary["problems"]
    ex = summary["items"][0]
    assert (ex["label"], ex["by"], ex["check"]) == ("empty_at_end", "head.alakol", "completeness")
    split = "bay-holdout" if ex["holdout"] else "bay"
    files = sorted((out / "labelled" / split / "empty").glob("*.jpg"))
    assert len(files) == 2  # the closing frames only: nobody attested the opening ones
    assert [f["role"] for f in ex["frames"]] == ["end", "end"]
    for f in ex["frames"]:
        assert hashlib.sha256((out / f["file"]).read_bytes()).hexdigest() == f["sha256"]
    assert not (out / "labelled" / ("bay" if ex["holdout"] else "bay-holdout")).exists()


def _candidate(tmp: Path, tamper: bool = False, name: str = "bay_occupancy") -> Path:
    """The shipped bay model re-issued as a new file: a protobuf doc_string appended (field 6)
    changes the bytes, not the graph, as a retrained file would."""
    src = REPO / "models" / "bay_occupancy"
    cand = tmp / f"candidate-{name}-{int(tamper)}"
    cand.mkdir()
    blob = (src / "model.onnx").read_bytes() + b"\x32\x0bfine-tuned!"
    (cand / "model.onnx").write_bytes(blob)
    manifest = json.loads((src / "manifest.json").read_text())
    manifest["name"] = name
    manifest["sha256"] = hashlib.sha256(blob + (b"x" if tamper else b"")).hexdigest()
    manifest["evaluations"] = [{"dataset": "ALAKOL held-out takes", "kind": "real",
                                "post_code": "ALAKOL", "metric": "end_state_accuracy",
                                "value": 0.96, "n": 40}]  # fmt: skip
    (cand / "manifest.json").write_text(json.dumps(manifest))
    (cand / "CARD.md").write_text("# bay_occupancy (fine-tuned)\n")
    return cand


async def test_activating_a_model_is_verified_audited_and_retires_the_old_one(db, db_url, tmp_path) -> None:
    models = tmp_path / "models"
    shutil.copytree(REPO / "models" / "bay_occupancy", models / "bay_occupancy")
    old_sha = json.loads((models / "bay_occupancy" / "manifest.json").read_text())["sha256"]
    data = tmp_path / "data"
    env = {"DOSMOTR_MODELS_DIR": str(models)}
    reason = "fine-tuned on ALAKOL confirmations, held-out 0.96"

    for cand, why in ((_candidate(tmp_path, tamper=True), "sha256"),
                      (_candidate(tmp_path, name="cargo_counter"), "names")):  # fmt: skip
        refused = _cli(db_url, data, "models", "activate", "bay_occupancy", "--file", str(cand),
                       "--reason", reason, **env)  # fmt: skip
        assert refused.returncode == 1 and why in refused.stderr, refused.stderr
    good = _candidate(tmp_path)
    short = _cli(db_url, data, "models", "activate", "bay_occupancy", "--file", str(good),
                 "--reason", "why not", **env)  # fmt: skip
    assert short.returncode == 1
    assert await db.fetchval("SELECT count(*) FROM audit_events WHERE action = 'model.activated'") == 0
    assert json.loads((models / "bay_occupancy" / "manifest.json").read_text())["sha256"] == old_sha

    done = _cli(db_url, data, "models", "activate", "bay_occupancy", "--file", str(good),
                "--reason", reason, **env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    new_sha = hashlib.sha256((good / "model.onnx").read_bytes()).hexdigest()
    active = json.loads((models / "bay_occupancy" / "manifest.json").read_text())
    assert active["sha256"] == new_sha and active["evaluations"][0]["post_code"] == "ALAKOL"
    retired = models / "bay_occupancy" / "retired" / old_sha
    assert hashlib.sha256((retired / "model.onnx").read_bytes()).hexdigest() == old_sha
    event = await db.fetchrow("SELECT payload FROM audit_events WHERE action = 'model.activated'")
    payload = event["payload"] if isinstance(event["payload"], dict) else json.loads(event["payload"])
    assert (payload["sha256"], payload["previous_sha256"], payload["reason"]) == (new_sha, old_sha, reason)
    assert await db.fetchval("SELECT sha256 FROM model_activations") == new_sha
    again = _cli(db_url, data, "models", "activate", "bay_occupancy", "--file", str(good),
                 "--reason", reason, **env)  # fmt: skip
    assert again.returncode == 1 and "already" in again.stderr
