"""Bearer-token authentication: decode the access token and make sure its account still exists."""

from __future__ import annotations

from typing import Any

from litestar import Request

from application.ports.read_models import UserView
from domain.shared.errors import Unauthorized
from entrypoints.http.services import Api


def bearer_token(request: Request[Any, Any, Any]) -> str:
    # Straight from the ASGI scope: building Litestar's Headers for one header costs ~10 us a request.
    header = next((value for name, value in request.scope["headers"] if name == b"authorization"), b"")
    scheme, _, token = header.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("A bearer access token is required.")
    return token.strip()


async def current_user(request: Request[Any, Any, Any], api: Api) -> UserView:
    return await api.authenticator.user(bearer_token(request))
