"""IDK scans: upload (multipart), verdict, read, image, list."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.response import Stream

from backend.auth.actor import Actor
from backend.auth.guards import roles
from backend.deps import Conn
from backend.errors import BodyTooLarge
from backend.idk import service
from backend.idk.schemas import ScanOut, ScanUpload, VerdictIn
from backend.settings import Settings

ActorRequest = Request[Actor, str, State]
READERS = ("idk_operator", "post_head", "inspector", "auditor", "admin")


def _settings_default(name: str) -> int:
    return int(next(f.default for f in msgspec.structs.fields(Settings) if f.name == name))


# Handler options are fixed when the class is defined, before any Settings exist: the ceiling
# here is the default image limit plus room for the form fields; the handler then holds the
# image to the configured `max_image_body`.
UPLOAD_BODY_CEILING = _settings_default("max_image_body") + (1 << 20)


class IdkScanController(Controller):
    path = "/api/idk/scans"
    tags = ("idk",)

    @post(
        "/",
        guards=[roles("idk_operator", "admin")],
        status_code=201,
        request_max_body_size=UPLOAD_BODY_CEILING,
    )
    async def upload(
        self,
        data: Annotated[ScanUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        request: ActorRequest,
        state: State,
        conn: Conn,
    ) -> Response[ScanOut]:
        limit = state.settings.max_image_body
        fields = data.fields()
        image = await data.image.read()
        if len(image) > limit:
            raise BodyTooLarge(f"the image is over {limit} bytes")
        scan, created = await service.upload_scan(
            conn, state.store, request.user, data.post_code, fields, image,
            data.image.content_type,
        )
        return Response(scan, status_code=201 if created else 200)

    @post("/{scan_id:str}/verdict", guards=[roles("idk_operator")], status_code=200)
    async def verdict(
        self, scan_id: str, data: VerdictIn, request: ActorRequest, conn: Conn
    ) -> ScanOut:
        return await service.give_verdict(conn, request.user, scan_id, data)

    @get("/", guards=[roles(*READERS)])
    async def list_scans(
        self,
        request: ActorRequest,
        conn: Conn,
        post_code: str | None = None,
        unlinked: bool = False,
        verdict: Literal["suspicion", "clear", "pending"] | None = None,
        limit: Annotated[int, Parameter(ge=1, le=service.LIST_LIMIT_MAX)] = 100,
    ) -> list[ScanOut]:
        return await service.list_scans(conn, request.user, post_code, unlinked, verdict, limit)

    @get("/{scan_id:str}", guards=[roles(*READERS)])
    async def get_one(self, scan_id: str, request: ActorRequest, conn: Conn) -> ScanOut:
        return await service.get_scan(conn, request.user, scan_id)

    @get("/{scan_id:str}/image", guards=[roles(*READERS)])
    async def image(
        self, scan_id: str, request: ActorRequest, state: State, conn: Conn
    ) -> Stream:
        image, chunks = await service.open_image(conn, state.store, request.user, scan_id)
        return Stream(
            chunks,
            media_type=image.content_type,
            headers={
                "Content-Length": str(image.size),
                "ETag": f'"{image.sha256}"',
                "Cache-Control": "private, max-age=3600, immutable",
                "Content-Disposition": f'inline; filename="{image.image_id}.{_ext(image.key)}"',
            },
        )


def _ext(key: str) -> str:
    return key.rsplit(".", 1)[-1]
