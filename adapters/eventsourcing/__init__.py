"""The event store on the eventsourcing library's recorders (POPO, SQLite, PostgreSQL)."""
