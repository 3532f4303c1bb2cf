"""AES-GCM encryption of single string fields under a per-subject key from a key vault."""

from __future__ import annotations

import base64
import os
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.security.key_vault import SubjectKeyVault

_PREFIX = "enc1:"


class CorruptPersonalData(ValueError):
    """A sealed field that its subject's key does not open."""


class FieldCipher:
    def __init__(self, vault: SubjectKeyVault) -> None:
        self._vault = vault

    def encrypt(self, subject_id: UUID, plaintext: str) -> str:
        key = self._vault.key_for(subject_id)
        if key is None:
            raise LookupError(f"no data key for subject {subject_id}: create it before writing personal data")
        nonce = os.urandom(12)
        # The subject id is authenticated data: a field cannot be moved to another subject's event.
        sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), subject_id.bytes)
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, subject_id: UUID, stored: str) -> str | None:
        """The plaintext, or None once the subject's key has been shredded."""
        if not stored.startswith(_PREFIX):
            return stored
        key = self._vault.key_for(subject_id)
        if key is None:
            return None
        raw = base64.urlsafe_b64decode(stored[len(_PREFIX) :])
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], subject_id.bytes).decode()
        except InvalidTag:
            # The key exists but does not open the field: corruption or tampering, never erasure.
            raise CorruptPersonalData(f"a personal field of subject {subject_id} fails authentication") from None
