"""A generic detector for standard YOLOv5 / YOLOv8 ONNX exports, described only by a manifest.

A customs service that trains its own detector (seals, container doors, cargo places) with the
usual tools drops `model.onnx` and a manifest into models/<name>/; nothing here changes:

    {"name": ..., "file": "model.onnx", "sha256": ..., "task": "detection",
     "input": {"size": [640, 640], "color": "RGB", "scale": 0.00392156862745098,
               "mean": [0, 0, 0], "std": [1, 1, 1], "letterbox_color": 114},
     "labels": ["seal", ...],
     "output": {"layout": "yolov8" | "yolov5", "score_threshold": 0.25,
                "iou_threshold": 0.45, "max_detections": 100}, ...}

Layouts: yolov8 is [N, 4 + classes, anchors] (cx, cy, w, h, class scores; the transposed
[N, anchors, 4 + classes] is accepted too); yolov5 is [N, anchors, 5 + classes]
(cx, cy, w, h, objectness, class probabilities). Boxes are in input pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from media_pipeline.vision.registry import (
    LoadedModel,
    ManifestError,
    ModelRegistry,
    VisionModel,
)

LAYOUTS = ("yolov8", "yolov5")


@dataclass(frozen=True)
class Detection:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in the original frame's pixels
    score: float
    class_id: int
    label: str


@dataclass(frozen=True)
class Letterbox:
    scale: float
    pad_x: float
    pad_y: float


def letterbox(
    frame: np.ndarray, size: tuple[int, int], color: int = 114
) -> tuple[np.ndarray, Letterbox]:
    """Fit `frame` into `size` (height, width) keeping its aspect, padding both sides evenly,
    as the Ultralytics exporters' own preprocessing does."""
    geometry, (nh, nw) = letterbox_geometry(frame.shape[0], frame.shape[1], size)
    resized = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_LINEAR)
    out = np.full((size[0], size[1], 3), color, np.uint8)
    top, left = int(geometry.pad_y), int(geometry.pad_x)
    out[top : top + nh, left : left + nw] = resized
    return out, geometry


