"""The Litestar application: controllers, dependencies, problem details, OpenAPI, CORS, lifecycle."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, ScalarRenderPlugin

from bootstrap.container import Container
from bootstrap.health import readiness_checks
from bootstrap.runtime import WORKERS, Runtime
from domain.shared.errors import DomainError
from entrypoints.http.controllers.analytics import AnalyticsController
from entrypoints.http.controllers.auth import AuthController
from entrypoints.http.controllers.market import MarketController
from entrypoints.http.controllers.system import SystemController
from entrypoints.http.controllers.users import UsersController
from entrypoints.http.middleware import RequestContext
from entrypoints.http.problems import (
    domain_error_handler,
    http_error_handler,
    unexpected_error_handler,
    validation_handler,
)
from entrypoints.http.services import Api
from entrypoints.ws.prices import LiveFeed, live_prices


def _constant(value: Any) -> Provide:
    def provide() -> Any:
        return value

    return Provide(provide, sync_to_thread=False, use_cache=True)


def create_app(container: Container) -> RequestContext:
    settings = container.settings()
    runtime = Runtime(container)

    hub = container.live_hub()

    async def start(_app: Litestar) -> None:
        await runtime.start(WORKERS if settings.workers_in_process else ())
        await hub.start()

    async def stop(_app: Litestar) -> None:
        await hub.stop()
        await runtime.stop()

    api = Api(
        commands=container.command_bus(),
        queries=container.query_bus(),
        authenticator=container.authenticator(),
        projections=container.projections(),
        metrics=container.metrics(),
        readiness_checks=readiness_checks(container),
        mode=settings.mode,
        market=container.market_services(),
        analytics=container.cached_results(),
    )
    app = Litestar(
        route_handlers=[
            SystemController,
            AuthController,
            UsersController,
            MarketController,
            AnalyticsController,
            live_prices,
        ],
        dependencies={"api": _constant(api)},
        exception_handlers={
            DomainError: domain_error_handler,
            ValidationException: validation_handler,
            HTTPException: http_error_handler,
            Exception: unexpected_error_handler,
        },
        openapi_config=OpenAPIConfig(
            title="Crypto Analytics Platform",
            version="0.1.0",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), JsonRenderPlugin()],
        ),
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins)) if settings.cors_origins else None,
        on_startup=[start],
        on_shutdown=[stop],
        state=State(
            {
                "container": container,
                "runtime": runtime,
                "live_feed": LiveFeed(hub, api.market),
            }
        ),
        debug=False,
        # Logging is configured once by bootstrap; Litestar's default config would replace it.
        logging_config=None,
    )
    return RequestContext(app, container.tracer(), container.metrics())
