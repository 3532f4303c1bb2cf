"""Key material: one secret from settings (or a generated file when embedded), split by purpose with HKDF."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bootstrap.settings import Settings


@dataclass(frozen=True)
class Secrets:
    jwt_signing_key: bytes
    email_fingerprint_key: bytes
    key_vault_master_key: bytes


def load_secrets(settings: Settings) -> Secrets:
    root = settings.secret_key.encode() if settings.secret_key else _embedded_secret(settings)
    return Secrets(
        jwt_signing_key=_derive(root, b"cap jwt signing"),
        email_fingerprint_key=_derive(root, b"cap email fingerprint"),
        key_vault_master_key=_derive(root, b"cap key vault master"),
    )


def _derive(root: bytes, purpose: bytes) -> bytes:
    # Separate keys per purpose: a leak of one (say, a JWT key in a log) does not open the others.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(root)


def _embedded_secret(settings: Settings) -> bytes:
    """The embedded mode keeps its secret in the data folder, so tokens and data survive restarts."""
    path = settings.data_path / "secret.key"
    settings.data_path.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode()
