"""Identity (exterior): the container numbers, vehicle plate (road) and wagon numbers (rail)
read in the video are the declared ones.

A container matches when its full number is read with a valid ISO 6346 check digit, or when
its owner code and serial are read and the boxed check digit is missing or unreadable (the
digit is a function of the other ten, so nothing is lost). A check digit read and wrong is a
failure: a misread or a repainted door, either way not the declared container. Plates match
group by group in any order (`123 ABC 02`, the region read first, ...). Wagon numbers are read
only with a valid 8-digit check digit. Something declared and never read is a `fail`.

The people / vehicle detector adds an advisory note when no vehicle is in view (presence.py).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from contract.numbers import is_valid_container, is_valid_wagon, normalise
from contract.report import CheckResult, ParamValue, Verdict, result
from media_pipeline.checks import presence
from media_pipeline.checks.identity_read import (
    containers_read,
    plate_read,
    wagons_read,
)
from media_pipeline.context import DeclarationFacts, MediaSignals

__all__ = [
    "RapidOcrReader",
    "all_found",
    "check",
    "container_candidates",
    "is_valid_container",
    "normalise",
]

Frames = list[tuple[float, list[str]]]


def container_candidates(text: str) -> list[str]:
    """Full container numbers (check digit read) in a piece of text, confusions undone."""
    return [c.number for c in containers_read([text]) if c.digit_read]


def _frames(media: MediaSignals) -> Frames:
    """OCR lines grouped by the frame they were read in, in reading order."""
    out: Frames = []
    for t, line in media.texts:
        if out and out[-1][0] == t:
            out[-1][1].append(line)
        else:
            out.append((t, [line]))
    return out


def _container(number: str, frames: Frames) -> tuple[str, float | None, str]:
    """(status, time, what was read) for one declared container number."""
    wrong: tuple[float, str] | None = None
    partial: float | None = None
    for t, lines in frames:
        for read in containers_read(lines):
            if read.digit_read and read.number == number:
                return "matched", t, number
            if read.number[:10] == number[:10]:
                if read.digit_read:
                    wrong = wrong or (t, read.number)
                elif partial is None:
                    partial = t
    if wrong is not None:
        return "check_digit_wrong", wrong[0], wrong[1]
    if partial is not None:
        return "matched_without_check_digit", partial, number[:10]
    return "not_read", None, ""


def _plate(plate: str, frames: Frames) -> float | None:
    return next((t for t, lines in frames if plate_read(lines, plate)), None)


def _wagon(number: str, frames: Frames) -> float | None:
    for t, lines in frames:
        if any(n == number and ok for n, ok in wagons_read(lines)):
            return t
    return None


def check(
    media: MediaSignals, declaration: DeclarationFacts, ocr_available: bool,
    unread: str = "fail",
) -> CheckResult:  # fmt: skip
    """`unread` is the post policy's verdict for a declared number not read at all."""
    return presence.fold(
        _check(media, declaration, ocr_available, unread), presence.vehicle_in_exterior(media)
    )


def _check(
    media: MediaSignals, declaration: DeclarationFacts, ocr_available: bool, unread: str
) -> CheckResult:
    wanted = [normalise(c) for c in declaration.containers]
    road = declaration.post_kind == "road"
    plate = normalise(declaration.vehicle_plate or "") if road else ""
    wagons = [normalise(w) for w in declaration.wagons] if not road else []
    if not wanted and not plate and not wagons:
        return result("identity", "warn", 0.0, 1.0, "nothing declared to identify",
                      code="nothing_declared")  # fmt: skip
    if not ocr_available:
        return result("identity", "warn", 0.0, 1.0, "OCR unavailable: identity not verified",
                      code="ocr_unavailable")  # fmt: skip

    frames = _frames(media)
    fails: list[tuple[str, str]] = []  # (code, text)
    warns: list[tuple[str, str]] = []
    missed: list[tuple[str, str]] = []  # declared, not read at all: the policy says fail or warn
    times: list[tuple[float, float]] = []
    params: dict[str, ParamValue] = {}
    matched = 0
    no_digit: list[str] = []

    for number in wanted:
        if not is_valid_container(number):
            warns.append(("declared_check_digit_invalid",
                          f"declared {number} has an invalid check digit"))  # fmt: skip
        status, t, read = _container(number, frames)
        if t is not None:
            times.append((t, t))
        if status == "matched":
            matched += 1
        elif status == "matched_without_check_digit":
            matched += 1
            no_digit.append(number)
        elif status == "check_digit_wrong":
            fails.append(("container_check_digit_invalid",
                          f"{number} declared, {read} read (check digit invalid)"))  # fmt: skip
        else:
            missed.append(("container_not_read", f"{number} not read in the video"))
    extra = _extra_containers(frames, wanted)
    if extra:
        warns.append(("container_not_declared", f"also read {', '.join(extra)} (not declared)"))

    if plate:
        hit = _plate(plate, frames)
        if hit is None:
            missed.append(("plate_not_read",
                           f"plate {declaration.vehicle_plate} not read in the video"))  # fmt: skip
        else:
            matched += 1
            times.append((hit, hit))

    for number in wagons:
        if not is_valid_wagon(number):
            warns.append(("declared_wagon_invalid", f"declared wagon {number} fails its check digit"))
        hit = _wagon(number, frames)
        if hit is None:
            missed.append(("wagon_not_read", f"wagon {number} not read in the video"))
        else:
            matched += 1
            times.append((hit, hit))
    if wagons:
        others = sorted({n for _, lines in frames for n, ok in wagons_read(lines) if ok} - set(wagons))
        if others:
            params["wagons_not_declared"] = ", ".join(others)  # neighbours are filmed too

    if unread == "warn":
        warns = missed + warns
    else:
        fails += missed
    if no_digit:
        params["check_digit_not_read"] = ", ".join(no_digit)
    total = len(wanted) + (1 if plate else 0) + len(wagons)
    params |= {"declared": total, "matched": matched}
    findings = fails + warns
    verdict: Verdict = "fail" if fails else "warn" if warns else "pass"
    shown = wanted + ([declaration.vehicle_plate or ""] if plate else []) + wagons
    detail = "; ".join(text for _, text in findings) or "read: " + ", ".join(shown)
    if verdict == "pass" and "check_digit_not_read" in params:
        detail += " (check digit not read for " + str(params["check_digit_not_read"]) + ")"
    code = findings[0][0] if findings else "identity_matched"
    return result("identity", verdict, matched / total, 1.0, detail, times, code=code,
                  params=params)  # fmt: skip


