"""The app factory: settings in, a ready-to-serve ASGI application out."""

from __future__ import annotations

from bootstrap.container import create_container
from bootstrap.observability import configure_logging
from bootstrap.settings import Settings
from entrypoints.http.app import create_app
from entrypoints.http.middleware import RequestContext


def build_app(settings: Settings) -> RequestContext:
    configure_logging(settings)
    return create_app(create_container(settings))
