"""Logging: one handler on the root logger, text or JSON lines (DOSMOTR_LOG_FORMAT), every line
carrying the request id of the request it was logged in; chatty libraries quieted."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from backend.ops.request_id import current_request_id

if TYPE_CHECKING:
    from backend.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# fpdf2 logs every glyph subset through fontTools at INFO; pgserver every pg_ctl call.
QUIET = {"fontTools": logging.WARNING, "fpdf": logging.WARNING, "pgserver": logging.WARNING,
         "httpx": logging.WARNING, "botocore": logging.WARNING, "urllib3": logging.WARNING}
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
_MARK = "_dosmotr_handler"
# Fields every LogRecord has; anything else was passed as `extra=` and goes into the JSON.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "request_id", "taskName", "color_message"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": None if (rid := getattr(record, "request_id", "-")) == "-" else rid,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(settings: Settings, stream=None) -> logging.Handler:  # type: ignore[no-untyped-def]
    """Replace the root logger's handlers with ours; idempotent."""
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _MARK, True)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if settings.log_format == "json"
                         else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(level)
    adopt_server_loggers()
    return handler


def adopt_server_loggers() -> None:
    """uvicorn installs its own handlers when it starts (after `configure_logging`); once ours
    is on the root, its loggers hand their lines to it instead, so they are JSON too."""
    if not any(getattr(h, _MARK, False) for h in logging.getLogger().handlers):
        return  # logging is not ours to change (tests, embedding)
    for name in SERVER_LOGGERS:
        server_log = logging.getLogger(name)
        server_log.handlers.clear()
        server_log.propagate = True
