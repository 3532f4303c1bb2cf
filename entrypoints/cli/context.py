"""A container with its tables ready, for one CLI command, closed afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bootstrap.container import Container, create_container
from bootstrap.runtime import Runtime
from bootstrap.settings import Settings


@asynccontextmanager
async def cli_container(settings: Settings) -> AsyncIterator[Container]:
    runtime = Runtime(create_container(settings))
    await runtime.start()
    try:
        yield runtime.container
    finally:
        await runtime.stop()
