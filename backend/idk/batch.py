"""A whole train composition at once: `POST /api/idk/batches`.

multipart/form-data with a field `rows` (a JSON list of scan fields) and one file part per row
named `image_<index>`. Parts are streamed to files in a temporary folder as they arrive (never
the whole body in memory, nor every image), hashed on the way. Then each row is registered on
its own, in its own transaction, exactly as a single upload is: a bad row becomes an error
result and the others still apply; a re-sent batch finds every image id already there.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import tempfile
from collections.abc import AsyncIterator
from email.message import Message
from pathlib import Path
from typing import Annotated, Any, Literal

import asyncpg
import msgspec

# `multipart` is the streaming parser Litestar itself is built on (a dependency of litestar)
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser

from backend.auth.actor import Actor
from backend.errors import BodyTooLarge, InvalidRequest, Problem
from backend.idk.schemas import ScanFields, ScanOut
from backend.idk.service import register_scan_file, upload_post
from backend.storage.base import ObjectStore

log = logging.getLogger("dosmotr.idk.batch")

MAX_ROWS = 200
MAX_FIELD = 1 << 20  # the rows field; other text fields are far smaller
FLUSH = 1 << 20
IMAGE_PART = re.compile(r"image_(0|[1-9][0-9]{0,3})")
TEXT_FIELDS = ("rows", "post_code")


class RowError(msgspec.Struct, frozen=True):
    status: int
    code: str
    title: str
    detail: str


class BatchResult(msgspec.Struct, frozen=True):
    index: int
    status: Literal["created", "existing", "error"]
    scan: ScanOut | None = None
    error: RowError | None = None


class BatchOut(msgspec.Struct, frozen=True):
    results: list[BatchResult]


class BatchRow(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One row as the scanner sends it (the same fields as a single upload, numbers as a list)."""

    image_id: str
    scanner: str
    scanned_at: str
    composition_number: str = ""
    wagon_number: str = ""
    container_numbers: Annotated[list[str], msgspec.Meta(max_length=16)] = msgspec.field(
        default_factory=list
    )


