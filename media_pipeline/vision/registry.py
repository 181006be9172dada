"""Shipped ONNX models: manifests, sha256 verification, one warmed session per model per process.

Every validation report names the models (name, sha256) that produced it, so a model is
loaded only from bytes whose digest equals its manifest's; anything else is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
import onnxruntime as ort

from media_pipeline.vision.session import create_session

DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
MANIFEST = "manifest.json"
_REQUIRED = ("name", "file", "sha256", "task", "input", "output")


class ModelError(Exception):
    """A model cannot be used; the message says which and why."""


class ModelNotFoundError(ModelError):
    pass


class ManifestError(ModelError):
    pass


class ModelIntegrityError(ModelError):
    """The model file's sha256 differs from its manifest: tampered, truncated or replaced."""

    def __init__(self, name: str, path: Path, expected: str, actual: str) -> None:
        super().__init__(
            f"model {name!r}: {path} has sha256 {actual}, manifest says {expected}; "
            "refusing to load it (retrain or restore the file, or re-issue the "
            "manifest with models/training)"
        )
        self.name, self.path, self.expected, self.actual = name, path, expected, actual


@dataclass(frozen=True)
class LoadedModel:
    name: str
    sha256: str
    manifest: dict[str, Any]
    session: ort.InferenceSession
    path: Path


# Sessions are shared by every registry in the process; a forked child starts afresh because
# onnxruntime's thread pools do not survive fork.
_SESSIONS: dict[tuple[str, str, int], LoadedModel] = {}
_SESSIONS_LOCK = threading.Lock()


def _reset_after_fork() -> None:
    global _SESSIONS_LOCK
    _SESSIONS.clear()
    _SESSIONS_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


def read_manifest(model_dir: Path) -> dict[str, Any]:
    path = model_dir / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{path}: unreadable manifest ({exc})") from exc
    missing = [k for k in _REQUIRED if k not in manifest]
    if missing:
        raise ManifestError(f"{path}: missing {', '.join(missing)}")
    file = str(manifest["file"])
    if Path(file).name != file:  # a manifest may only point at a file beside it
        raise ManifestError(f"{path}: 'file' must be a plain file name, not {file!r}")
    sha = str(manifest["sha256"]).lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ManifestError(f"{path}: 'sha256' is not a hex SHA-256 digest")
    return manifest


def _warm_up(session: ort.InferenceSession) -> None:
    """One inference at load, so the first real frame does not pay for memory planning."""
    for inp in session.get_inputs()[:1]:
        shape = [d if isinstance(d, int) and d > 0 else 1 for d in inp.shape]
        session.run(None, {inp.name: np.zeros(shape, np.float32)})


class ModelRegistry:
    def __init__(self, models_dir: Path | None = None, threads: int = 2) -> None:
        self.models_dir = Path(models_dir) if models_dir is not None else DEFAULT_MODELS_DIR
        self.threads = threads
        self._used: dict[str, str] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return sorted(p.parent.name for p in self.models_dir.glob(f"*/{MANIFEST}"))

    def manifest(self, name: str) -> dict[str, Any]:
        model_dir = self.models_dir / name
        if Path(name).name != name or not (model_dir / MANIFEST).is_file():
            raise ModelNotFoundError(f"no model {name!r} under {self.models_dir}")
        return read_manifest(model_dir)

    def get(self, name: str) -> LoadedModel:
        """The verified, warmed session for `name`; loaded on first use."""
        manifest = self.manifest(name)
        path = (self.models_dir / name / manifest["file"]).resolve()
        key = (str(path), str(manifest["sha256"]).lower(), self.threads)
        with _SESSIONS_LOCK:
            model = _SESSIONS.get(key)
            if model is None:
                model = self._load(name, manifest, path)
                _SESSIONS[key] = model
        with self._lock:
            self._used[model.name] = model.sha256
        return model

    def _load(self, name: str, manifest: dict[str, Any], path: Path) -> LoadedModel:
        try:
            blob = path.read_bytes()
        except OSError as exc:
            raise ModelNotFoundError(f"model {name!r}: cannot read {path} ({exc})") from exc
        expected = str(manifest["sha256"]).lower()
        actual = hashlib.sha256(blob).hexdigest()
        if actual != expected:
            raise ModelIntegrityError(name, path, expected, actual)
        session = create_session(blob, intra_op_threads=self.threads)
        _warm_up(session)
        return LoadedModel(
            name=str(manifest["name"]), sha256=actual, manifest=manifest, session=session, path=path
        )

    def models_used(self) -> list[tuple[str, str]]:
        """(name, sha256) of every model this registry has handed out, for reports."""
        with self._lock:
            return sorted(self._used.items())


Out = TypeVar("Out")


