"""IDK scanner calibration: `GET/PUT /api/idk/scanners/{scanner}` (admin sets; post heads
read their own post's scanners, auditors every one)."""

from __future__ import annotations

from litestar import Controller, Request, get, put
from litestar.datastructures import State

from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.deps import Conn
from backend.idk import scanners
from backend.idk.scanners import ScannerIn, ScannerWithHistory

ActorRequest = Request[Actor, str, State]


class IdkScannerController(Controller):
    path = "/api/idk/scanners"
    tags = ("idk",)

    @get("/{scanner_id:str}", guards=[may("idk.scanner.read")])
    async def get_one(self, scanner_id: str, request: ActorRequest, conn: Conn) -> ScannerWithHistory:
        return await scanners.get_scanner(conn, request.user, scanner_id)

    @put("/{scanner_id:str}", guards=[may("idk.scanner.set")], status_code=200)
    async def put_one(
        self, scanner_id: str, data: ScannerIn, request: ActorRequest, conn: Conn
    ) -> ScannerWithHistory:
        """Set the scanner's calibration: a new version each time, the old ones kept."""
        return await scanners.put_scanner(conn, request.user, scanner_id, data)
