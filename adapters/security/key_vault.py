"""Per-subject data keys, stored wrapped under a master key, with a short-lived in-process cache.

Subclasses store the wrapped keys (memory, SQLite, PostgreSQL). Shredding deletes the row: no copy of
the key survives, so every personal field sealed with it is gone. The cache is bounded in time so that
a key shredded by another replica stops working here within `cache_seconds`.
"""

from __future__ import annotations

import os
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from uuid import UUID

from anyio import to_thread
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class MasterKeyMismatch(RuntimeError):
    """The key vault's rows were wrapped under another master key."""


class SubjectKeyVault(ABC):
    def __init__(self, master_key: bytes, cache_size: int = 10_000, cache_seconds: float = 30.0) -> None:
        self._master = AESGCM(master_key)
        self._cache: OrderedDict[UUID, tuple[float, bytes]] = OrderedDict()
        self._cache_size = cache_size
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()

    @abstractmethod
    def _load(self, subject_id: UUID) -> bytes | None: ...

    @abstractmethod
    def _insert_if_absent(self, subject_id: UUID, wrapped: bytes) -> None: ...

    @abstractmethod
    def _delete(self, subject_id: UUID) -> None: ...

    def close(self) -> None:  # noqa: B027 - most stores hold nothing to close
        """Release connections, if the store holds any."""

    def create_key_sync(self, subject_id: UUID) -> None:
        nonce = os.urandom(12)
        wrapped = nonce + self._master.encrypt(nonce, AESGCM.generate_key(256), subject_id.bytes)
        self._insert_if_absent(subject_id, wrapped)

    def key_for(self, subject_id: UUID) -> bytes | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(subject_id)
            if cached and cached[0] > now:
                self._cache.move_to_end(subject_id)
                return cached[1]
        wrapped = self._load(subject_id)
        if wrapped is None:
            return None
        try:
            key = self._master.decrypt(wrapped[:12], wrapped[12:], subject_id.bytes)
        except InvalidTag:
            raise MasterKeyMismatch(
                "a stored data key does not open with this master key: was CAP_SECRET_KEY changed?"
            ) from None
        with self._lock:
            self._cache[subject_id] = (now + self._cache_seconds, key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return key

    def shred_sync(self, subject_id: UUID) -> None:
        with self._lock:
            self._cache.pop(subject_id, None)
        self._delete(subject_id)

    async def create_key(self, subject_id: UUID) -> None:
        await to_thread.run_sync(self.create_key_sync, subject_id)

    async def shred(self, subject_id: UUID) -> None:
        await to_thread.run_sync(self.shred_sync, subject_id)


class MemoryKeyVault(SubjectKeyVault):
    def __init__(self, master_key: bytes, cache_seconds: float = 30.0) -> None:
        super().__init__(master_key, cache_seconds=cache_seconds)
        self._rows: dict[UUID, bytes] = {}

    def _load(self, subject_id: UUID) -> bytes | None:
        return self._rows.get(subject_id)

    def _insert_if_absent(self, subject_id: UUID, wrapped: bytes) -> None:
        self._rows.setdefault(subject_id, wrapped)

    def _delete(self, subject_id: UUID) -> None:
        self._rows.pop(subject_id, None)
