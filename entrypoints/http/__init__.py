"""The HTTP entrypoint: a Litestar app with command and query endpoints under /api/v1."""
