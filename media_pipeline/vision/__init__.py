"""Vision inference for the media pipeline: shipped ONNX models behind one small interface.

    registry = ModelRegistry()                  # models/ beside the package, sha256-checked
    BayOccupancyClassifier(registry).predict(frames)   # [N, 3] empty / partial / loaded
    CargoCounter(registry).count(frames)               # [N] places in view
    YoloDetector(registry, "my_detector").detect(frames)

All calls block (onnxruntime): run them in a worker thread or process, never on an event loop.
"""

from media_pipeline.vision.classifier import OCCUPANCY_LABELS, BayOccupancyClassifier
from media_pipeline.vision.counter import CargoCounter
from media_pipeline.vision.registry import (
    DEFAULT_MODELS_DIR,
    LoadedModel,
    ManifestError,
    ModelError,
    ModelIntegrityError,
    ModelNotFoundError,
    ModelRegistry,
    VisionModel,
)
from media_pipeline.vision.yolo import Detection, YoloDetector

__all__ = [
    "DEFAULT_MODELS_DIR",
    "OCCUPANCY_LABELS",
    "BayOccupancyClassifier",
    "CargoCounter",
    "Detection",
    "LoadedModel",
    "ManifestError",
    "ModelError",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "ModelRegistry",
    "VisionModel",
    "YoloDetector",
]
