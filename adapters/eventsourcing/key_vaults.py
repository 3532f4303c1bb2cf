"""Key vaults beside the event store: a table in the same SQLite file or PostgreSQL database."""

from __future__ import annotations

import sqlite3
import threading
from uuid import UUID

from psycopg_pool import ConnectionPool

from adapters.eventsourcing.schema_lock import schema_lock
from adapters.security.key_vault import SubjectKeyVault


class SqliteKeyVault(SubjectKeyVault):
    def __init__(self, path: str, master_key: bytes, cache_seconds: float = 30.0) -> None:
        super().__init__(master_key, cache_seconds=cache_seconds)
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
            db.execute("PRAGMA secure_delete=ON")
        return db

    def _load(self, subject_id: UUID) -> bytes | None:
        # fetchall: a statement left unfinished would hold a read transaction open on the file.
        rows = (
            self._connection()
            .execute("SELECT wrapped FROM subject_keys WHERE subject_id = ?", (str(subject_id),))
            .fetchall()
        )
        return bytes(rows[0][0]) if rows else None

    def _insert_if_absent(self, subject_id: UUID, wrapped: bytes) -> None:
        self._connection().execute(
            "INSERT OR IGNORE INTO subject_keys (subject_id, wrapped) VALUES (?, ?)",
            (str(subject_id), wrapped),
        )

    def _delete(self, subject_id: UUID) -> None:
        db = self._connection()
        db.execute("DELETE FROM subject_keys WHERE subject_id = ?", (str(subject_id),))
        # secure_delete zeroed the row in the database file; the write-ahead log still holds page
        # images with the wrapped key until a checkpoint copies them back and truncates it.
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class PostgresKeyVault(SubjectKeyVault):
    def __init__(self, conninfo: str, master_key: bytes, pool_size: int = 4, cache_seconds: float = 30.0) -> None:
        super().__init__(master_key, cache_seconds=cache_seconds)
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
        # The deleted row stays on disk as a dead tuple until vacuumed; vacuum it now, so the wrapped
        # key does not outlive the deletion in the table's pages. (PostgreSQL's own WAL and any
        # backups taken before still hold it until they are recycled: that is the operator's retention.)
        with self._pool.connection() as db:
            db.autocommit = True
            db.execute("VACUUM subject_keys")

    def close(self) -> None:
        self._pool.close()
