"""IDK scans: upload (one image or a whole composition), verdict, links, read, image, list,
conclusion."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.response import Stream

from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.deps import Conn
from backend.errors import BodyTooLarge, InvalidRequest
from backend.idk import conclusion_service, linking, service
from backend.idk.batch import MAX_ROWS, BatchOut, register_batch
from backend.idk.display import open_display
from backend.idk.schemas import (
    AssessmentVersion,
    LinkIn,
    ScanFields,
    ScanOut,
    UnlinkIn,
    VerdictIn,
)
from backend.settings import Settings

ActorRequest = Request[Actor, str, State]


class ScanUpload(msgspec.Struct, forbid_unknown_fields=True):
    """The multipart form of `POST /api/idk/scans`; `container_numbers` comma-separated."""

    image: UploadFile
    image_id: str
    scanner: str
    scanned_at: str
    composition_number: str = ""
    wagon_number: str = ""
    container_numbers: str = ""
    post_code: str | None = None

    def fields(self) -> ScanFields:
        raw = {
            "image_id": self.image_id.strip(),
            "scanner": self.scanner.strip(),
            "scanned_at": self.scanned_at.strip(),
            "composition_number": self.composition_number.strip(),
            "wagon_number": self.wagon_number,
            "container_numbers": [c for c in self.container_numbers.split(",") if c.strip()],
        }
        try:
            return msgspec.convert(raw, ScanFields)
        except msgspec.ValidationError as exc:
            raise InvalidRequest(str(exc)) from None



def _settings_default(name: str) -> int:
    return int(next(f.default for f in msgspec.structs.fields(Settings) if f.name == name))


# Handler options are fixed when the class is defined, before any Settings exist: the ceiling
# here is the default image limit plus room for the form fields; the handler then holds the
# image to the configured `max_image_body`.
UPLOAD_BODY_CEILING = _settings_default("max_image_body") + (1 << 20)
# A composition streams to disk part by part; the configured limit holds each image.
BATCH_BODY_CEILING = MAX_ROWS * UPLOAD_BODY_CEILING


class IdkScanController(Controller):
    path = "/api/idk"
    tags = ("idk",)

    @post(
        "/scans",
        guards=[may("idk.upload")],
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

    @post(
        "/batches",
        guards=[may("idk.upload")],
        status_code=200,
        request_max_body_size=BATCH_BODY_CEILING,
    )
    async def batch(self, request: ActorRequest, state: State, conn: Conn) -> BatchOut:
        """multipart/form-data: `rows` (JSON list of scan fields: image_id, scanner,
        composition_number, wagon_number, container_numbers [list], scanned_at) and one file
        part `image_<index>` per row; an admin adds `post_code`. Each row applies on its own."""
        settings = state.settings
        return await register_batch(
            conn, state.store, request.user, request.stream(),
            request.headers.get("content-type", ""), settings.data_dir / "tmp",
            settings.max_image_body,
        )

    @post("/scans/{scan_id:str}/verdict", guards=[may("idk.verdict")], status_code=200)
    async def verdict(
        self, scan_id: str, data: VerdictIn, request: ActorRequest, state: State, conn: Conn
    ) -> ScanOut:
        return await service.give_verdict(conn, request.user, scan_id, data, state.store)

    @post("/scans/{scan_id:str}/links", guards=[may("idk.link")], status_code=200)
    async def link(self, scan_id: str, data: LinkIn, request: ActorRequest, conn: Conn) -> ScanOut:
        await linking.link_manually(conn, request.user, scan_id, data)
        return await service.get_scan(conn, request.user, scan_id)

    @delete(
        "/scans/{scan_id:str}/links/{declaration_id:str}", guards=[may("idk.link")],
        status_code=200,
    )
    async def unlink(
        self, scan_id: str, declaration_id: str, request: ActorRequest, conn: Conn,
        data: UnlinkIn | None = None,
        reason: Annotated[str | None, Parameter(query="reason", max_length=4000)] = None,
    ) -> ScanOut:
        """The reason comes in the body `{reason}` or as `?reason=`."""
        said = data.reason if data is not None else reason
        try:
            checked = msgspec.convert({"reason": said}, UnlinkIn) if said is not None else None
        except msgspec.ValidationError as exc:
            raise InvalidRequest(str(exc), field="reason") from None
        if checked is None:
            raise InvalidRequest("unlinking needs a reason", field="reason")
        await linking.unlink(conn, request.user, scan_id, declaration_id, checked.reason)
        return await service.get_scan(conn, request.user, scan_id)

    @get("/scans/{scan_id:str}/conclusion.pdf", guards=[may("idk.read")])
    async def conclusion_pdf(
        self, scan_id: str, request: ActorRequest, state: State, conn: Conn
    ) -> Response[bytes]:
        return await _conclusion(conn, state, request.user, scan_id, "pdf")

    @get("/scans/{scan_id:str}/conclusion.html", guards=[may("idk.read")])
    async def conclusion_html(
        self, scan_id: str, request: ActorRequest, state: State, conn: Conn
    ) -> Response[bytes]:
        return await _conclusion(conn, state, request.user, scan_id, "html")

    @get("/scans", guards=[may("idk.read")])
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

    @get("/scans/{scan_id:str}", guards=[may("idk.read")])
    async def get_one(self, scan_id: str, request: ActorRequest, conn: Conn) -> ScanOut:
        return await service.get_scan(conn, request.user, scan_id)

    @get("/scans/{scan_id:str}/assessments", guards=[may("idk.read")])
    async def assessments(
        self, scan_id: str, request: ActorRequest, conn: Conn
    ) -> list[AssessmentVersion]:
        """The history of the X-ray model's assessment, oldest first: a version per run and
        per change of the linked declarations."""
        return await service.assessment_history(conn, request.user, scan_id)

    @get("/scans/{scan_id:str}/image", guards=[may("idk.read")])
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


    @get("/scans/{scan_id:str}/display", guards=[may("idk.read")])
    async def display(
        self, scan_id: str, request: ActorRequest, state: State, conn: Conn
    ) -> Stream:
        """The scan as a browser can show it (TIFF becomes an 8-bit PNG of the same size)."""
        image, chunks = await open_display(conn, state.store, request.user, scan_id)
        return Stream(
            chunks,
            media_type=image.content_type,
            headers={
                "Content-Length": str(image.size),
                "ETag": f'"{image.sha256}"',
                "Cache-Control": "private, max-age=3600, immutable",
            },
        )


def _ext(key: str) -> str:
    return key.rsplit(".", 1)[-1]


# The HTML conclusion carries user text (notes): it may show its own inline pictures and
# styles, nothing else, and never runs script.
HTML_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"


async def _conclusion(
    conn: Conn, state: State, actor: Actor, scan_id: str, fmt: conclusion_service.Format
) -> Response[bytes]:
    data, sha, issued = await conclusion_service.open_conclusion(
        conn, state.store, actor, scan_id, fmt
    )
    headers = {
        "ETag": f'"{sha}"',
        "Cache-Control": "private, no-cache",
        "Content-Disposition": f'inline; filename="idk-conclusion-{scan_id}.{fmt}"',
        "X-Dosmotr-Conclusion": "issued" if issued else "draft",
        "X-Content-Type-Options": "nosniff",
    }
    if fmt == "html":
        headers["Content-Security-Policy"] = HTML_CSP
    return Response(data, media_type=conclusion_service.CONTENT_TYPES[fmt], headers=headers)
