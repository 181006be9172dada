"""POST /api/recordings/{id}/checks/{check}/attestation; GET .../frames and .../frames/{i}."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State

from backend.attestations import service
from backend.attestations.schemas import AttestationIn, AttestationOut, ConfirmationView
from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.deps import Conn

ActorRequest = Request[Actor, str, State]


class CheckAttestationController(Controller):
    path = "/api/recordings/{recording_id:str}/checks/{check:str}"
    tags = ["attestations"]

    @post("/attestation", guards=[may("check.attest")], status_code=201)
    async def attest(
        self, recording_id: str, check: str, data: AttestationIn, request: ActorRequest,
        conn: Conn,
    ) -> AttestationOut:  # fmt: skip
        """A person's answer to an advisory check (an attestation, not an override)."""
        return await service.attest(
            conn, request.app.state.store, request.user, recording_id, check, data
        )

    @get("/frames", guards=[may("check.frames")])
    async def frames(
        self, recording_id: str, check: str, request: ActorRequest, conn: Conn
    ) -> ConfirmationView:
        """The check of the latest report, the frames that matter, and any answer given."""
        return await service.view(conn, request.app.state.store, request.user, recording_id, check)

    @get("/frames/{index:int}", guards=[may("check.frames")])
    async def frame(
        self, recording_id: str, check: str, index: int, request: ActorRequest, conn: Conn
    ) -> Response[bytes]:
        body = await service.frame(
            conn, request.app.state.store, request.user, recording_id, check, index
        )
        return Response(body, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=300"})
