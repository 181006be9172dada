"""What every CSV/XLSX export shares: cells that never start a formula, and a write-only
workbook streamed back in chunks from a temporary file (built off the event loop)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
READ_SIZE = 1 << 20


def safe(value: Any) -> Any:
    """A CSV cell never starts a formula (CSV/formula injection): such text gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def cell(ws: Any, value: Any) -> WriteOnlyCell:
    """An XLSX cell; text is stored as text, never as a formula, whatever it starts with."""
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        c.data_type = "s"
    return c


async def stream_workbook(wb: Workbook) -> AsyncIterator[bytes]:
    fd, name = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    path = Path(name)
    try:
        await asyncio.to_thread(wb.save, path)
        f = await asyncio.to_thread(path.open, "rb")
        try:
            while data := await asyncio.to_thread(f.read, READ_SIZE):
                yield data
        finally:
            await asyncio.to_thread(f.close)
    finally:
        await asyncio.to_thread(path.unlink, True)
