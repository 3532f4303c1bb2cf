"""Keyed email fingerprints: HMAC-SHA256 under a server secret, shaped as a UUID stream id."""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID


class HmacEmailFingerprints:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def stream_id(self, normalized_email: str) -> UUID:
        digest = hmac.new(self._key, normalized_email.encode(), hashlib.sha256).digest()
        return UUID(bytes=digest[:16], version=5)
