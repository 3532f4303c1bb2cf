"""Key vaults beside the event store: a table in the same SQLite file or PostgreSQL database."""

from __future__ import annotations

import sqlite3
import threading
from uuid import UUID

import psycopg
from psycopg_pool import ConnectionPool

from adapters.eventsourcing.schema_lock import schema_lock
from adapters.security.key_vault import SubjectKeyVault


class SqliteKeyVault(SubjectKeyVault):
    def __init__(self, path: str, master_key: bytes, **kwargs: float) -> None:
        super().__init__(master_key, **kwargs)  # type: ignore[arg-type]
        self._path = path
        self._local = threading.local()
        with self._connection() as db:
            db.execute("CREATE TABLE IF NOT EXISTS subject_keys (subject_id TEXT PRIMARY KEY, wrapped BLOB NOT NULL)")

    def _connection(self) -> sqlite3.Connection:
        # sqlite3 connections may not cross threads; event store work runs on a thread pool.
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(self._path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
        return db

    def _load(self, subject_id: UUID) -> bytes | None:
        row = (
            self._connection()
            .execute("SELECT wrapped FROM subject_keys WHERE subject_id = ?", (str(subject_id),))
            .fetchone()
        )
        return bytes(row[0]) if row else None

    def _insert_if_absent(self, subject_id: UUID, wrapped: bytes) -> None:
        self._connection().execute(
            "INSERT OR IGNORE INTO subject_keys (subject_id, wrapped) VALUES (?, ?)",
            (str(subject_id), wrapped),
        )

    def _delete(self, subject_id: UUID) -> None:
        self._connection().execute("DELETE FROM subject_keys WHERE subject_id = ?", (str(subject_id),))


class PostgresKeyVault(SubjectKeyVault):
    def __init__(self, conninfo: str, master_key: bytes, pool_size: int = 4, **kwargs: float) -> None:
        super().__init__(master_key, **kwargs)  # type: ignore[arg-type]
        self._pool = ConnectionPool(conninfo, min_size=1, max_size=pool_size, open=True)
        with schema_lock(conninfo), self._pool.connection() as db:
            db.execute("CREATE TABLE IF NOT EXISTS subject_keys (subject_id uuid PRIMARY KEY, wrapped bytea NOT NULL)")

    def _load(self, subject_id: UUID) -> bytes | None:
        with self._pool.connection() as db:
            row = db.execute("SELECT wrapped FROM subject_keys WHERE subject_id = %s", (subject_id,)).fetchone()
        return bytes(row[0]) if row else None

    def _insert_if_absent(self, subject_id: UUID, wrapped: bytes) -> None:
        with self._pool.connection() as db:
            db.execute(
                "INSERT INTO subject_keys (subject_id, wrapped) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (subject_id, wrapped),
            )

    def _delete(self, subject_id: UUID) -> None:
        with self._pool.connection() as db:
            db.execute("DELETE FROM subject_keys WHERE subject_id = %s", (subject_id,))
            # VACUUM is not needed for erasure semantics: the key is gone from every live snapshot, and
            # without it the ciphertexts it sealed cannot be opened.

    def close(self) -> None:
        self._pool.close()


__all__ = ["PostgresKeyVault", "SqliteKeyVault", "psycopg"]
