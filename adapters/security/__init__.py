"""Security adapters: argon2 password hashing, JWT tokens, keyed fingerprints, field encryption."""
