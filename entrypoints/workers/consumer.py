"""Runs a stream consumer (the candle worker, the cache invalidator) over a record source until stopped,
retrying a failed batch until it lands.

A batch that fails to save (the database away, say) is applied again from a clean state: the store
did not change, so restoring from it and replaying the same records gives the same result.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import structlog

from application.ports.records import InboundRecord, RecordSource


class StreamConsumer(Protocol):
    """What `run_consumer` drives: the topics it reads, its stored positions, and a batch handler."""

    @property
    def topics(self) -> Sequence[str]: ...

    async def load_positions(self) -> dict[str, int]: ...

    def forget(self) -> None: ...

    async def handle(self, records: Sequence[InboundRecord]) -> None: ...


log = structlog.get_logger(__name__)


async def run_consumer(
    worker: StreamConsumer,
    source: RecordSource,
    *,
    stop: asyncio.Event,
    tick_seconds: float = 0.5,
    max_records: int = 5_000,
    linger_seconds: float = 0.0,
    after_batch: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """`linger_seconds`: after a batch smaller than `max_records`, wait this long for more before
    applying it (fewer, larger transactions when trades trickle in; live prices wait that long)."""
    name = type(worker).__name__
    await _start(name, worker, source, stop)
    try:
        while not stop.is_set():
            # An empty poll still goes to the worker: the clock alone closes candles of quiet symbols.
            records = await _poll_unless_stopped(source, max_records, tick_seconds, stop)
            if records and linger_seconds and len(records) < max_records:
                await _sleep_unless_stopped(stop, linger_seconds)
                records += await _poll_unless_stopped(source, max_records - len(records), 0.0, stop)
            await _handle_until_done(name, worker, records, stop)
            if after_batch:
                await after_batch()
    finally:
        await source.stop()


async def _poll_unless_stopped(
    source: RecordSource, max_records: int, tick_seconds: float, stop: asyncio.Event
) -> list[InboundRecord]:
    """A poll that ends at once when the worker is stopped (an idle poll would hold shutdown for a tick).

    Cancelling a poll loses nothing: a source advances only past the records it returns.
    """
    poll = asyncio.ensure_future(source.poll(max_records, tick_seconds))
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait([poll, stopped], return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not poll.done():
        poll.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poll
        return []
    return poll.result()


async def _start(name: str, worker: StreamConsumer, source: RecordSource, stop: asyncio.Event) -> None:
    delay = 0.2
    while not stop.is_set():
        try:
            await source.start(worker.topics, worker.load_positions, worker.forget)
            return
        except Exception as error:
            log.warning("consumer cannot start its source; retrying", consumer=name, error=str(error), retry_in=delay)
            await _sleep_unless_stopped(stop, delay)
            delay = min(delay * 2, 10.0)


async def _handle_until_done(
    name: str, worker: StreamConsumer, records: list[InboundRecord], stop: asyncio.Event
) -> None:
    delay = 0.2
    while True:
        try:
            await worker.handle(records)
            return
        except Exception:
            log.exception(
                "batch failed; retrying from the stored state", consumer=name, records=len(records), retry_in=delay
            )
            worker.forget()
            await worker.load_positions()
            if stop.is_set():
                return
            await _sleep_unless_stopped(stop, delay)
            delay = min(delay * 2, 10.0)


async def _sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await stop.wait()
    except TimeoutError:
        pass
