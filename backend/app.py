"""create_app(settings) -> Litestar. The lifespan opens the database pool and the object store."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.static_files import create_static_files_router

from backend.alerts.routes import AlertController
from backend.attestations.routes import CheckAttestationController
from backend.audit.routes import AuditController
from backend.auth.middleware import BearerAuthMiddleware
from backend.auth.routes import AuthController, UserSessionsController
from backend.board.hub import BoardHub
from backend.board.routes import AwaitingController, BoardController
from backend.db.embedded import resolve_dsn
from backend.db.migrate import migrate
from backend.db.pool import connect, open_pool
from backend.declarations.routes import DeclarationController
from backend.deps import provide_conn
from backend.devices.routes import DeviceController
from backend.evidence.routes import EvidenceController
from backend.exports.routes import ExportController
from backend.idk.routes import IdkScanController
from backend.idk.scanner_routes import IdkScannerController
from backend.idk.table1_routes import IdkTable1Controller
from backend.inspections.routes import InspectionController
from backend.integration.routes import ChangeController
from backend.integration.webhook_routes import WebhookController
from backend.ops.edge import with_edge
from backend.ops.forwarded import with_forwarded
from backend.ops.health import HealthController
from backend.ops.logs import adopt_server_loggers
from backend.ops.metrics import PROMETHEUS, MetricsController
from backend.ops.openapi import openapi_config
from backend.ops.problems import problem_handlers
from backend.portal.routes import PortalReadController
from backend.posts.routes import PostController
from backend.push.routes import PushController
from backend.rail.routes import RailConsistController
from backend.recordings.routes import InspectionRecordingsController, RecordingController
from backend.recordings.sweeper import run_periodically
from backend.recordings.upload_routes import UploadController
from backend.review.routes import ReviewSampleController, SearchController
from backend.settings import Settings, load_secrets
from backend.storage.factory import open_store
from backend.users.routes import UserController

log = logging.getLogger("dosmotr")

API_CONTROLLERS = [
    AuthController,
    UserSessionsController,
    UserController,
    PostController,
    DeviceController,
    DeclarationController,
    IdkScanController,
    IdkScannerController,
    PortalReadController,
    IdkTable1Controller,
    InspectionController,
    InspectionRecordingsController,
    RecordingController,
    UploadController,
    AlertController,
    AuditController,
    PushController,
    BoardController,
    AwaitingController,
    SearchController,
    ReviewSampleController,
    EvidenceController,
    ExportController,
    CheckAttestationController,
    ChangeController,
    WebhookController,
    RailConsistController,
]


def create_app(settings: Settings, *, dsn: str | None = None) -> Litestar:
    """Build the app. `dsn` overrides settings/embedded resolution (tests pass their database)."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        server = None
        url = dsn
        if url is None:
            url, server = await resolve_dsn(settings.database_url, settings.data_dir)
        conn = await connect(url)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        app.state.dsn = url
        app.state.pool = await open_pool(url)
        app.state.store = open_store(settings.object_store, settings.data_dir)
        app.state.board_hub = BoardHub(url)  # listens only once a board stream is opened
        sweeper = asyncio.create_task(run_periodically(app.state.pool, app.state.store))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await app.state.board_hub.close()
            await app.state.pool.close()
            if server is not None:
                server.cleanup()

    static = create_static_files_router(
        path="/", directories=[settings.pwa_dir], html_mode=True, name="pwa", include_in_schema=False,
        opt={"exclude_from_auth": True},
    )
    application = Litestar(
        route_handlers=[
            Router("/", route_handlers=API_CONTROLLERS), HealthController, MetricsController, static,
        ],
        lifespan=[lifespan],
        on_startup=[adopt_server_loggers],
        logging_config=None,  # backend/ops/logs.py configures logging, not Litestar
        dependencies={"conn": Provide(provide_conn)},
        exception_handlers=problem_handlers,  # type: ignore[arg-type]
        middleware=[
            PROMETHEUS.middleware,
            DefineMiddleware(
                BearerAuthMiddleware,
                exclude=["^/schema"],
            )
        ],
        request_max_body_size=settings.max_json_body,
        state=_initial_state(settings),
        openapi_config=openapi_config(),  # finished by route in backend/ops/openapi.py
        cors_config=_cors(settings),
        debug=False,
    )
    return with_edge(with_forwarded(application, settings.trusted_proxies))


def _cors(settings: Settings) -> CORSConfig:
    """Same-origin only unless DOSMOTR_CORS_ORIGINS names other origins."""
    return CORSConfig(
        allow_origins=list(settings.cors_origins),
        allow_credentials=False,  # bearer tokens, no cookies
        expose_headers=["Location", "Upload-Offset", "Upload-Length", "Upload-Expires",
                        "Tus-Resumable", "Retry-After", "X-Request-ID", "Content-Range"],
    )


def _initial_state(settings: Settings):  # type: ignore[no-untyped-def]
    from litestar.datastructures import State

    return State({"settings": settings, "secrets": load_secrets(settings)})
