"""Registration, login, refresh-token rotation and logout."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.users.commands import LogIn, LogOut, RefreshSession, RegisterUser
from application.users.results import Registered, TokenPair
from domain.shared.errors import DomainError, TooManyRequests
from entrypoints.http.schemas import (
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    TokenResponse,
    UserResponse,
)
from entrypoints.http.services import Api

log = structlog.get_logger(__name__)

READ_YOUR_WRITES_SECONDS = 2.0


def _tokens(pair: TokenPair) -> TokenResponse:
    return TokenResponse(access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/register", status_code=201, summary="Create an account")
    async def register(self, data: JSONBody[RegisterRequest], api: NamedDependency[Api]) -> UserResponse:
        result: Registered = await api.commands.handle(
            RegisterUser(email=data.email, password=data.password, display_name=data.display_name)
        )
        # Answer only once the account is visible to queries: the client's next GET sees it.
        await api.projections.wait_for(result.notification_id, READ_YOUR_WRITES_SECONDS, names=["users"])
        return UserResponse(
            id=result.user_id,
            email=result.email,
            display_name=result.display_name,
            created_at=result.created_at,
        )

    @post("/login", status_code=200, summary="Exchange email and password for a token pair")
    async def login(
        self,
        data: JSONBody[LoginRequest],
        request: Request[Any, Any, Any],
        api: NamedDependency[Api],
    ) -> TokenResponse:
        address = request.client.host if request.client else "unknown"
        try:
            pair: TokenPair = await api.commands.handle(
                LogIn(email=data.email, password=data.password, client_address=address)
            )
        except DomainError as error:
            outcome = "rate_limited" if isinstance(error, TooManyRequests) else "rejected"
            api.metrics.logins.labels(outcome).inc()
            log.info("login refused", outcome=outcome, client_address=address)
            raise
        api.metrics.logins.labels("succeeded").inc()
        await api.projections.wait_for(pair.notification_id, READ_YOUR_WRITES_SECONDS, names=["users"])
        return _tokens(pair)

    @post("/refresh", status_code=200, summary="Rotate a refresh token for a new pair")
    async def refresh(self, data: JSONBody[RefreshRequest], api: NamedDependency[Api]) -> TokenResponse:
        return _tokens(await api.commands.handle(RefreshSession(refresh_token=data.refresh_token)))

    @post("/logout", status_code=204, summary="Revoke the refresh token's whole family")
    async def logout(self, data: JSONBody[RefreshRequest], api: NamedDependency[Api]) -> None:
        await api.commands.handle(LogOut(refresh_token=data.refresh_token))
