"""The ways in: HTTP (Litestar), command line, background workers."""
