"""Recompute what a manifest claims from the stored bytes (memory bounded by the read size)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence

from backend.recordings.manifest import GENESIS, Chunk, chain_step
from backend.storage.base import ObjectStore

READ_SIZE = 1 << 20


class ChainResult:
    def __init__(self, chunk_hashes: list[str], head: str) -> None:
        self.chunk_hashes = chunk_hashes
        self.head = head


async def recompute_chain(
    store: ObjectStore, key: str, chunks: Sequence[Chunk], size: int
) -> ChainResult:
    """Hash the stored object chunk by chunk along the manifest's boundaries."""
    boundaries = [c.size for c in chunks]
    hashes: list[str] = []
    current = hashlib.sha256()
    remaining = boundaries[0] if boundaries else 0
    index = 0
    async for piece in store.read_range(key, 0, size - 1, chunk=READ_SIZE):
        view = memoryview(piece)
        while view:
            take = min(remaining, len(view))
            # hashlib drops the GIL for large buffers: a thread keeps the event loop free.
            if take > 64 << 10:
                await asyncio.to_thread(current.update, view[:take])
            else:
                current.update(view[:take])
            view = view[take:]
            remaining -= take
            if remaining == 0:
                hashes.append(current.hexdigest())
                current = hashlib.sha256()
                index += 1
                if index >= len(boundaries):
                    break
                remaining = boundaries[index]
        if index >= len(boundaries):
            break
    h = GENESIS
    for digest in hashes:
        h = chain_step(h, bytes.fromhex(digest))
    return ChainResult(hashes, h.hex())
