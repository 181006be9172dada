"""NanoDet-m (COCO-80) behind the detector interface, with its own decoder.

The network's head gives, per stride (8, 16, 32) and grid cell, sigmoid class scores and
for each side of the box (left, top, right, bottom) a distribution over `reg_max + 1`
distance bins (Generalised Focal Loss): the distance is the expectation of the softmax over
the bins, in strides, measured from the cell's centre. Decoding and NMS run in numpy.

    NanoDetDetector(registry).detect(frames)   # per frame, Detections sorted by score

The model knows people and vehicles (person, car, truck, bus, train, ...), not boxes, cartons
or pallets (models/nanodet/CARD.md). Blocking (onnxruntime): call it off the event loop.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from media_pipeline.vision.registry import LoadedModel, ManifestError, ModelRegistry, VisionModel
from media_pipeline.vision.yolo import Detection, batched_nms, letterbox, to_frame

LAYOUT = "nanodet-gfl"
PEOPLE = frozenset({"person"})
VEHICLES = frozenset({"car", "truck", "bus", "train"})


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def centres(side: int, stride: int) -> np.ndarray:
    """[cells, 2] (x, y) of each cell's centre in input pixels, row-major like the head."""
    cells = side // stride
    ys, xs = np.mgrid[0:cells, 0:cells]
    return (np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32) + 0.5) * stride


def decode_level(
    cls: np.ndarray, reg: np.ndarray, side: int, stride: int, reg_max: int, score_threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One stride's outputs for one image -> (boxes xyxy in input pixels, scores, class ids).

    `cls` is [cells, classes] (sigmoid scores); `reg` is [cells, 4 * (reg_max + 1)].
    """
    bins = reg_max + 1
    if reg.shape[1] != 4 * bins or cls.shape[0] != reg.shape[0]:
        raise ValueError(f"stride {stride}: outputs {cls.shape} / {reg.shape} do not fit")
    class_ids = cls.argmax(axis=1)
    scores = cls[np.arange(len(cls)), class_ids]
    keep = np.flatnonzero(scores >= score_threshold)
    if keep.size == 0:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64)
    dist = _softmax(reg[keep].reshape(-1, 4, bins), axis=2) @ np.arange(bins, dtype=np.float32)
    dist *= stride  # [k, 4]: left, top, right, bottom
    c = centres(side, stride)[keep]
    boxes = np.concatenate([c - dist[:, :2], c + dist[:, 2:]], axis=1)
    return boxes.astype(np.float32), scores[keep].astype(np.float32), class_ids[keep]


class NanoDetDetector(VisionModel[list[list[Detection]]]):
    """`detect(frames)` -> per frame, detections sorted by score, boxes in frame pixels."""

    model_name = "nanodet"
    batch_size = 1  # the converted graph has a fixed batch of one

    def __init__(self, registry: ModelRegistry, name: str | None = None) -> None:
        super().__init__(registry, name)
        self.labels: list[str] = []
        self._side = 320
        self._strides: tuple[int, ...] = (8, 16, 32)
        self._reg_max = 10
        self._mean = np.zeros(3, np.float32)
        self._std = np.ones(3, np.float32)
        self._scale = 1.0
        self._bgr = True
        self._pad = 0
        self._score, self._iou, self._max_det = 0.35, 0.6, 100
        self._outputs: list[str] = []

    def _configure(self, manifest: dict[str, Any]) -> None:
        out, spec = manifest["output"], manifest["input"]
        if str(out.get("layout")) != LAYOUT:
            raise ManifestError(f"{self.name}: output.layout must be {LAYOUT!r}")
        labels = [str(v) for v in manifest.get("labels", [])]
        if not labels:
            raise ManifestError(f"{self.name}: a detector's manifest must list its labels")
        height, width = (int(v) for v in spec["size"])
        if height != width:
            raise ManifestError(f"{self.name}: NanoDet's input is square, not {height}x{width}")
        self.labels, self._side = labels, height
        self._strides = tuple(int(s) for s in out.get("strides", (8, 16, 32)))
        self._reg_max = int(out.get("reg_max", 10))
        self._scale = float(spec.get("scale", 1.0))
        self._mean = np.asarray(spec.get("mean", (0, 0, 0)), np.float32)
        self._std = np.asarray(spec.get("std", (1, 1, 1)), np.float32)
        self._bgr = str(spec.get("color", "BGR")).upper() == "BGR"
        self._pad = int(spec.get("letterbox_color", 0))
        self._score = float(out.get("score_threshold", 0.35))
        self._iou = float(out.get("iou_threshold", 0.6))
        self._max_det = int(out.get("max_detections", 100))
        self._outputs = [f"{head}_{s}" for s in self._strides for head in ("cls", "reg")]

    def detect(self, frames: np.ndarray) -> list[list[Detection]]:
        return self.run(frames)

    def _preprocess(self, frames: np.ndarray) -> np.ndarray:
        out = np.empty((len(frames), 3, self._side, self._side), np.float32)
        for i, frame in enumerate(frames):
            boxed, _ = letterbox(frame, (self._side, self._side), self._pad)
            if self._bgr:
                boxed = boxed[..., ::-1]
            x = (boxed.astype(np.float32) * self._scale - self._mean) / self._std
            out[i] = x.transpose(2, 0, 1)
        return out

    def _predict(self, model: LoadedModel, inputs: np.ndarray) -> list[np.ndarray]:
        name = model.session.get_inputs()[0].name
        return list(model.session.run(self._outputs, {name: inputs}))

    def _postprocess(
        self, outputs: list[list[np.ndarray]], frames: np.ndarray
    ) -> list[list[Detection]]:
        results: list[list[Detection]] = []
        for frame, out in zip(frames, outputs, strict=True):
            levels = [
                decode_level(
                    out[2 * k][0], out[2 * k + 1][0], self._side, stride, self._reg_max,
                    self._score,
                )
                for k, stride in enumerate(self._strides)
            ]  # fmt: skip
            boxes = np.concatenate([lv[0] for lv in levels])
            scores = np.concatenate([lv[1] for lv in levels])
            ids = np.concatenate([lv[2] for lv in levels])
            keep = batched_nms(boxes, scores, ids, self._iou)[: self._max_det]
            results.append(self._to_frame(frame, boxes, scores, ids, keep))
        return results

    def _to_frame(
        self, frame: np.ndarray, boxes: np.ndarray, scores: np.ndarray, ids: np.ndarray,
        keep: np.ndarray,
    ) -> list[Detection]:  # fmt: skip
        return to_frame(frame.shape, (self._side,) * 2, boxes, scores, ids, keep, self.labels)
