"""JWT access tokens (pyjwt, HS256 pinned) and opaque refresh tokens stored only as hashes."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from uuid import UUID

import jwt

from application.ports.security import AccessClaims, IssuedAccessToken, RefreshToken
from domain.shared.errors import Unauthorized
from domain.users.errors import InvalidRefreshToken

_ALGORITHM = "HS256"
_REQUIRED = ["sub", "exp", "iat", "iss", "aud", "jti", "role", "sid"]


class JwtTokenService:
    def __init__(
        self,
        signing_key: bytes,
        issuer: str,
        audience: str,
        access_lifetime_seconds: int = 900,
        refresh_lifetime_seconds: int = 7 * 24 * 3600,
        leeway_seconds: int = 5,
        verified_cache_size: int = 10_000,
    ) -> None:
        self._key = signing_key
        self._issuer = issuer
        self._audience = audience
        self._access_lifetime = access_lifetime_seconds
        self.refresh_lifetime_seconds = refresh_lifetime_seconds
        self._leeway = leeway_seconds
        # Verified tokens by their exact string: a token is presented on every request for its whole
        # life, and re-verifying it costs ~75 us. Only the expiry can change a verdict, and it is
        # re-checked on every hit.
        self._verified: dict[str, tuple[AccessClaims, float]] = {}
        self._verified_max = verified_cache_size

    def issue_access(self, user_id: UUID, role: str, session_id: UUID) -> IssuedAccessToken:
        now = int(time.time())
        claims = {
            "sub": str(user_id),
            "iat": now,
            "exp": now + self._access_lifetime,
            "iss": self._issuer,
            "aud": self._audience,
            "jti": uuid.uuid4().hex,
            "role": role,
            "sid": str(session_id),
        }
        return IssuedAccessToken(jwt.encode(claims, self._key, algorithm=_ALGORITHM), self._access_lifetime)

    def decode_access(self, token: str) -> AccessClaims:
        cached = self._verified.get(token)
        if cached is not None:
            claims, expires_at = cached
            if time.time() < expires_at + self._leeway:
                return claims
            del self._verified[token]
            raise Unauthorized("The access token has expired.")
        verified = self._verify(token)
        if len(self._verified) >= self._verified_max:
            del self._verified[next(iter(self._verified))]  # the oldest entry: dicts keep insertion order
        self._verified[token] = verified
        return verified[0]

    def _verify(self, token: str) -> tuple[AccessClaims, float]:
        try:
            # The algorithm list is pinned: a token's own "alg" header (none, RS256 with our key as a
            # public key, ...) is never trusted.
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": _REQUIRED},
            )
            verified = AccessClaims(
                user_id=UUID(claims["sub"]),
                role=str(claims["role"]),
                session_id=UUID(claims["sid"]),
                token_id=str(claims["jti"]),
            )
            return verified, float(claims["exp"])
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The access token has expired.") from None
        except (jwt.PyJWTError, ValueError, TypeError, AttributeError):
            raise Unauthorized("The access token is invalid.") from None

    def new_refresh_token(self, user_id: UUID, family_id: UUID) -> RefreshToken:
        secret = secrets.token_bytes(32)
        token = base64.urlsafe_b64encode(user_id.bytes + family_id.bytes + secret).decode().rstrip("=")
        return RefreshToken(token=token, user_id=user_id, family_id=family_id, token_hash=_hash(token))

    def read_refresh_token(self, token: str) -> RefreshToken:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError):
            raise InvalidRefreshToken() from None
        if len(raw) != 64:
            raise InvalidRefreshToken()
        return RefreshToken(
            token=token,
            user_id=UUID(bytes=raw[:16]),
            family_id=UUID(bytes=raw[16:32]),
            token_hash=_hash(token),
        )


def _hash(token: str) -> str:
    # A refresh token carries 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()
