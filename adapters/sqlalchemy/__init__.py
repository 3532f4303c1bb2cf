"""Read-side views on SQLAlchemy async: SQLite (aiosqlite) embedded, PostgreSQL (asyncpg) in full mode."""
