"""The outermost ASGI layer, around Litestar's own handler: it sees every HTTP request,
routed or not, and every response, problems and streams included.

- a request id per request (`X-Request-ID` in and out, a contextvar for logs and problems);
- the security headers (headers.py) on every response;
- a NUL byte in the path is refused with a 400 problem before any router or file lookup
  (the static router would hand it to the OS, which raises).
"""

from __future__ import annotations

import json
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import PROBLEM_BASE, PROBLEM_JSON, InvalidRequest
from backend.ops.headers import SECURITY_HEADERS
from backend.ops.request_id import HEADER, REQUEST_ID, accept_or_make

_SECURITY = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS]
_HEADER = HEADER.encode()


def _request_header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class EdgeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accept_or_make(_request_header(scope, _HEADER))
        token = REQUEST_ID.set(request_id)
        extra = [*_SECURITY, (_HEADER, request_id.encode())]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {bytes(k).lower() for k, _ in headers}
                headers.extend((k, v) for k, v in extra if k not in present)
                message = {**message, "headers": headers}  # type: ignore[typeddict-item]
            await send(message)

        try:
            if "\x00" in scope.get("path", ""):
                await _send_problem(
                    send_with_headers, 400, InvalidRequest.code, InvalidRequest.title,
                    "the path may not contain the NUL character (U+0000)", request_id,
                )
                return
            await self.app(scope, receive, send_with_headers)
        finally:
            REQUEST_ID.reset(token)


async def _send_problem(
    send: Send, status: int, code: str, title: str, detail: str, request_id: str
) -> None:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail,
        "code": code, "request_id": request_id,
    }
    payload = json.dumps(body).encode()
    start: Any = {
        "type": "http.response.start", "status": status,
        "headers": [(b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(payload)).encode())],
    }
    await send(start)
    end: Any = {"type": "http.response.body", "body": payload}
    await send(end)


def with_edge(app: Any) -> Any:
    """Wrap the Litestar app's ASGI handler (what its `__call__` runs for every request)."""
    app.asgi_handler = EdgeMiddleware(app.asgi_handler)
    return app
