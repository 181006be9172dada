"""The inputs to checks.

`CheckContext` is what the backend knows from its database (manifest, intake facts, the
phase's rules, declaration): the contract's Structs (`contract.manifest`, `contract.policy`)
built from rows.
`MediaSignals` is what the pipeline measured in the file. Checks are pure functions of both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

import msgspec
import numpy as np

from contract.geo import Polygon
from contract.manifest import Manifest, Marker, TrackPoint
from contract.phases import Phase
from contract.policy import PhaseRules
from media_pipeline.argv import FramePlan
from media_pipeline.frames import FrameStats
from media_pipeline.packets import Packets
from media_pipeline.probe import ProbeInfo

OCCUPANCY_LABELS = ("empty", "partial", "loaded")
# The phase's rules (min seconds, tolerances) as the checks read them; the name the checks use.
Policy = PhaseRules

__all__ = [
    "OCCUPANCY_LABELS",
    "CheckContext",
    "DeclarationFacts",
    "IntakeFacts",
    "Manifest",
    "Marker",
    "MediaSignals",
    "Models",
    "Phase",
    "Policy",
    "Polygon",
    "SeenObjects",
    "TrackPoint",
]


class IntakeFacts(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Established by the backend when the recording was registered."""

    hash_ok: bool
    chain_ok: bool
    signature_ok: bool
    device_approved: bool
    server_received_at: datetime


class DeclarationFacts(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    places: int
    containers: tuple[str, ...] = ()
    vehicle_plate: str | None = None
    post_kind: Literal["road", "rail"] = "road"
    wagons: tuple[str, ...] = ()


class CheckContext(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    phase: Phase
    manifest: Manifest
    intake: IntakeFacts
    policy: PhaseRules
    declaration: DeclarationFacts
    post_code: str = ""  # whose real footage a model must be proven on to be binding


class SeenObjects(msgspec.Struct, frozen=True):
    """What the people / vehicle detector found in one sampled frame (advisory)."""

    t: float
    people: int
    vehicles: int
    best_person: float = 0.0
    best_vehicle: float = 0.0


class MediaSignals(msgspec.Struct, frozen=True):
    """What was measured in the file; vision outputs are aligned with `frames`."""

    probe: ProbeInfo
    duration: float
    file_size: int
    packets: Packets
    plan: FramePlan
    frames: tuple[FrameStats, ...]
    occupancy: np.ndarray | None = None  # [N, 3] probabilities in OCCUPANCY_LABELS order
    counts: np.ndarray | None = None  # [N] cargo places visible
    texts: tuple[tuple[float, str], ...] = ()  # OCR lines with their video time
    # detector results on a subset of the samples; None when no detector ran
    detections: tuple[SeenObjects, ...] | None = None

    def sample_interval(self) -> float:
        if len(self.frames) < 2:
            return self.duration
        return float(np.median(np.diff([f.t for f in self.frames])))


class OccupancyModel(Protocol):
    def predict(self, frames: np.ndarray) -> np.ndarray: ...


class CargoCounterModel(Protocol):
    def count(self, frames: np.ndarray) -> np.ndarray: ...


class TextReader(Protocol):
    def read(self, rgb: np.ndarray) -> list[str]: ...


class ObjectDetector(Protocol):
    """Per frame, detections with `.label` and `.score` (media_pipeline.vision.Detection)."""

    def detect(self, frames: np.ndarray) -> list[list[Any]]: ...


class Models(msgspec.Struct):
    """The inference back-ends `validate` may use; one may be absent (its checks then say
    `unavailable`), and the worker refuses to start without the required ones."""

    occupancy: OccupancyModel | None = None
    counter: CargoCounterModel | None = None
    ocr: TextReader | None = None
    detector: ObjectDetector | None = None
    # role ("occupancy", "counter", "ocr") -> (name, sha256) of the model files behind it
    refs: dict[str, tuple[tuple[str, str], ...]] = msgspec.field(default_factory=dict)
    # role -> why its back-end is absent (file missing, sha256 mismatch, OCR not installed):
    # its checks say `unavailable` with that reason (media_pipeline.availability)
    missing: dict[str, str] = msgspec.field(default_factory=dict)
    # role -> the same reason as a code (availability.MISSING_REASONS), which screens translate
    missing_codes: dict[str, str] = msgspec.field(default_factory=dict)