class FilePart:
    """An image part on disk, hashed as it was written."""

    def __init__(self, path: Path, limit: int) -> None:
        self.path, self.limit = path, limit
        self.size, self.too_large = 0, False
        self._hash = hashlib.sha256()
        self._buf = bytearray()
        self._fh = path.open("wb")

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    async def feed(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            self.too_large = True  # keep reading the stream, stop keeping the bytes
            self._buf.clear()
            return
        self._buf += data
        if len(self._buf) >= FLUSH:
            await self._flush()

    async def _flush(self) -> None:
        block, self._buf = bytes(self._buf), bytearray()

        def write() -> None:
            self._hash.update(block)
            self._fh.write(block)

        await asyncio.to_thread(write)

    async def close(self) -> None:
        if not self.too_large:
            await self._flush()
        await asyncio.to_thread(self._fh.close)


class Received(msgspec.Struct):
    fields: dict[str, str]
    files: dict[int, FilePart]


async def receive(
    stream: AsyncIterator[bytes], content_type: str, folder: Path, image_limit: int
) -> Received:
    """Parse the multipart stream into text fields and image files under `folder`."""
    header = Message()
    header["content-type"] = content_type or "text/plain"
    boundary = header.get_param("boundary")
    if header.get_content_type() != "multipart/form-data" or not isinstance(boundary, str) \
            or not boundary:
        raise InvalidRequest("send multipart/form-data with a boundary")
    got = Received({}, {})
    text: bytearray | None = None
    part: FilePart | None = None
    name = ""
    try:
        with PushMultipartParser(boundary, max_segment_count=MAX_ROWS + 8) as parser:
            async for chunk in stream:
                if parser.closed:
                    continue  # an epilogue after the closing boundary means nothing
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        name, text, part = event.name, None, None
                        if name in got.fields or any(f"image_{i}" == name for i in got.files):
                            raise InvalidRequest(f"part {name!r} appears twice")
                        match = IMAGE_PART.fullmatch(name)
                        if event.filename is not None or match:
                            if not match:
                                raise InvalidRequest(f"file part {name!r} is not image_<index>")
                            part = FilePart(folder / f"part-{match.group(1)}", image_limit)
                            got.files[int(match.group(1))] = part
                        elif name in TEXT_FIELDS:
                            text = bytearray()
                        else:
                            raise InvalidRequest(f"unknown field {name!r}", field=name)
                    elif event:
                        if part is not None:
                            await part.feed(event)
                        elif text is not None:
                            text += event
                            if len(text) > MAX_FIELD:
                                raise BodyTooLarge(f"field {name!r} is over {MAX_FIELD} bytes")
                    else:
                        if part is not None:
                            await part.close()
                        elif text is not None:
                            got.fields[name] = text.decode("utf-8", errors="strict")
                        part, text = None, None
            if not parser.closed:
                raise InvalidRequest("the multipart body ends before its closing boundary")
    except (ParserError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"broken multipart body: {exc}") from None
    except ParserLimitReached:
        raise InvalidRequest(f"more than {MAX_ROWS} images in one batch") from None
    finally:
        for f in got.files.values():
            if not f._fh.closed:
                f._fh.close()
    return got


def parse_rows(raw: str | None) -> list[Any]:
    if raw is None:
        raise InvalidRequest("the field 'rows' is missing", field="rows")
    try:
        rows = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise InvalidRequest(f"rows is not JSON: {exc}", field="rows") from None
    if not isinstance(rows, list) or not rows:
        raise InvalidRequest("rows is a non-empty JSON list", field="rows")
    if len(rows) > MAX_ROWS:
        raise InvalidRequest(f"at most {MAX_ROWS} rows in one batch", field="rows")
    return rows


def _fields(row: Any) -> ScanFields:
    try:
        r = msgspec.convert(row, BatchRow)
        return msgspec.convert(
            {"image_id": r.image_id.strip(), "scanner": r.scanner.strip(),
             "scanned_at": r.scanned_at.strip(), "composition_number": r.composition_number,
             "wagon_number": r.wagon_number, "container_numbers": r.container_numbers},
            ScanFields,
        )
    except msgspec.ValidationError as exc:
        raise InvalidRequest(str(exc)) from None


def _error(exc: Problem) -> RowError:
    return RowError(exc.status, exc.code, exc.title, exc.detail)


async def _one(conn: asyncpg.Connection, store: ObjectStore, actor: Actor, post_code: str,
               index: int, row: Any, part: FilePart | None) -> BatchResult:
    try:
        fields = _fields(row)
        if part is None:
            raise InvalidRequest(f"no file part image_{index} for row {index}")
        if part.too_large:
            raise BodyTooLarge(f"image_{index} is over {part.limit} bytes")
        scan, created = await register_scan_file(conn, store, actor.id, post_code, fields,
                                                  part.path, part.sha256)
    except Problem as exc:
        return BatchResult(index, "error", error=_error(exc))
    except Exception:  # one row's failure must not stop the composition
        log.exception("batch row %d failed", index)
        return BatchResult(index, "error", error=RowError(
            500, "internal_error", "Internal error", "this row failed; the error has been logged"))
    return BatchResult(index, "created" if created else "existing", scan=scan)


async def register_batch(
    conn: asyncpg.Connection, store: ObjectStore, actor: Actor, stream: AsyncIterator[bytes],
    content_type: str, tmp_root: Path, image_limit: int,
) -> BatchOut:
    await asyncio.to_thread(tmp_root.mkdir, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="idk-batch-", dir=tmp_root) as tmp:
        got = await receive(stream, content_type, Path(tmp), image_limit)
        rows = parse_rows(got.fields.get("rows"))
        orphans = sorted(i for i in got.files if i >= len(rows))
        if orphans:
            raise InvalidRequest(f"file part image_{orphans[0]} has no row")
        post_code = upload_post(actor, got.fields.get("post_code"))
        results = [await _one(conn, store, actor, post_code, i, row, got.files.get(i))
                   for i, row in enumerate(rows)]
    return BatchOut(results)
