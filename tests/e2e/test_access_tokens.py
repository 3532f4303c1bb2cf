"""Forged, misdirected and expired access tokens are refused; a well-formed one with the real key is not."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from litestar.testing import TestClient

from bootstrap.secrets import load_secrets
from bootstrap.settings import Settings

from .helpers import Account, signed_up

pytestmark = pytest.mark.e2e


@pytest.fixture
def account(client: TestClient[Any]) -> Account:
    return signed_up(client)


@pytest.fixture
def signing_key(full_settings: Settings) -> bytes:
    """The key every replica derives from CAP_SECRET_KEY."""
    return load_secrets(full_settings).jwt_signing_key


def _claims(account: Account, settings: Settings, **overrides: Any) -> dict[str, Any]:
    issued = jwt.decode(account.access_token, options={"verify_signature": False})
    now = int(time.time())
    claims = {
        "sub": account.id,
        "iat": now,
        "exp": now + 300,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "jti": uuid.uuid4().hex,
        "role": "user",
        "sid": issued["sid"],
    }
    return {**claims, **overrides}


def _me(client: TestClient[Any], token: str) -> int:
    return client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_a_token_built_like_the_servers_own_is_accepted(
    client: TestClient[Any], account: Account, signing_key: bytes, full_settings: Settings
) -> None:
    token = jwt.encode(_claims(account, full_settings), signing_key, algorithm="HS256")

    assert _me(client, token) == 200


def test_an_unsigned_token_with_alg_none_is_refused(
    client: TestClient[Any], account: Account, full_settings: Settings
) -> None:
    token = jwt.encode(_claims(account, full_settings), None, algorithm="none")

    assert _me(client, token) == 401


def test_a_token_signed_with_another_key_is_refused(
    client: TestClient[Any], account: Account, full_settings: Settings
) -> None:
    token = jwt.encode(_claims(account, full_settings), b"another-key-of-sufficient-length-32b", algorithm="HS256")

    assert _me(client, token) == 401


def test_a_token_for_another_audience_is_refused(
    client: TestClient[Any], account: Account, signing_key: bytes, full_settings: Settings
) -> None:
    token = jwt.encode(_claims(account, full_settings, aud="some-other-api"), signing_key, algorithm="HS256")

    assert _me(client, token) == 401


def test_an_expired_token_is_refused(
    client: TestClient[Any], account: Account, signing_key: bytes, full_settings: Settings
) -> None:
    long_ago = int(time.time()) - 3600
    claims = _claims(account, full_settings, iat=long_ago, exp=long_ago + 900)
    token = jwt.encode(claims, signing_key, algorithm="HS256")

    response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_tampered_token_is_refused(client: TestClient[Any], account: Account) -> None:
    header, payload, signature = account.access_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    tampered = ".".join([header, _b64({**claims, "role": "admin"}), signature])

    assert _me(client, account.access_token) == 200
    assert _me(client, tampered) == 401
