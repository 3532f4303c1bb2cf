"""Authenticate a request's bearer token: a valid token, of a live session, of an existing account."""

from __future__ import annotations

from application.ports.read_models import UserReadModel, UserView
from application.ports.security import AccessClaims, TokenService
from application.ports.sessions import SessionRevocations
from domain.shared.errors import Unauthorized


class Authenticator:
    def __init__(self, tokens: TokenService, revocations: SessionRevocations, users: UserReadModel) -> None:
        self._tokens = tokens
        self._revocations = revocations
        self._users = users

    async def claims(self, token: str) -> AccessClaims:
        """The token's claims; raises Unauthorized for invalid, expired or revoked tokens."""
        claims = self._tokens.decode_access(token)
        if await self._revocations.is_revoked(claims.session_id):
            raise Unauthorized("The session of this token has ended.")
        return claims

    async def user(self, token: str) -> UserView:
        """The caller's profile; raises Unauthorized as `claims` does, or when the account is gone."""
        claims = await self.claims(token)
        user = await self._users.get(claims.user_id)
        if user is None:
            # A deleted account's tokens die with it, even before they expire.
            raise Unauthorized("The account of this token no longer exists.")
        return user
