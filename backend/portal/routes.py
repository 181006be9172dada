"""Portal reads: `POST /api/idk/portal-reads` (the scanner's account sends what its RFID
readers and number cameras saw) and `GET /api/idk/portal-reads?scan_id=` (where each number
of a scan came from)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State

from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.deps import Conn
from backend.portal import service
from backend.portal.schemas import PortalReadIn, PortalReadOut, ScanNumbers

ActorRequest = Request[Actor, str, State]


class PortalReadController(Controller):
    path = "/api/idk/portal-reads"
    tags = ("idk",)

    @post("/", guards=[may("idk.portal_read.send")])
    async def send(self, data: PortalReadIn, request: ActorRequest,
                   conn: Conn) -> Response[PortalReadOut]:
        """201 for a new read, 200 when the same read is sent again (a replay)."""
        read, created = await service.record_read(conn, request.user, data)
        return Response(read, status_code=201 if created else 200)

    @get("/", guards=[may("idk.read")])
    async def of_scan(self, scan_id: str, request: ActorRequest, conn: Conn) -> ScanNumbers:
        return await service.scan_numbers(conn, request.user, scan_id)
