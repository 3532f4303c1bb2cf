"""Use cases of the users context."""
