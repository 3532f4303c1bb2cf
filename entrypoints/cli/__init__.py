"""The `cap` command line: serve, workers, replay tooling and administration."""
