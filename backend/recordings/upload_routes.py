"""tus 1.0.0 under /api/uploads/: OPTIONS, POST (creation), HEAD, PATCH; DELETE refused."""

from __future__ import annotations

from litestar import Controller, Request, Response, delete, head, patch, post
from litestar.datastructures import State

from backend import errors as p
from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.board.progress import saw_progress
from backend.deps import Conn
from backend.recordings import tus, uploads

ActorRequest = Request[Actor, str, State]


def _tus_headers(**extra: str) -> dict[str, str]:
    return {"Tus-Resumable": tus.TUS_VERSION, "Cache-Control": "no-store", **extra}


def _require_tus(request: Request) -> None:
    if request.headers.get("tus-resumable") != tus.TUS_VERSION:
        raise p.TusVersionUnsupported(headers_version=tus.TUS_VERSION)


def _header_int(request: Request, name: str) -> int | None:
    try:
        return tus.parse_non_negative(request.headers.get(name), name)
    except tus.TusHeaderError as exc:
        raise p.TusBadHeader(str(exc)) from exc


async def _advertise_tus(response: Response) -> Response:
    # Every response, including Litestar's own OPTIONS answer, tells the client what we speak.
    response.headers.update({
        "Tus-Resumable": tus.TUS_VERSION, "Tus-Version": tus.TUS_VERSION,
        "Tus-Extension": tus.TUS_EXTENSIONS, "Tus-Checksum-Algorithm": tus.CHECKSUM_ALGORITHMS,
    })
    return response


class UploadController(Controller):
    path = "/api/uploads"
    tags = ["uploads"]
    after_request = _advertise_tus  # type: ignore[assignment]

    @post("/", guards=[may("recording.upload")], status_code=201)
    async def create(self, request: ActorRequest, conn: Conn) -> Response[None]:
        """Create an upload: `Upload-Length` or `Upload-Defer-Length: 1`, and `Upload-Metadata`
        with inspection_id, phase, client_id, filetype (base64 values, as tus says)."""
        _require_tus(request)
        length = _header_int(request, "upload-length")
        deferred = request.headers.get("upload-defer-length")
        if length is None and deferred != "1":
            raise p.TusBadHeader("send Upload-Length, or Upload-Defer-Length: 1")
        if length is not None and deferred is not None:
            raise p.TusBadHeader("Upload-Length and Upload-Defer-Length exclude each other")
        try:
            metadata = tus.parse_metadata(request.headers.get("upload-metadata"))
        except tus.TusHeaderError as exc:
            raise p.TusBadHeader(str(exc)) from exc
        upload = await uploads.create(conn, request.app.state.store, request.user, length, metadata)
        return Response(
            None, status_code=201,
            headers=_tus_headers(
                Location=f"/api/uploads/{upload.id}",
                **{"Upload-Expires": tus.http_date(upload.expires_at), "Upload-Offset": "0"},
            ),
        )

    @head("/{upload_id:str}", guards=[may("recording.upload")])
    async def head_upload(self, upload_id: str, request: ActorRequest, conn: Conn) -> Response[None]:
        _require_tus(request)
        upload = await uploads.load(conn, request.user, upload_id)
        offset = await uploads.offset_of(request.app.state.store, upload)
        headers = _tus_headers(**{"Upload-Offset": str(offset)})
        if upload.length is None:
            headers["Upload-Defer-Length"] = "1"
        else:
            headers["Upload-Length"] = str(upload.length)
        if upload.state == "open":
            headers["Upload-Expires"] = tus.http_date(upload.expires_at)
        return Response(None, status_code=200, headers=headers)

    @patch("/{upload_id:str}", guards=[may("recording.upload")], status_code=204,
           request_max_body_size=None)
    async def patch_upload(self, upload_id: str, request: ActorRequest) -> Response[None]:
        _require_tus(request)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != tus.OFFSET_CONTENT_TYPE:
            raise p.UnsupportedMedia("PATCH bodies are application/offset+octet-stream")
        offset = _header_int(request, "upload-offset")
        if offset is None:
            raise p.TusBadHeader("Upload-Offset is required")
        try:
            checksum = tus.parse_checksum(request.headers.get("upload-checksum"))
        except tus.TusHeaderError as exc:
            raise p.TusBadHeader(str(exc)) from exc
        state = request.app.state
        new_offset = await uploads.patch(
            state.pool, state.store, request.user, upload_id,
            offset=offset, body=request.stream(),
            content_length=_header_int(request, "content-length"),
            checksum=checksum, upload_length=_header_int(request, "upload-length"),
        )
        await saw_progress(state.pool, upload_id, new_offset)  # the board's percentage, live
        return Response(None, status_code=204, headers=_tus_headers(**{"Upload-Offset": str(new_offset)}))

    @delete("/{upload_id:str}", guards=[may("recording.upload")], status_code=405)
    async def terminate(self, upload_id: str) -> None:
        raise p.TerminationRefused("tus termination is not offered: evidence is never deleted")
