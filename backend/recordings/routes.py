"""Recording registration, chain announcement, reads and range streaming."""

from __future__ import annotations

from collections.abc import AsyncIterator

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Stream

from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.deps import Conn
from backend.errors import NotFound
from backend.recordings import repo, service, tus
from backend.recordings.repo import to_out
from backend.recordings.schemas import (
    ChainAnnouncementIn,
    ChainAnnouncementOut,
    RecordingIn,
    RecordingOut,
    RevalidateIn,
    RevalidationOut,
)
from backend.storage.base import ObjectStore

ActorRequest = Request[Actor, str, State]


class InspectionRecordingsController(Controller):
    path = "/api/inspections/{inspection_id:str}/recordings"
    tags = ["recordings"]
    guards = [may("recording.upload")]

    @post("/", status_code=201)
    async def register(
        self, inspection_id: str, data: RecordingIn, request: ActorRequest, conn: Conn
    ) -> Response[RecordingOut]:
        recording, created = await service.register(
            conn, request.app.state.store, request.user, inspection_id, data
        )
        return Response(recording, status_code=201 if created else 200)

    @post("/{client_id:str}/chain", status_code=201)
    async def announce(
        self, inspection_id: str, client_id: str, data: ChainAnnouncementIn, request: ActorRequest,
        conn: Conn,
    ) -> Response[ChainAnnouncementOut]:
        out, created = await service.announce(conn, request.user, inspection_id, client_id, data)
        return Response(out, status_code=201 if created else 200)


async def _body(store: ObjectStore, key: str, start: int, end: int) -> AsyncIterator[bytes]:
    async for piece in store.read_range(key, start, end):
        yield piece


class RecordingController(Controller):
    path = "/api/recordings"
    tags = ["recordings"]
    guards = [may("recording.read")]

    @get("/{recording_id:str}")
    async def get_one(self, recording_id: str, request: ActorRequest, conn: Conn) -> RecordingOut:
        return to_out(await service.load_visible(conn, request.user, recording_id))

    @post("/{recording_id:str}/revalidate", status_code=202, guards=[may("recording.revalidate")])
    async def revalidate(
        self, recording_id: str, data: RevalidateIn, request: ActorRequest, conn: Conn
    ) -> RevalidationOut:
        """Judge the evidence again (a new report version; the earlier ones stay)."""
        return await service.revalidate(conn, request.user, recording_id, data.reason)

    @get("/{recording_id:str}/video")
    async def video(
        self, recording_id: str, request: ActorRequest, conn: Conn, redirect: bool = False
    ) -> Response[bytes] | Stream | Redirect:
        """The original bytes, with HTTP Range; every viewing is audited (once a minute)."""
        row = await service.load_visible(conn, request.user, recording_id)
        await service.record_view(conn, request.user, recording_id)
        store: ObjectStore = request.app.state.store
        if redirect:
            url = await store.presigned_get(row["object_key"], expires_s=300)
            if url is not None:
                return Redirect(url, status_code=302, headers={"Cache-Control": "no-store"})
        return serve_object(request, store, row["object_key"], int(row["size"]), row["sha256"],
                            row["mime"] or "application/octet-stream")

    @get("/{recording_id:str}/stream/{name:str}")
    async def stream(
        self, recording_id: str, name: str, request: ActorRequest, conn: Conn
    ) -> Response[bytes] | Stream:
        """Renditions for players: `video.mp4` (faststart), `poster.jpg`, `contact.jpg`."""
        await service.load_visible(conn, request.user, recording_id)
        kind = RENDITION_NAMES.get(name)
        rendition = await repo.rendition(conn, recording_id, kind) if kind else None
        if rendition is None:
            raise NotFound(f"no rendition {name} for recording {recording_id} (yet)")
        if kind == "video":
            await service.record_view(conn, request.user, recording_id)
        return serve_object(request, request.app.state.store, rendition["object_key"],
                            int(rendition["size"]), rendition["sha256"], rendition["content_type"])


RENDITION_NAMES = {"video.mp4": "video", "poster.jpg": "poster", "contact.jpg": "contact_sheet"}

def serve_object(
    request: Request, store: ObjectStore, key: str, size: int, sha256: str, mime: str
) -> Response[bytes] | Stream:
    """An immutable object with HTTP Range (one range), If-Range and a strong ETag."""
    etag = f'"{sha256}"'
    common = {"Accept-Ranges": "bytes", "ETag": etag, "Cache-Control": "private, max-age=3600"}
    wanted: tuple[int, int] | str | None = None
    if_range = request.headers.get("if-range")
    if if_range is None or if_range.strip() == etag:
        wanted = tus.parse_range(request.headers.get("range"), size)
    if wanted == "unsatisfiable":
        return Response(
            b"", status_code=416, headers={**common, "Content-Range": f"bytes */{size}"},
            media_type=mime,
        )
    if wanted is None:
        return Stream(
            _body(store, key, 0, size - 1), media_type=mime,
            headers={**common, "Content-Length": str(size)},
        )
    assert isinstance(wanted, tuple)
    start, end = wanted
    return Stream(
        _body(store, key, start, end), status_code=206, media_type=mime,
        headers={**common, "Content-Range": f"bytes {start}-{end}/{size}",
                 "Content-Length": str(end - start + 1)},
    )
