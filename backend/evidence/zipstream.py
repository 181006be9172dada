"""Write a package as a zip stream: memory bounded by one read of the object store (1 MiB).

zipfile writes to a sink without seek (so it uses data descriptors); every write is handed on
as soon as it is made. Compression and CRCs run in a thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import zipfile
from collections.abc import AsyncIterator

from backend.evidence import layout
from backend.evidence.package import PackagePlan
from backend.storage.base import ObjectStore

READ_SIZE = 1 << 20


class _Sink:
    """A write-only file that keeps what zipfile wrote until it is taken."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


async def stream_zip(store: ObjectStore, plan: PackagePlan) -> AsyncIterator[bytes]:
    async for data in _zip(store, plan):
        if data:  # an empty chunk would read as the end of a chunked body
            yield data


async def _zip(store: ObjectStore, plan: PackagePlan) -> AsyncIterator[bytes]:
    sink = _Sink()
    stamp = plan.generated_at.timetuple()[:6]
    zf = zipfile.ZipFile(sink, "w", allowZip64=True)  # type: ignore[call-overload]

    def info(name: str, size: int, compress: int) -> zipfile.ZipInfo:
        zi = zipfile.ZipInfo(name, date_time=stamp)
        zi.compress_type, zi.file_size = compress, size
        zi.external_attr = 0o444 << 16  # read-only, like the evidence it holds
        return zi

    for name, data in [(layout.SUMS, plan.sums()), *plan.small]:
        await asyncio.to_thread(zf.writestr, info(name, len(data), zipfile.ZIP_DEFLATED), data)
        yield sink.take()
    for member in plan.stored:
        # Videos and images are compressed already: stored as they are.
        zi = info(member.name, member.size, zipfile.ZIP_STORED)
        writer = await asyncio.to_thread(zf.open, zi, "w", force_zip64=member.size > 1 << 30)
        async for piece in store.read_range(member.key, 0, member.size - 1, chunk=READ_SIZE):
            await asyncio.to_thread(writer.write, piece)
            yield sink.take()
        await asyncio.to_thread(writer.close)
        yield sink.take()
    await asyncio.to_thread(zf.close)
    yield sink.take()
