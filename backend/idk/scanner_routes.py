"""IDK scanner calibration: `GET/PUT /api/idk/scanners/{scanner}` (admin sets; post heads
read their own post's scanners, auditors every one)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, put
from litestar.datastructures import State

from backend.auth.actor import Actor
from backend.deps import Conn
from backend.errors import Forbidden
from backend.idk import scanners
from backend.idk.scanners import ScannerIn, ScannerWithHistory

ActorRequest = Request[Actor, str, State]

# Who may: the admin sets; post heads read their own post's scanners (the service scopes the
# post), auditors read every one. Kept here until the shared permissions table lists them.
SCANNER_ACTIONS = {"idk.scanner.read": frozenset({"admin", "post_head", "auditor"}),
                   "idk.scanner.set": frozenset({"admin"})}


def may(action: str) -> Any:
    allowed = SCANNER_ACTIONS[action]

    def guard(connection: Any, _: Any) -> None:
        actor: Actor = connection.user
        if actor.role not in allowed:
            raise Forbidden(f"role {actor.role} may not call this endpoint")

    guard.__name__ = "may_" + action.replace(".", "_")
    return guard


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
