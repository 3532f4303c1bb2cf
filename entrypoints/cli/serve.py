"""`cap serve` and `cap worker NAME`."""

from __future__ import annotations

import argparse

import uvicorn

from bootstrap.app import build_app
from bootstrap.container import create_container
from bootstrap.runtime import WORKERS, Runtime
from bootstrap.settings import Settings

WORKER_NAMES = WORKERS


def serve(settings: Settings, args: argparse.Namespace) -> int:
    host = args.host or settings.host
    port = args.port or settings.port
    app = build_app(settings)
    # Behind a proxy the client address (which login limits count) comes from X-Forwarded-For, but
    # only when the proxy is trusted: anyone could send that header.
    trusted = settings.forwarded_allow_ips
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )
    return 0


async def worker(settings: Settings, args: argparse.Namespace) -> int:
    runtime = Runtime(create_container(settings))
    try:
        await runtime.run_worker(args.name)
    finally:
        await runtime.stop()
    return 0
