"""In-process adapters for the embedded mode (and the contract tests' reference)."""