class VisionModel(ABC, Generic[Out]):
    """Lazy, locked load; then `_preprocess` -> `_predict` -> `_postprocess` per call."""

    model_name: ClassVar[str] = ""
    batch_size: ClassVar[int] = 32  # bounds memory on long frame lists

    def __init__(self, registry: ModelRegistry, name: str | None = None) -> None:
        self.registry = registry
        self.name = name or self.model_name
        self._model: LoadedModel | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> LoadedModel:
        model = self._model
        if model is None:
            with self._lock:
                model = self._model
                if model is None:
                    model = self.registry.get(self.name)
                    self._configure(model.manifest)
                    self._model = model
        return model

    @property
    def model(self) -> LoadedModel:
        return self.load()

    def _configure(self, manifest: dict[str, Any]) -> None:
        """Reads what preprocessing needs from the manifest; raises ManifestError if unusable."""

    def run(self, frames: np.ndarray) -> Out:
        frames = as_frames(frames)
        model = self.load()
        outputs: list[list[np.ndarray]] = []
        for start in range(0, len(frames), self.batch_size):
            batch = frames[start : start + self.batch_size]
            outputs.append(self._predict(model, self._preprocess(batch)))
        return self._postprocess(outputs, frames)

    @abstractmethod
    def _preprocess(self, frames: np.ndarray) -> np.ndarray: ...

    def _predict(self, model: LoadedModel, inputs: np.ndarray) -> list[np.ndarray]:
        name = model.session.get_inputs()[0].name
        return list(model.session.run(None, {name: inputs}))

    @abstractmethod
    def _postprocess(self, outputs: list[list[np.ndarray]], frames: np.ndarray) -> Out: ...


def as_frames(frames: np.ndarray) -> np.ndarray:
    """uint8 RGB [N, H, W, 3]; a single [H, W, 3] frame becomes a batch of one."""
    arr = np.asarray(frames)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[-1] != 3:
        raise ValueError(f"expected uint8 RGB frames [N, H, W, 3], got shape {arr.shape}")
    if arr.dtype != np.uint8:
        raise ValueError(f"expected uint8 frames, got {arr.dtype}")
    return arr


def square_input(frames: np.ndarray, manifest: dict[str, Any]) -> np.ndarray:
    """Resize (squash) and normalise as the manifest says, into float32 NCHW."""
    import cv2

    spec = manifest["input"]
    height, width = (int(v) for v in spec["size"])
    scale = float(spec.get("scale", 1 / 255))
    mean = np.asarray(spec.get("mean", (0.0, 0.0, 0.0)), np.float32)
    std = np.asarray(spec.get("std", (1.0, 1.0, 1.0)), np.float32)
    out = np.empty((len(frames), 3, height, width), np.float32)
    bgr = str(spec.get("color", "RGB")).upper() == "BGR"
    for i, frame in enumerate(frames):
        resized = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
        if bgr:
            resized = resized[..., ::-1]
        out[i] = ((resized.astype(np.float32) * scale - mean) / std).transpose(2, 0, 1)
    return out


# Which check each model drives, and the held-out metric on real footage that proves it there.
MODEL_CHECKS: dict[str, tuple[str, str]] = {
    "bay_occupancy": ("completeness", "end_state_accuracy"),
    "cargo_counter": ("recount", "places_within_tolerance"),
}
MIN_PROOF_N = 30  # fewer real held-out takes than this prove nothing, whatever the figure


def proven_at(manifest: dict[str, Any], post_code: str, metric: str, bar: float) -> bool:
    """Whether the manifest's `evaluations` hold a held-out figure on REAL footage of
    `post_code` for `metric` that reaches `bar` on at least MIN_PROOF_N examples."""
    for ev in manifest.get("evaluations", ()) or ():
        if not isinstance(ev, dict):
            continue
        if (
            ev.get("kind") == "real"
            and ev.get("post_code") == post_code
            and ev.get("metric") == metric
            and isinstance(ev.get("value"), int | float)
            and float(ev["value"]) >= bar
            and int(ev.get("n", 0) or 0) >= MIN_PROOF_N
        ):
            return True
    return False


def binding_checks(
    registry: ModelRegistry, post_code: str, policy_binding: Any, bar: float
) -> frozenset[str]:
    """The model-driven checks that may pass or fail on their own at `post_code`: listed in
    the post policy's `binding_checks` AND proven by their model's manifest. Every other
    model-driven check is advisory (warn + needs_confirmation)."""
    wanted = set(policy_binding or ())
    out: set[str] = set()
    for model, (check, metric) in MODEL_CHECKS.items():
        if check not in wanted:
            continue
        try:
            manifest = registry.manifest(model)
        except ModelError:
            continue
        if proven_at(manifest, post_code, metric, bar):
            out.add(check)
    return frozenset(out)


def binding_for(
    check: str, model: Any, post_code: str, policy_binding: Any, bar: float
) -> bool:
    """Whether `check` may decide on its own at `post_code`, for the loaded model wrapper
    validate() holds (e.g. Models.occupancy for completeness): listed in the post policy's
    `binding_checks` and proven by that model's manifest. A stand-in without a manifest
    (tests, a missing model) is never binding."""
    if check not in set(policy_binding or ()):
        return False
    metric = next((m for c, m in MODEL_CHECKS.values() if c == check), None)
    loaded = getattr(model, "model", None) if model is not None else None
    manifest = getattr(loaded, "manifest", None)
    if metric is None or not isinstance(manifest, dict):
        return False
    return proven_at(manifest, post_code, metric, bar)
