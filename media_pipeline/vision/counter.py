"""Cargo places in view: how many separate places stand in front of the camera."""

from __future__ import annotations

from typing import Any

import numpy as np

from media_pipeline.vision.registry import (
    LoadedModel,
    ModelRegistry,
    VisionModel,
    square_input,
)


class CargoCounter(VisionModel[np.ndarray]):
    """`count(frames)` -> float [N], the expected number of places (not rounded: a caller
    comparing with a declared number wants to see 11.6 rather than a confident 12)."""

    model_name = "cargo_counter"

    def __init__(self, registry: ModelRegistry, name: str | None = None) -> None:
        super().__init__(registry, name)
        self._manifest: dict[str, Any] = {}
        self._output = "count"

    def _configure(self, manifest: dict[str, Any]) -> None:
        self._manifest = manifest
        self._output = str(manifest["output"].get("name", "count"))

    def count(self, frames: np.ndarray) -> np.ndarray:
        return self.run(frames)

    def _preprocess(self, frames: np.ndarray) -> np.ndarray:
        return square_input(frames, self._manifest)

    def _predict(self, model: LoadedModel, inputs: np.ndarray) -> list[np.ndarray]:
        name = model.session.get_inputs()[0].name
        return list(model.session.run([self._output], {name: inputs}))

    def _postprocess(self, outputs: list[list[np.ndarray]], frames: np.ndarray) -> np.ndarray:
        if not outputs:
            return np.zeros(0, np.float32)
        counts = np.concatenate([out[0].reshape(-1) for out in outputs]).astype(np.float32)
        return np.clip(counts, 0.0, None)
