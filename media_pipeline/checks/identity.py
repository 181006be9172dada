"""Identity (exterior): the container numbers and vehicle plate read in the video are the
declared ones. Container numbers are accepted only with a valid ISO 6346 check digit, which
also catches OCR misreads and repainted numbers."""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path

import cv2
import numpy as np

from contract.report import CheckResult, Verdict, result
from media_pipeline.context import DeclarationFacts, MediaSignals

# ISO 6346 letter values: 10 upwards, skipping multiples of 11.
_LETTER_VALUES: dict[str, int] = {}
_v = 10
for _c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    if _v % 11 == 0:
        _v += 1
    _LETTER_VALUES[_c] = _v
    _v += 1

_FORMAT = re.compile(r"^[A-Z]{3}[UJZ][0-9]{7}$")
# OCR confusions, resolved by position: letters in the owner code, digits in the serial
_AS_LETTER = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G"})
_AS_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2",
                           "S": "5", "B": "8", "G": "6", "T": "7"})  # fmt: skip


def iso6346_check_digit(first10: str) -> int:
    """Check digit of owner code + category + serial (10 characters)."""
    total = 0
    for i, ch in enumerate(first10.upper()):
        value = _LETTER_VALUES[ch] if ch.isalpha() else int(ch)
        total += value * (1 << i)
    return total % 11 % 10


def is_valid_container(number: str) -> bool:
    n = normalise(number)
    return bool(_FORMAT.match(n)) and iso6346_check_digit(n[:10]) == int(n[10])


def normalise(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def container_candidates(text: str) -> list[str]:
    """11-character windows that look like a container number once OCR confusions are undone."""
    s = normalise(text)
    out: list[str] = []
    for i in range(len(s) - 10):
        w = s[i : i + 11]
        fixed = w[:4].translate(_AS_LETTER) + w[4:].translate(_AS_DIGIT)
        if _FORMAT.match(fixed) and fixed not in out:
            out.append(fixed)
    return out


def _frame_texts(media: MediaSignals) -> dict[float, str]:
    # one string per frame: a check digit boxed apart is often read as its own line
    joined: dict[float, str] = {}
    for t, line in media.texts:
        joined[t] = joined.get(t, "") + " " + line
    return joined


def check(media: MediaSignals, declaration: DeclarationFacts, ocr_available: bool) -> CheckResult:
    wanted = [normalise(c) for c in declaration.containers]
    plate = normalise(declaration.vehicle_plate or "") if declaration.post_kind == "road" else ""
    if not wanted and not plate:
        return result("identity", "warn", 0.0, 1.0, "nothing declared to identify")
    if not ocr_available:
        return result("identity", "warn", 0.0, 1.0, "OCR unavailable: identity not verified")

    frames = _frame_texts(media)
    seen: dict[str, float] = {}
    for t, text in sorted(frames.items()):
        for cand in container_candidates(text):
            seen.setdefault(cand, t)
    valid = {c: t for c, t in seen.items() if is_valid_container(c)}
    fails: list[str] = []
    warns: list[str] = []
    times: list[tuple[float, float]] = []
    matched = 0

    for number in wanted:
        if not is_valid_container(number):
            warns.append(f"declared {number} has an invalid check digit")
        if number in valid:
            matched += 1
            times.append((valid[number], valid[number]))
            continue
        near = [c for c in seen if c[:10] == number[:10] or c[4:10] == number[4:10]]
        if near:
            read = near[0]
            why = "check digit invalid" if not is_valid_container(read) else "different number"
            fails.append(f"{number} declared, {read} read ({why})")
            times.append((seen[read], seen[read]))
        else:
            fails.append(f"{number} not read in the video")
    extra = [c for c in valid if c not in wanted]
    if extra:
        warns.append(f"also read {', '.join(extra)} (not declared)")

    if plate:
        hit = next((t for t, text in sorted(frames.items()) if plate in normalise(text)), None)
        if hit is None:
            fails.append(f"plate {declaration.vehicle_plate} not read in the video")
        else:
            matched += 1
            times.append((hit, hit))

    score = matched / (len(wanted) + (1 if plate else 0))
    verdict: Verdict = "fail" if fails else "warn" if warns else "pass"
    detail = "; ".join(fails + warns) or "read: " + ", ".join(
        wanted + ([declaration.vehicle_plate or ""] if plate else [])
    )
    return result("identity", verdict, score, 1.0, detail, times)


def all_found(media_texts: list[tuple[float, str]], declaration: DeclarationFacts) -> bool:
    """Lets the sampler stop running OCR once every declared number has been read."""
    text = " ".join(t for _, t in media_texts)
    wanted = [normalise(c) for c in declaration.containers]
    found = set(container_candidates(text))
    plate = normalise(declaration.vehicle_plate or "") if declaration.post_kind == "road" else ""
    return all(w in found for w in wanted) and (not plate or plate in normalise(text))


class RapidOcrReader:
    """`TextReader` over rapidocr-onnxruntime, whose wheel carries its ONNX models.

    Loaded lazily under a lock (the worker may validate in several threads) and warmed up.
    """

    name = "rapidocr-onnxruntime"

    def __init__(self) -> None:
        self._engine: object | None = None
        self._lock = threading.Lock()

    def _load(self) -> object:
        with self._lock:
            if self._engine is None:
                from rapidocr_onnxruntime import RapidOCR

                engine = RapidOCR()
                engine(np.full((64, 128, 3), 255, np.uint8), use_cls=False)
                self._engine = engine
            return self._engine

    def read(self, rgb: np.ndarray) -> list[str]:
        engine = self._load()
        found, _ = engine(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), use_cls=False)  # type: ignore[operator]
        return [str(line[1]) for line in (found or [])]

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
