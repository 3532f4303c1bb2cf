"""The users context: accounts, credentials, sessions, preferences and erasure."""
