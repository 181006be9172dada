"""One id per request: taken from `X-Request-ID` when it is sane, else made; a contextvar
carries it into every log line and problem body of that request."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

HEADER = "x-request-id"
# Proxies send uuids or hex/base64-ish tokens; anything else (spaces, quotes, control
# characters, kilobytes) would poison log lines, so it is replaced rather than echoed.
_SANE = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")

REQUEST_ID: ContextVar[str | None] = ContextVar("dosmotr_request_id", default=None)


def current_request_id() -> str | None:
    return REQUEST_ID.get()


def accept_or_make(header: str | None) -> str:
    if header is not None and _SANE.fullmatch(header):
        return header
    return uuid.uuid4().hex
