"""An honest OpenAPI document: Litestar generates it from the handlers; this module finishes it
by route, in one place, instead of annotating every route file:

- every operation lists the problems it really answers (RFC 9457, one `Problem` component):
  401/403 where a token and a role are needed, 404 where the path names an object, 400/413/415/
  422 and 409 where a body changes state, 409 with `unmet` on release, 429 on login, 503 on
  everything that needs the database;
- binary and stream responses carry their real media types (video, images, PDF, zip, CSV/XLSX,
  `text/event-stream`) instead of `application/json`;
- operations that need no token say `security: []`;
- readable operation ids: `<resource>_<handler>`, e.g. `declaration_release`.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.routes import HTTPRoute
from litestar.types import Method

from backend.errors import PROBLEM_JSON

_DONE = "x-dosmotr-finished"
_REF = "#/components/schemas/"
BINARY = {"type": "string", "format": "binary"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (method, path regex) -> media types of the success response. First match wins.
MEDIA: list[tuple[str, re.Pattern[str], list[str]]] = [
    ("get", re.compile(r"/api/recordings/\{[^}]+\}/video$"), ["video/webm", "video/mp4"]),
    ("get", re.compile(r"/api/recordings/\{[^}]+\}/stream/"), ["video/mp4", "image/jpeg"]),
    ("get", re.compile(r"/frames/\{[^}]+\}$"), ["image/jpeg"]),
    ("get", re.compile(r"/api/idk/scans/\{[^}]+\}/image$"), ["image/png", "image/tiff",
                                                             "image/jpeg"]),
    ("get", re.compile(r"/api/idk/scans/\{[^}]+\}/display$"), ["image/png"]),
    ("get", re.compile(r"\.pdf$"), ["application/pdf"]),
    ("get", re.compile(r"\.html$"), ["text/html"]),
    ("get", re.compile(r"\.pem$"), ["application/x-pem-file"]),
    ("get", re.compile(r"/evidence-package$"), ["application/zip"]),
    ("get", re.compile(r"/export$"), ["text/csv", XLSX]),
    ("get", re.compile(r"/stream$"), ["text/event-stream"]),
]
# Partial content for HTTP Range.
RANGED = re.compile(r"/api/recordings/\{[^}]+\}/(video|stream/)")
UNAUTHENTICATED_PATHS = {"/healthz", "/readyz", "/metrics"}
NO_DATABASE = {"/healthz"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details with a stable machine `code`.",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string", "description": "stable, e.g. not_found, invalid_request"},
        "request_id": {"type": "string", "description": "the X-Request-ID of the request"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "message": {"type": "string"}, "key": {"type": "string", "nullable": True}}}},
        "retry_after": {"type": "integer", "description": "seconds (also Retry-After)"},
    },
    "additionalProperties": True,
}
COMPONENTS: dict[str, Any] = {
    "Problem": PROBLEM_SCHEMA,
    "ReleaseRefusedProblem": {"allOf": [{"$ref": _REF + "Problem"}, {
        "type": "object", "required": ["unmet"],
        "properties": {"unmet": {"type": "array", "items": {"type": "string"},
                                 "description": "codes of the gate conditions not met"}}}]},
    "NotReadyProblem": {"allOf": [{"$ref": _REF + "Problem"}, {
        "type": "object", "required": ["failed", "checks"],
        "properties": {"failed": {"type": "array", "items": {"type": "string"}},
                       "checks": {"type": "object",
                                  "additionalProperties": {"type": "string"}}}}]},
}
DESCRIPTIONS = {
    "400": "The request is not valid (`invalid_request` and the like)",
    "401": "No valid bearer token (`unauthenticated`)",
    "403": "The caller's role or post may not do this (`forbidden`)",
    "404": "No such object (`not_found`)",
    "409": "Conflicts with the current state (`already_exists`, `invalid_state`, ...)",
    "413": "The body is too large (`body_too_large`)",
    "415": "This content type is not accepted (`unsupported_media_type`)",
    "416": "The range cannot be served",
    "422": "Well-formed but not acceptable (`invalid_policy`, `invalid_wagon_number`, ...)",
    "429": "Too many failed logins (`too_many_attempts`), see Retry-After",
    "503": "The database is unavailable (`database_unavailable`), see Retry-After",
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait",
                                "schema": {"type": "integer"}}}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def operation_id(handler: HTTPRouteHandler, method: Method, _path: list[Any]) -> str:
    """`<resource>_<handler>` (`declaration_release`, `upload_patch_upload`); the method is
    added only when one handler serves several."""
    # Controllers become Routers when registered; the function remembers its class.
    qualname = getattr(handler.fn, "__qualname__", handler.handler_name).split(".<locals>.")[-1]
    owner, _, name = qualname.rpartition(".")
    resource = _snake(owner.removesuffix("Controller"))
    if len(handler.http_methods) > 1:
        name = f"{method.lower()}_{name}"
    return f"{resource}_{name}" if resource else name


def _problem(code: str, schema: str = "Problem") -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": DESCRIPTIONS.get(code, "Problem"),
        "content": {PROBLEM_JSON: {"schema": {"$ref": _REF + schema}}},
    }
    if code in ("429", "503"):
        response["headers"] = dict(_RETRY_AFTER)
    return response


def _handlers(app: Litestar) -> dict[tuple[str, str], HTTPRouteHandler]:
    found: dict[tuple[str, str], HTTPRouteHandler] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method, (handler, *_) in route.route_handler_map.items():
                found[(method.lower(), route.path_format)] = handler
    return found


def _binary(op: dict[str, Any], method: str, path: str) -> None:
    for want, pattern, types in MEDIA:
        if want == method and pattern.search(path):
            for code, response in op["responses"].items():
                if code.startswith("2"):
                    response["content"] = {t: {"schema": BINARY if not t.startswith("text/")
                                               else {"type": "string"}} for t in types}
            if RANGED.search(path):
                ok = op["responses"].get("200", {})
                op["responses"]["206"] = {"description": "Partial content (HTTP Range)",
                                          "content": ok.get("content", {})}
                op["responses"]["416"] = {"description": DESCRIPTIONS["416"]}
            return


def finish_document(doc: dict[str, Any], app: Litestar) -> None:
    """Idempotently add problems, media types and security to Litestar's generated document."""
    if doc.get(_DONE):
        return
    handlers = _handlers(app)
    doc.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            handler = handlers.get((method, path))
            public = path in UNAUTHENTICATED_PATHS or bool(
                handler and handler.opt.get("exclude_from_auth"))
            responses: dict[str, Any] = op["responses"]
            _binary(op, method, path)
            for code, response in responses.items():
                if code == "204" or (method == "head" and code.startswith("2")):
                    response.pop("content", None)  # no body, whatever the handler's type says
            codes = ["400"] if op.get("parameters") or method not in ("get", "head") else []
            if not public:
                codes += ["401", "403"]
            else:
                op["security"] = []
            if any(p.get("in") == "path" for p in op.get("parameters", [])):
                codes.append("404")
            if method in ("post", "put", "patch", "delete"):
                codes += ["409", "413", "415", "422"]
            if path == "/api/auth/login":
                codes.append("429")
            if path not in NO_DATABASE:
                codes.append("503")
            for code in codes:
                responses[code] = _problem(code)
            if path.endswith("/release") and method == "post":
                responses["409"] = _problem("409", "ReleaseRefusedProblem")
                responses["409"]["description"] = (
                    "The release gate refuses (`release_refused`, with `unmet`), or the "
                    "declaration is already decided (`already_decided`)")
            if path == "/readyz":
                responses["503"] = _problem("503", "NotReadyProblem")
                responses["503"]["description"] = "Not ready (`not_ready`): `failed` names what"
    doc[_DONE] = True


class FinishedJsonRenderPlugin(JsonRenderPlugin):
    """Serves /schema/openapi.json, finished by `finish_document` on first render."""

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        finish_document(openapi_schema, request.app)
        return super().render(request, openapi_schema)


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Dosmotr",
        version="1.0.0",
        description="Provable customs inspections. Errors are RFC 9457 problem details "
                    "(`application/problem+json`) with a stable `code`.",
        path="/schema",
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="opaque")
            }
        ),
        security=[{"bearer": []}],
        use_handler_docstrings=True,
        operation_id_creator=operation_id,
        render_plugins=[FinishedJsonRenderPlugin()],
    )
