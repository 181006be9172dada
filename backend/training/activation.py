"""`dosmotr models activate NAME --file DIR --reason TEXT`: loading a new model is an audited
admin action.

The candidate (DIR with model.onnx, manifest.json, CARD.md, as models/training writes them)
must name NAME, hash to its manifest's sha256 and load and run in onnxruntime exactly as the
worker will (the registry's own checks). The model in use is then retired, never deleted
(NAME/retired/<its sha256>/), the candidate copied in, and the activation recorded in
`model_activations` and the audit chain (`model.activated`, with both digests). Workers load
it on their next start; every report names the model (name, sha256) behind each verdict.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np

from backend.audit import repo as audit
from media_pipeline.vision.registry import ModelError, ModelRegistry, read_manifest

FILES = ("model.onnx", "manifest.json", "CARD.md")


class ActivationRefused(Exception):
    """The candidate is not a model the pipeline would load; nothing was changed."""


def check_candidate(name: str, source: Path) -> dict[str, Any]:
    """The candidate's manifest, once it is proven loadable as `name`; else ActivationRefused."""
    try:
        manifest = read_manifest(source)
    except ModelError as exc:
        raise ActivationRefused(str(exc)) from exc
    if manifest.get("name") != name:
        raise ActivationRefused(f"{source}: the manifest names {manifest.get('name')!r}, not {name!r}")
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / name
        staged.mkdir()
        for f in {manifest["file"], "manifest.json"}:
            if not (source / f).is_file():
                raise ActivationRefused(f"{source}: {f} is missing")
            shutil.copy2(source / f, staged / f)
        try:
            _run_once(ModelRegistry(Path(tmp), threads=1), name)
        except (ModelError, ValueError) as exc:
            raise ActivationRefused(f"{name}: {exc}") from exc
        except Exception as exc:  # onnxruntime's own errors: a graph it cannot run
            raise ActivationRefused(f"{name}: onnxruntime cannot run it ({exc})") from exc
    return manifest


def _run_once(registry: ModelRegistry, name: str) -> None:
    """Load (sha256 checked, warmed) and run one frame through the role's own wrapper."""
    from media_pipeline.vision.classifier import BayOccupancyClassifier
    from media_pipeline.vision.counter import CargoCounter

    frame = np.zeros((1, 64, 64, 3), np.uint8)
    if name == BayOccupancyClassifier.model_name:
        probs = BayOccupancyClassifier(registry).predict(frame)
        if probs.shape != (1, 3) or not np.isfinite(probs).all():
            raise ValueError(f"answers {probs.shape}, not one row of 3 probabilities")
    elif name == CargoCounter.model_name:
        if CargoCounter(registry).count(frame).shape != (1,):
            raise ValueError("does not answer one count per frame")
    else:
        registry.get(name)


def _sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


INSERT_ACTIVATION = """
INSERT INTO model_activations (model_name, sha256, source, reason, actor)
VALUES ($1, $2, $3, $4, $5) RETURNING id
"""


async def activate(
    conn: asyncpg.Connection, models_dir: Path, name: str, source: Path, reason: str, actor: str
) -> dict[str, Any]:
    """Swap the model in; returns {name, sha256, previous_sha256, retired_to}."""
    reason = reason.strip()
    if len(reason) < 10:
        raise ActivationRefused("say why this model is activated (at least 10 characters)")
    manifest = await asyncio.to_thread(check_candidate, name, source)
    target = models_dir / name
    previous = None
    if (target / "manifest.json").is_file():
        previous = str(read_manifest(target)["sha256"]).lower()
    new_sha = str(manifest["sha256"]).lower()
    if previous == new_sha:
        raise ActivationRefused(f"{name} {new_sha[:12]} is already the active model")
    retired = target / "retired" / previous if previous else None
    async with conn.transaction():
        activation_id = await conn.fetchval(INSERT_ACTIVATION, name, new_sha, str(source), reason, actor)
        await audit.append(
            conn, actor_id=None, action="model.activated", object_type="model", object_id=name,
            payload={"sha256": new_sha, "previous_sha256": previous, "source": str(source),
                     "reason": reason, "actor": actor, "via": "cli",
                     "activation_id": activation_id, "evaluations": manifest.get("evaluations", [])},
        )  # fmt: skip
        # inside the transaction: a failed copy rolls the record back
        await asyncio.to_thread(_swap, target, source, retired, manifest)
    return {"name": name, "sha256": new_sha, "previous_sha256": previous,
            "retired_to": str(retired) if retired else None}  # fmt: skip


def _swap(target: Path, source: Path, retired: Path | None, manifest: dict[str, Any]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    if retired is not None:
        retired.mkdir(parents=True, exist_ok=True)
        for f in FILES:
            if (target / f).is_file() and not (retired / f).exists():
                shutil.copy2(target / f, retired / f)
    for f in FILES:
        if (source / f).is_file():
            tmp = target / f".{f}.new"
            shutil.copy2(source / f, tmp)
            tmp.replace(target / f)
    if _sha(target / manifest["file"]) != str(manifest["sha256"]).lower():
        raise ActivationRefused(f"{target}: the copied model does not hash to its manifest")
