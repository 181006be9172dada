"""Bay occupancy: is the trailer / container / wagon bay empty, partly loaded or loaded?"""

from __future__ import annotations

from typing import Any

import numpy as np

from media_pipeline.vision.registry import ManifestError, ModelRegistry, VisionModel, square_input

OCCUPANCY_LABELS = ("empty", "partial", "loaded")


class BayOccupancyClassifier(VisionModel[np.ndarray]):
    """`predict(frames)` -> probabilities [N, 3] in OCCUPANCY_LABELS order, whatever order a
    retrained model's manifest lists its labels in."""

    model_name = "bay_occupancy"
    labels = OCCUPANCY_LABELS

    def __init__(self, registry: ModelRegistry, name: str | None = None) -> None:
        super().__init__(registry, name)
        self._manifest: dict[str, Any] = {}
        self._order: list[int] = []

    def _configure(self, manifest: dict[str, Any]) -> None:
        labels = list(manifest.get("labels", []))
        if sorted(labels) != sorted(OCCUPANCY_LABELS):
            raise ManifestError(f"{self.name}: labels {labels} are not {list(OCCUPANCY_LABELS)}")
        self._order = [labels.index(label) for label in OCCUPANCY_LABELS]
        self._manifest = manifest

    def predict(self, frames: np.ndarray) -> np.ndarray:
        return self.run(frames)

    def _preprocess(self, frames: np.ndarray) -> np.ndarray:
        return square_input(frames, self._manifest)

    def _postprocess(self, outputs: list[list[np.ndarray]], frames: np.ndarray) -> np.ndarray:
        if not outputs:
            return np.zeros((0, len(OCCUPANCY_LABELS)), np.float32)
        probs = np.concatenate([out[0] for out in outputs]).astype(np.float32)
        return probs[:, self._order]
