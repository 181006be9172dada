"""tus 1.0.0 protocol details kept pure (headers in, values out), so they are unit-tested alone."""

from __future__ import annotations

import base64
from datetime import datetime
from email.utils import format_datetime

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-defer-length,checksum,expiration"
CHECKSUM_ALGORITHMS = "sha256"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
INT64_MAX = (1 << 63) - 1  # sizes and offsets are stored as bigint


class TusHeaderError(ValueError):
    """A tus header is malformed; the message says which and how."""


def parse_metadata(header: str | None) -> dict[str, str]:
    """`Upload-Metadata: key b64value,key2 b64value2` -> dict (a key may have no value)."""
    result: dict[str, str] = {}
    if not header:
        return result
    for pair in header.split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, encoded = pair.partition(" ")
        if not key or " " in encoded.strip():
            raise TusHeaderError(f"Upload-Metadata pair {pair!r} is not 'key base64'")
        try:
            value = base64.b64decode(encoded.strip(), validate=True).decode() if encoded else ""
        except (ValueError, UnicodeDecodeError) as exc:  # binascii.Error, or not ASCII at all
            raise TusHeaderError(f"Upload-Metadata value of {key!r} is not base64 UTF-8") from exc
        if key in result:
            raise TusHeaderError(f"Upload-Metadata repeats {key!r}")
        result[key] = value
    return result


def encode_metadata(values: dict[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def parse_non_negative(header: str | None, name: str) -> int | None:
    if header is None:
        return None
    value = header.strip()
    # ASCII digits only: str.isdigit() also accepts '²' and '٣', which int() refuses or reads.
    if not _is_ascii_digits(value) or len(value) > 19 or int(value) > INT64_MAX:
        raise TusHeaderError(f"{name} must be a non-negative integer below 2^63")
    return int(value)


def _is_ascii_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def parse_checksum(header: str | None) -> bytes | None:
    """`Upload-Checksum: sha256 <base64 digest>` -> the 32-byte digest."""
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm.lower() != "sha256":
        raise TusHeaderError("only sha256 checksums are supported")
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except ValueError as exc:  # binascii.Error, or not ASCII at all
        raise TusHeaderError("Upload-Checksum digest is not base64") from exc
    if len(digest) != 32:
        raise TusHeaderError("a sha256 digest has 32 bytes")
    return digest


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """One `bytes=` range -> (start, end_inclusive); None for no/ignorable header;
    'unsatisfiable' when it cannot be served (416)."""
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None  # unknown unit or multiple ranges: serve the whole (allowed by RFC 9110)
    first, dash, last = spec.strip().partition("-")
    if not dash or not all(_is_ascii_digits(p) for p in (first, last) if p):
        return None
    try:
        if first == "":
            suffix = int(last)
            if suffix <= 0:
                return "unsatisfiable"
            return max(0, size - suffix), size - 1
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start >= size:
        return "unsatisfiable"
    if start < 0 or end < start:
        return None
    return start, min(end, size - 1)
