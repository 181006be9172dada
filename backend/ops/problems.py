"""RFC 9457 responses for the problem catalogue and for Litestar's own exceptions, in one place.

`backend.errors` is the catalogue (pure: no Litestar, so the worker can raise and read it);
`problem_handlers` here maps each problem (and every other failure) to an
`application/problem+json` response.
"""

from __future__ import annotations

import logging
from typing import Any

from asyncpg.exceptions import (
    CharacterNotInRepertoireError,
    ConnectionDoesNotExistError,
    InsufficientResourcesError,
    OperatorInterventionError,
    PostgresConnectionError,
    UntranslatableCharacterError,
)
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from backend.errors import (
    DB_RETRY_AFTER_S,
    PROBLEM_BASE,
    PROBLEM_JSON,
    DatabaseUnavailable,
    InvalidRequest,
    Problem,
)
from backend.ops.request_id import current_request_id

log = logging.getLogger("dosmotr.errors")


def _problem(
    status: int, code: str, title: str, detail: str, request: Request, **extra: Any
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
    }
    if (request_id := current_request_id()) is not None:
        body["request_id"] = request_id
    body.update(extra)
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="dosmotr"'
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def handle_problem(request: Request, exc: Problem) -> Response[dict[str, Any]]:
    return _problem(exc.status, exc.code, exc.title, exc.detail, request, **exc.extra)


def handle_validation(request: Request, exc: ValidationException) -> Response[dict[str, Any]]:
    errors = exc.extra if isinstance(exc.extra, list) else []
    return _problem(
        400,
        "invalid_request",
        InvalidRequest.title,
        str(exc.detail),
        request,
        errors=[{"message": str(e.get("message", e)), "key": e.get("key")} for e in errors]
        if errors and isinstance(errors[0], dict)
        else [],
    )


_HTTP_CODES = {
    400: ("invalid_request", "The request is not valid"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Your role may not do this"),
    404: ("not_found", "No such resource"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("body_too_large", "The request body is too large"),
    415: ("unsupported_media_type", "This content type is not accepted"),
}


def handle_http(request: Request, exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    code, title = _HTTP_CODES.get(status, ("http_error", "Request failed"))
    if isinstance(exc, NotAuthorizedException):
        code, title = _HTTP_CODES[401]
    elif isinstance(exc, PermissionDeniedException):
        code, title = _HTTP_CODES[403]
    elif isinstance(exc, NotFoundException):
        code, title = _HTTP_CODES[404]
    elif isinstance(exc, MethodNotAllowedException):
        code, title = _HTTP_CODES[405]
    detail = str(exc.detail) if exc.detail else title
    return _problem(status, code, title, detail, request)


def handle_unstorable_text(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    # PostgreSQL stores no NUL (U+0000) in text or jsonb. Only client input carries one, from
    # any path, query, header or body, so it is refused here rather than at every field.
    return _problem(
        400, InvalidRequest.code, InvalidRequest.title,
        "text may not contain the NUL character (U+0000)", request,
    )


def handle_too_deep(request: Request, exc: RecursionError) -> Response[dict[str, Any]]:
    # Only client input nests without bound (JSON 1,000 levels deep and the like): the decoder
    # or a canonicaliser runs out of stack on it. A 400, not a server failure.
    return _problem(
        400, InvalidRequest.code, InvalidRequest.title,
        "the input is nested too deeply", request,
    )


def handle_database_down(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
    return handle_problem(request, DatabaseUnavailable(
        "the database cannot be reached; try again shortly", retry_after=DB_RETRY_AFTER_S))


def _raised_in_asyncpg(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith("asyncpg."):
            return True
        tb = tb.tb_next
    return False


def handle_os_error(request: Request, exc: OSError) -> Response[dict[str, Any]]:
    # asyncpg raises the socket's own OSError (refused, no such socket file, timeout) when a
    # pooled connection cannot be (re)made: PostgreSQL is down, whoever acquired the pool.
    # Any other OSError (a disk, a store) is a server failure.
    if _raised_in_asyncpg(exc):
        return handle_database_down(request, exc)
    return handle_unexpected(request, exc)


def handle_unexpected(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "Internal error",
        "The server failed; the error has been logged.",
        request,
    )


problem_handlers: dict[type[Exception], Any] = {
    Problem: handle_problem,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    CharacterNotInRepertoireError: handle_unstorable_text,
    UntranslatableCharacterError: handle_unstorable_text,
    RecursionError: handle_too_deep,
    # The server went away under a query, refuses connections or is shutting down (08, 57, 53).
    PostgresConnectionError: handle_database_down,
    ConnectionDoesNotExistError: handle_database_down,
    OperatorInterventionError: handle_database_down,
    InsufficientResourcesError: handle_database_down,
    OSError: handle_os_error,  # TimeoutError (a pool acquire timing out) is one
    Exception: handle_unexpected,
}
