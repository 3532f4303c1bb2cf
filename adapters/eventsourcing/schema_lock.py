"""One process at a time creates the PostgreSQL schema.

Replicas and workers start together on a fresh database, and concurrent `CREATE TABLE IF NOT EXISTS`
(or `CREATE TYPE`, `CREATE OR REPLACE FUNCTION`) race in the system catalogs: the losers fail with a
unique violation on pg_type. A session-level advisory lock around schema creation makes it serial.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

# Any constant shared by every process of the platform ("cap" in ASCII).
SCHEMA_LOCK_KEY = 0x636170


@contextmanager
def schema_lock(conninfo: str) -> Iterator[None]:
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))
