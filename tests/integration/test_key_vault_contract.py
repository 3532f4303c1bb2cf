"""The key vault contract, run against the memory, SQLite and PostgreSQL vaults."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from adapters.eventsourcing.key_vaults import PostgresKeyVault, SqliteKeyVault
from adapters.security.key_vault import MasterKeyMismatch, MemoryKeyVault, SubjectKeyVault

pytestmark = pytest.mark.integration


@dataclass
class VaultStorage:
    """One storage and the vaults opened on it (each one a replica with its own cache)."""

    master_key: bytes
    open_vault: Callable[..., SubjectKeyVault]
    raw_rows: Callable[[], list[tuple[str, bytes]]]
    opened: list[SubjectKeyVault] = field(default_factory=list)

    def vault(self, master_key: bytes | None = None, **kwargs: float) -> SubjectKeyVault:
        opened = self.open_vault(master_key or self.master_key, **kwargs)
        self.opened.append(opened)
        return opened


def _memory(master_key: bytes) -> VaultStorage:
    vault = MemoryKeyVault(master_key)

    def open_vault(key: bytes, **kwargs: float) -> SubjectKeyVault:
        assert (key, kwargs) == (master_key, {}), "the memory vault is its own storage: no second instance on it"
        return vault

    # The memory vault's storage is its dict of wrapped keys.
    return VaultStorage(master_key, open_vault, lambda: [(str(k), v) for k, v in vault._rows.items()])


def _sqlite(path: str, master_key: bytes) -> VaultStorage:
    def raw_rows() -> list[tuple[str, bytes]]:
        with closing(sqlite3.connect(path)) as db:
            return [(str(s), bytes(w)) for s, w in db.execute("SELECT subject_id, wrapped FROM subject_keys")]

    return VaultStorage(master_key, lambda key, **kwargs: SqliteKeyVault(path, key, **kwargs), raw_rows)


def _postgres(dsn: str, master_key: bytes) -> VaultStorage:
    def raw_rows() -> list[tuple[str, bytes]]:
        with psycopg.connect(dsn) as db:
            return [(str(s), bytes(w)) for s, w in db.execute("SELECT subject_id, wrapped FROM subject_keys")]

    return VaultStorage(master_key, lambda key, **kwargs: PostgresKeyVault(dsn, key, pool_size=2, **kwargs), raw_rows)


def _storage(name: str, request: pytest.FixtureRequest, tmp_path: Path, master_key: bytes) -> VaultStorage:
    if name == "memory":
        return _memory(master_key)
    if name == "sqlite":
        return _sqlite(str(tmp_path / "events.sqlite"), master_key)
    return _postgres(request.getfixturevalue("fresh_database"), master_key)


def _close_all(storage: VaultStorage) -> None:
    for vault in storage.opened:
        vault.close()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def storage(request: pytest.FixtureRequest, tmp_path: Path, master_key: bytes) -> Iterator[VaultStorage]:
    built = _storage(request.param, request, tmp_path, master_key)
    yield built
    _close_all(built)


@pytest.fixture(params=["sqlite", "postgres"])
def shared_storage(request: pytest.FixtureRequest, tmp_path: Path, master_key: bytes) -> Iterator[VaultStorage]:
    """A storage that several processes (vault instances) use at once."""
    built = _storage(request.param, request, tmp_path, master_key)
    yield built
    _close_all(built)


class TestEveryVault:
    async def test_an_unknown_subject_has_no_key(self, storage: VaultStorage) -> None:
        assert storage.vault().key_for(uuid4()) is None

    async def test_creates_a_256_bit_key_per_subject(self, storage: VaultStorage) -> None:
        vault = storage.vault()
        alice, bob = uuid4(), uuid4()

        await vault.create_key(alice)
        await vault.create_key(bob)

        alice_key, bob_key = vault.key_for(alice), vault.key_for(bob)
        assert alice_key is not None
        assert bob_key is not None
        assert len(alice_key) == len(bob_key) == 32
        assert bob_key != alice_key

    async def test_creating_a_key_twice_keeps_the_first_key(self, storage: VaultStorage) -> None:
        vault = storage.vault()
        subject = uuid4()
        await vault.create_key(subject)
        first = vault.key_for(subject)

        await vault.create_key(subject)

        assert vault.key_for(subject) == first

    async def test_shredding_destroys_the_key(self, storage: VaultStorage) -> None:
        vault = storage.vault()
        subject, other = uuid4(), uuid4()
        await vault.create_key(subject)
        await vault.create_key(other)
        assert vault.key_for(subject) is not None  # now cached

        await vault.shred(subject)

        assert vault.key_for(subject) is None
        assert vault.key_for(other) is not None
        assert _subjects(storage) == {str(other)}

    async def test_shredding_an_unknown_subject_is_harmless(self, storage: VaultStorage) -> None:
        await storage.vault().shred(uuid4())

    async def test_stores_keys_only_wrapped(self, storage: VaultStorage) -> None:
        vault = storage.vault()
        subject = uuid4()
        await vault.create_key(subject)
        key = vault.key_for(subject)
        assert key is not None

        [(stored_subject, wrapped)] = storage.raw_rows()

        assert stored_subject == str(subject)
        assert key not in wrapped
        assert len(wrapped) > len(key)


class TestVaultsSharingStorage:
    async def test_another_instance_reads_the_same_key(self, shared_storage: VaultStorage) -> None:
        writer, reader = shared_storage.vault(), shared_storage.vault(cache_seconds=0)
        subject = uuid4()

        await writer.create_key(subject)

        assert reader.key_for(subject) == writer.key_for(subject) is not None

    async def test_a_second_create_on_another_instance_keeps_the_first_key(self, shared_storage: VaultStorage) -> None:
        first, second = shared_storage.vault(), shared_storage.vault()
        subject = uuid4()
        await first.create_key(subject)
        original = first.key_for(subject)

        await second.create_key(subject)

        assert second.key_for(subject) == original
        assert shared_storage.vault(cache_seconds=0).key_for(subject) == original

    async def test_a_shred_on_one_instance_removes_the_key_for_another_uncached_one(
        self, shared_storage: VaultStorage
    ) -> None:
        shredder, replica = shared_storage.vault(), shared_storage.vault(cache_seconds=0)
        subject = uuid4()
        await shredder.create_key(subject)
        assert replica.key_for(subject) is not None

        await shredder.shred(subject)

        assert replica.key_for(subject) is None
        assert shared_storage.raw_rows() == []

    async def test_a_vault_with_another_master_key_cannot_unwrap_the_keys(self, shared_storage: VaultStorage) -> None:
        subject = uuid4()
        await shared_storage.vault().create_key(subject)
        misconfigured = shared_storage.vault(master_key=os.urandom(32), cache_seconds=0)

        with pytest.raises(MasterKeyMismatch):
            misconfigured.key_for(subject)


def _subjects(storage: VaultStorage) -> set[str]:
    return {subject for subject, _ in storage.raw_rows()}