def _extra_containers(frames: Frames, wanted: Sequence[str]) -> list[str]:
    valid = []
    for _, lines in frames:
        for read in containers_read(lines):
            if read.valid and read.number not in wanted and read.number not in valid:
                valid.append(read.number)
    return valid


def all_found(media_texts: list[tuple[float, str]], declaration: DeclarationFacts) -> bool:
    """Lets the sampler stop running OCR once every declared number has been read in full."""
    frames: Frames = []
    for t, line in media_texts:
        if frames and frames[-1][0] == t:
            frames[-1][1].append(line)
        else:
            frames.append((t, [line]))
    road = declaration.post_kind == "road"
    plate = normalise(declaration.vehicle_plate or "") if road else ""
    wagons = [] if road else [normalise(w) for w in declaration.wagons]
    return (
        all(_container(normalise(c), frames)[0] == "matched" for c in declaration.containers)
        and (not plate or _plate(plate, frames) is not None)
        and all(_wagon(w, frames) is not None for w in wagons)
    )


class RapidOcrReader:
    """`TextReader` over rapidocr-onnxruntime, whose wheel carries its ONNX models.

    Small text is read twice: every line found under `ENLARGE_BELOW_PX` tall is cropped with
    room to its right (where a boxed check digit sits), enlarged to about `TARGET_PX` and read
    again; those lines follow the frame's own. Loaded lazily under a lock (the worker may
    validate in several threads) and warmed up.
    """

    name = "rapidocr-onnxruntime"
    ENLARGE_BELOW_PX = 26  # capitals under ~20 px; larger text reads as well without
    TARGET_PX = 48
    MAX_CROPS = 4

    def __init__(self, enlarge: bool = True) -> None:
        self._engine: object | None = None
        self._lock = threading.Lock()
        self.enlarge = enlarge

    def _load(self) -> object:
        with self._lock:
            if self._engine is None:
                from rapidocr_onnxruntime import RapidOCR

                engine = RapidOCR()
                engine(np.full((64, 128, 3), 255, np.uint8), use_cls=False)
                self._engine = engine
            return self._engine

    def _run(self, bgr: np.ndarray) -> list[tuple[np.ndarray, str]]:
        found, _ = self._load()(bgr, use_cls=False)  # type: ignore[operator]
        return [(np.asarray(line[0], np.float32), str(line[1])) for line in (found or [])]

    def read(self, rgb: np.ndarray) -> list[str]:
        first, enlarged = self.read_passes(rgb)
        return first + enlarged

    def read_passes(self, rgb: np.ndarray) -> tuple[list[str], list[str]]:
        """(lines of the whole frame, lines of the enlarged crops of its small text)."""
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        first = self._run(bgr)
        lines = [text for _, text in first]
        if not self.enlarge:
            return lines, []
        small = [(box, text) for box, text in first
                 if _box_height(box) < self.ENLARGE_BELOW_PX and sum(c.isalnum() for c in text) >= 2]  # fmt: skip
        small.sort(key=lambda bt: -sum(c.isalnum() for c in bt[1]))
        enlarged: list[str] = []
        for box, _ in small[: self.MAX_CROPS]:
            crop = _crop_enlarged(bgr, box, self.TARGET_PX)
            if crop is not None:
                enlarged += [text for _, text in self._run(crop)]
        return lines, enlarged

    @classmethod
    def model_refs(cls) -> list[tuple[str, str]]:
        import rapidocr_onnxruntime

        folder = Path(rapidocr_onnxruntime.__file__).parent / "models"
        refs = []
        for f in sorted(folder.glob("*.onnx")):
            if "_cls_" in f.name:
                continue  # not used: text in our frames is upright
            refs.append((f"{cls.name}/{f.stem}", hashlib.sha256(f.read_bytes()).hexdigest()))
        return refs


def _box_height(box: np.ndarray) -> float:
    return float(np.linalg.norm(box[3] - box[0]) + np.linalg.norm(box[2] - box[1])) / 2


def _crop_enlarged(bgr: np.ndarray, box: np.ndarray, target_px: int) -> np.ndarray | None:
    h = max(_box_height(box), 1.0)
    x0, y0 = box.min(axis=0)
    x1, y1 = box.max(axis=0)
    fh, fw = bgr.shape[:2]
    left, right = int(max(0, x0 - 0.6 * h)), int(min(fw, x1 + 2.5 * h))
    top, bottom = int(max(0, y0 - 0.6 * h)), int(min(fh, y1 + 0.6 * h))
    if right - left < 4 or bottom - top < 4:
        return None
    scale = min(4.0, target_px / h)
    crop = bgr[top:bottom, left:right]
    return cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
