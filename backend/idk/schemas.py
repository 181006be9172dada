"""IDK scan Structs (inputs, outputs); its problems are in backend.errors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

# The image id becomes a segment of the object key, so it keeps to the store's safe alphabet.
IMAGE_ID_PATTERN = r"^[A-Za-z0-9_\-][A-Za-z0-9_\-.:@+=]{0,127}$"

ImageId = Annotated[str, msgspec.Meta(pattern=IMAGE_ID_PATTERN)]
ShortText = Annotated[str, msgspec.Meta(max_length=64)]
Pixel = Annotated[int, msgspec.Meta(ge=0)]
Extent = Annotated[int, msgspec.Meta(gt=0)]
Verdict = Literal["suspicion", "clear"]
Reason = Annotated[str, msgspec.Meta(min_length=10, max_length=4000, pattern=r"\S")]


class ScanFields(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the scanner says about an image: the same shape for uploads, batches and the seed."""

    image_id: ImageId
    scanner: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    scanned_at: datetime
    composition_number: ShortText = ""
    wagon_number: ShortText = ""
    container_numbers: Annotated[list[str], msgspec.Meta(max_length=16)] = msgspec.field(
        default_factory=list
    )


class RiskArea(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A rectangle on the image, in pixels from the top-left corner."""

    x: Pixel
    y: Pixel
    w: Extent
    h: Extent
    note: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class VerdictIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    verdict: Verdict
    risk_areas: Annotated[list[RiskArea], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )


class LinkIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A manual link. `wagon_number` / `container_numbers` name the declared units the image
    shows when the scanner recorded them wrong; the release gate then counts them as scanned."""

    declaration_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    reason: Reason
    wagon_number: ShortText = ""
    container_numbers: Annotated[list[ShortText], msgspec.Meta(max_length=16)] = msgspec.field(
        default_factory=list
    )


class UnlinkIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    reason: Reason


class LinkRecord(msgspec.Struct, frozen=True):
    declaration_id: str
    matched_on: str  # "wagon:…,container:…" when found by number, "manual" when an operator linked
    linked_at: datetime
    covers_wagon: str
    covers_containers: list[str]
    linked_by: str | None
    link_reason: str | None
    unlinked_at: datetime | None
    unlinked_by: str | None
    reason: str | None


class Anomaly(msgspec.Struct, frozen=True):
    """A region the model finds unusual, in image pixels."""

    x: int
    y: int
    w: int
    h: int
    score: float
    kind: str  # dense_block | void | organic_mass


class ConsistencyCheck(msgspec.Struct, frozen=True):
    name: str  # loaded | homogeneous | mass
    score: float
    detail: str
    # the figures behind it, for screens that word it in their own language:
    # loaded: fill of the bay vs places declared; mass: kg from the image vs kg declared;
    # homogeneous: the concealment's score vs 0
    observed: float | None = None
    declared: float | None = None


class Consistency(msgspec.Struct, frozen=True):
    """Declared goods against the image: 1 agrees, 0 contradicts, null nothing to compare."""

    score: float | None
    detail: str
    checks: list[ConsistencyCheck] = msgspec.field(default_factory=list)


class ModelRef(msgspec.Struct, frozen=True):
    name: str
    sha256: str


class ImageFigures(msgspec.Struct, frozen=True):
    """What the model reads off the image, whatever was declared."""

    fill: float | None  # share of the bay's length holding cargo; null when no bay was found
    mass_kg: float  # mass the load's attenuation implies (scanner calibration in the manifest)
    bay_fraction: float
    mean_attenuation: float  # plain image statistic inside the bay
    # raw (16-bit linear) | display (8-bit through the viewer's LUT) | inverted (turned back)
    export: str = "raw"
    # read with the scanner's own calibration (`scanner_version` of `scanner`), not defaults
    calibrated: bool = False
    scanner_version: int = 0


class Assessment(msgspec.Struct, frozen=True):
    model: ModelRef
    anomalies: list[Anomaly]
    consistency: Consistency
    # an anomaly at or over its threshold, or consistency under its threshold, that counts
    # (not advisory): this is what sends a `clear` to inspection
    flagged: bool
    reasons: list[str]
    image: ImageFigures
    thresholds: dict[str, float]
    declaration_ids: list[str]  # what the consistency was judged against
    assessed_at: datetime
    export: str = "raw"  # the image's export kind (ImageFigures.export)
    calibrated: bool = False  # the scanner was calibrated when the image was read
    # what the model saw that does not, on its own, force an inspection: everything on a
    # display export, the mass check on an uncalibrated scanner
    advisory: list[str] = msgspec.field(default_factory=list)
    # codes for the operator and the head: xray_display_export (ask for the raw export),
    # xray_inverted_export (turned back), xray_uncalibrated (mass advisory)
    warnings: list[str] = msgspec.field(default_factory=list)


class AssessmentVersion(msgspec.Struct, frozen=True):
    """One version of a scan's assessment; `why` it was made: registered (the model ran on a
    new scan), linked / unlinked (the declared goods changed), requested, recalibrated (the
    scanner's calibration changed)."""

    version: int
    why: str
    created_at: datetime
    assessment: Assessment


class UserRef(msgspec.Struct, frozen=True):
    id: str
    name: str


class ScanOut(msgspec.Struct, frozen=True):
    id: str
    image_id: str
    post_code: str
    scanner: str
    composition_number: str
    wagon_number: str
    container_numbers: list[str]
    scanned_at: datetime
    image_mime: str
    image_size: int
    image_sha256: str
    width: int
    height: int
    bit_depth: int | None
    verdict: Verdict | None
    risk_areas: list[RiskArea]
    verdict_by: UserRef | None
    verdict_at: datetime | None
    linked_declaration_ids: list[str]
    created_by: str
    created_at: datetime
    # The X-ray model's opinion; null until the model has run.
    assessment: Assessment | None
    # Every link this scan ever had, active or ended (an unlink is history, not a deletion).
    links: list[LinkRecord] = msgspec.field(default_factory=list)
    # Which version of the assessment `assessment` is (0: none yet); every version is kept.
    assessment_version: int = 0
    # The scanner's 8-digit wagon number fails its check digit (the image is kept, flagged).
    wagon_number_invalid: bool = False


class LinkedScan(msgspec.Struct, frozen=True):
    """A scan as the gate and the inspection view see it (risk areas as stored: plain dicts)."""

    id: str
    image_id: str
    wagon_number: str
    container_numbers: list[str]
    verdict: str | None
    risk_areas: list[dict[str, Any]]
    width: int
    height: int
    scanned_at: datetime


class StoredImage(msgspec.Struct, frozen=True):
    key: str
    content_type: str
    size: int
    sha256: str
    image_id: str