def letterbox_geometry(h: int, w: int, size: tuple[int, int]) -> tuple[Letterbox, tuple[int, int]]:
    """Scale and padding for a frame of h x w; also the resized (height, width)."""
    th, tw = size
    scale = min(th / h, tw / w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    top, left = (th - nh) // 2, (tw - nw) // 2
    return Letterbox(scale, float(left), float(top)), (nh, nw)


def to_frame(
    frame_shape: tuple[int, ...], size: tuple[int, int], boxes: np.ndarray, scores: np.ndarray,
    ids: np.ndarray, keep: np.ndarray, labels: list[str] | tuple[str, ...],
) -> list[Detection]:  # fmt: skip
    """The kept boxes, from letterboxed input pixels back to the frame's own pixels."""
    geometry, _ = letterbox_geometry(frame_shape[0], frame_shape[1], size)
    h, w = frame_shape[:2]
    found = []
    for k in keep:
        x0, y0, x1, y1 = boxes[k]
        x0 = float(np.clip((x0 - geometry.pad_x) / geometry.scale, 0, w))
        x1 = float(np.clip((x1 - geometry.pad_x) / geometry.scale, 0, w))
        y0 = float(np.clip((y0 - geometry.pad_y) / geometry.scale, 0, h))
        y1 = float(np.clip((y1 - geometry.pad_y) / geometry.scale, 0, h))
        cid = int(ids[k])
        found.append(Detection((x0, y0, x1, y1), float(scores[k]), cid, labels[cid]))
    return found


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Greedy non-maximum suppression; returns kept indices, best score first."""
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    x0, y0, x1, y1 = boxes.T
    areas = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        ix0, iy0 = np.maximum(x0[i], x0[rest]), np.maximum(y0[i], y0[rest])
        ix1, iy1 = np.minimum(x1[i], x1[rest]), np.minimum(y1[i], y1[rest])
        inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
        iou = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-9)
        order = rest[iou <= iou_threshold]
    return np.array(keep, np.int64)


def decode(
    raw: np.ndarray, layout: str, n_classes: int, score_threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image's raw output -> (boxes xyxy in input pixels, scores, class ids)."""
    width = 4 + n_classes + (1 if layout == "yolov5" else 0)
    rows = raw
    if layout == "yolov8" and raw.shape[0] == width and raw.shape[1] != width:
        rows = raw.T  # the exporter's default: channels first
    if rows.ndim != 2 or rows.shape[1] != width:
        raise ValueError(f"{layout} output of shape {raw.shape} does not fit {n_classes} classes")
    if layout == "yolov5":
        class_scores = rows[:, 5:] * rows[:, 4:5]
    else:
        class_scores = rows[:, 4:]
    class_ids = class_scores.argmax(axis=1)
    scores = class_scores[np.arange(len(rows)), class_ids]
    keep = scores >= score_threshold
    cx, cy, w, h = rows[keep, 0], rows[keep, 1], rows[keep, 2], rows[keep, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return boxes.astype(np.float32), scores[keep].astype(np.float32), class_ids[keep]


def batched_nms(
    boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, iou_threshold: float
) -> np.ndarray:
    """Per-class NMS: offsetting each class far apart makes one pass suppress within classes."""
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    offset = class_ids[:, None].astype(np.float32) * (float(boxes.max()) + 1.0)
    return nms(boxes + offset, scores, iou_threshold)


class YoloDetector(VisionModel[list[list[Detection]]]):
    """`detect(frames)` -> per frame, detections sorted by score."""

    batch_size = 8

    def __init__(self, registry: ModelRegistry, name: str) -> None:
        super().__init__(registry, name)
        self.labels: list[str] = []
        self._size = (640, 640)
        self._layout = "yolov8"
        self._pad = 114
        self._scale, self._mean, self._std = 1 / 255, np.zeros(3), np.ones(3)
        self._bgr = False
        self._score, self._iou, self._max_det = 0.25, 0.45, 100

    def _configure(self, manifest: dict[str, Any]) -> None:
        out, spec = manifest["output"], manifest["input"]
        layout = str(out.get("layout", "yolov8")).lower()
        if layout not in LAYOUTS:
            raise ManifestError(f"{self.name}: output.layout {layout!r} is not one of {LAYOUTS}")
        if not manifest.get("labels"):
            raise ManifestError(f"{self.name}: a detector's manifest must list its labels")
        self.labels = [str(v) for v in manifest["labels"]]
        height, width = (int(v) for v in spec["size"])
        self._size, self._layout = (height, width), layout
        self._pad = int(spec.get("letterbox_color", 114))
        self._scale = float(spec.get("scale", 1 / 255))
        self._mean = np.asarray(spec.get("mean", (0, 0, 0)), np.float32)
        self._std = np.asarray(spec.get("std", (1, 1, 1)), np.float32)
        self._bgr = str(spec.get("color", "RGB")).upper() == "BGR"
        self._score = float(out.get("score_threshold", 0.25))
        self._iou = float(out.get("iou_threshold", 0.45))
        self._max_det = int(out.get("max_detections", 100))

    def detect(self, frames: np.ndarray) -> list[list[Detection]]:
        return self.run(frames)

    def _preprocess(self, frames: np.ndarray) -> np.ndarray:
        out = np.empty((len(frames), 3, *self._size), np.float32)
        for i, frame in enumerate(frames):
            boxed, _ = letterbox(frame, self._size, self._pad)
            if self._bgr:
                boxed = boxed[..., ::-1]
            out[i] = ((boxed.astype(np.float32) * self._scale - self._mean) / self._std).transpose(
                2, 0, 1
            )
        return out

    def _predict(self, model: LoadedModel, inputs: np.ndarray) -> list[np.ndarray]:
        name = model.session.get_inputs()[0].name
        return [model.session.run(None, {name: inputs})[0]]

    def _postprocess(
        self, outputs: list[list[np.ndarray]], frames: np.ndarray
    ) -> list[list[Detection]]:
        raw = [r for out in outputs for r in out[0]]
        results: list[list[Detection]] = []
        for frame, image_raw in zip(frames, raw, strict=True):
            boxes, scores, ids = decode(
                np.asarray(image_raw), self._layout, len(self.labels), self._score
            )
            keep = batched_nms(boxes, scores, ids, self._iou)[: self._max_det]
            results.append(to_frame(frame.shape, self._size, boxes, scores, ids, keep, self.labels))
        return results
