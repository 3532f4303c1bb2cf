"""Pure domain models per bounded context: no I/O, no frameworks."""
