from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest

from adapters.security.tokens import JwtTokenService
from domain.shared.errors import Unauthorized
from domain.users.errors import InvalidRefreshToken

from ..fakes import AUDIENCE, ISSUER, SIGNING_KEY

USER = uuid.UUID("6f1c2a3e-4b5d-4e6f-8a9b-0c1d2e3f4a5b")
SESSION = uuid.UUID("0e9d8c7b-6a59-4847-b635-241302f1e0d9")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _hand_signed(header: dict[str, Any], claims: dict[str, Any], key: bytes = SIGNING_KEY) -> str:
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": str(USER),
        "iat": now,
        "exp": now + 600,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "jti": uuid.uuid4().hex,
        "role": "user",
        "sid": str(SESSION),
    }
    claims.update(changes)
    return claims


class TestValidAccessTokens:
    def test_an_issued_token_decodes_to_its_claims(self, tokens: JwtTokenService) -> None:
        issued = tokens.issue_access(USER, "admin", SESSION)
        claims = tokens.decode_access(issued.token)
        assert (claims.user_id, claims.role, claims.session_id) == (USER, "admin", SESSION)
        assert claims.token_id
        assert issued.expires_in == 900

    def test_every_issued_token_has_its_own_id(self, tokens: JwtTokenService) -> None:
        first = tokens.decode_access(tokens.issue_access(USER, "user", SESSION).token)
        second = tokens.decode_access(tokens.issue_access(USER, "user", SESSION).token)
        assert first.token_id != second.token_id

    def test_a_hand_signed_token_with_our_key_and_claims_is_accepted(self, tokens: JwtTokenService) -> None:
        # The forgeries below differ from this token in one respect each.
        token = _hand_signed({"alg": "HS256", "typ": "JWT"}, _claims())
        assert tokens.decode_access(token).user_id == USER

    def test_a_token_expired_within_the_leeway_is_still_accepted(self, tokens: JwtTokenService) -> None:
        token = jwt.encode(_claims(exp=int(time.time()) - 2), SIGNING_KEY, algorithm="HS256")
        assert tokens.decode_access(token).user_id == USER


class TestRejectedAccessTokens:
    @pytest.mark.parametrize("alg", ["none", "None", "NONE"])
    def test_rejects_an_unsigned_alg_none_token(self, tokens: JwtTokenService, alg: str) -> None:
        token = f"{_segment({'alg': alg, 'typ': 'JWT'})}.{_segment(_claims())}."
        with pytest.raises(Unauthorized):
            tokens.decode_access(token)

    def test_rejects_a_token_signed_with_another_key(self, tokens: JwtTokenService) -> None:
        token = jwt.encode(_claims(), b"another-key-that-is-also-32-bytes-long", algorithm="HS256")
        with pytest.raises(Unauthorized):
            tokens.decode_access(token)

    def test_rejects_a_token_for_another_audience(self, tokens: JwtTokenService) -> None:
        token = jwt.encode(_claims(aud="another-api"), SIGNING_KEY, algorithm="HS256")
        with pytest.raises(Unauthorized):
            tokens.decode_access(token)

    def test_rejects_a_token_from_another_issuer(self, tokens: JwtTokenService) -> None:
        token = jwt.encode(_claims(iss="someone-else"), SIGNING_KEY, algorithm="HS256")
        with pytest.raises(Unauthorized):
            tokens.decode_access(token)

    def test_rejects_an_expired_token(self, tokens: JwtTokenService) -> None:
        now = int(time.time())
        token = jwt.encode(_claims(iat=now - 3600, exp=now - 60), SIGNING_KEY, algorithm="HS256")
        with pytest.raises(Unauthorized, match="expired"):
            tokens.decode_access(token)

    def test_rejects_a_token_whose_payload_was_tampered_with(self, tokens: JwtTokenService) -> None:
        header, _, signature = tokens.issue_access(USER, "user", SESSION).token.split(".")
        forged = f"{header}.{_segment(_claims(role='admin'))}.{signature}"
        with pytest.raises(Unauthorized):
            tokens.decode_access(forged)

    @pytest.mark.parametrize("claim", ["sub", "exp", "iat", "iss", "aud", "jti", "role", "sid"])
    def test_rejects_a_token_missing_a_required_claim(self, tokens: JwtTokenService, claim: str) -> None:
        claims = _claims()
        del claims[claim]
        with pytest.raises(Unauthorized):
            tokens.decode_access(jwt.encode(claims, SIGNING_KEY, algorithm="HS256"))

    def test_rejects_an_hs256_signature_under_an_rs256_header(self, tokens: JwtTokenService) -> None:
        token = _hand_signed({"alg": "RS256", "typ": "JWT"}, _claims())
        with pytest.raises(Unauthorized):
            tokens.decode_access(token)

    @pytest.mark.parametrize(("claim", "value"), [("sub", "not-a-uuid"), ("sid", "not-a-uuid"), ("sid", 42)])
    def test_rejects_a_signed_token_with_a_malformed_identifier(
        self, tokens: JwtTokenService, claim: str, value: object
    ) -> None:
        token = jwt.encode(_claims(**{claim: value}), SIGNING_KEY, algorithm="HS256")
        with pytest.raises(Unauthorized):
            tokens.decode_access(token)

    @pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "a.b", "Bearer x.y.z"])
    def test_rejects_a_malformed_token(self, tokens: JwtTokenService, token: str) -> None:
        with pytest.raises(Unauthorized):
            tokens.decode_access(token)


class TestRefreshTokens:
    def test_a_refresh_token_reads_back_as_its_user_family_and_hash(self, tokens: JwtTokenService) -> None:
        issued = tokens.new_refresh_token(USER, SESSION)
        read = tokens.read_refresh_token(issued.token)
        assert read == issued
        assert (read.user_id, read.family_id) == (USER, SESSION)

    def test_only_a_hash_of_the_token_is_meant_for_storage(self, tokens: JwtTokenService) -> None:
        issued = tokens.new_refresh_token(USER, SESSION)
        assert issued.token_hash != issued.token
        assert issued.token not in issued.token_hash

    def test_two_tokens_of_one_family_differ(self, tokens: JwtTokenService) -> None:
        first, second = tokens.new_refresh_token(USER, SESSION), tokens.new_refresh_token(USER, SESSION)
        assert first.token != second.token
        assert first.token_hash != second.token_hash

    @pytest.mark.parametrize(
        "token",
        ["", "garbage", "été", "a" * 85, "a" * 87, _b64(b"\x00" * 63), _b64(b"\x00" * 65), "x.y.z"],
    )
    def test_a_malformed_refresh_token_is_invalid(self, tokens: JwtTokenService, token: str) -> None:
        with pytest.raises(InvalidRefreshToken):
            tokens.read_refresh_token(token)
