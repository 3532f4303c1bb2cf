"""Use cases: commands, queries, their handlers, the ports they need, the bus and the unit of work."""
