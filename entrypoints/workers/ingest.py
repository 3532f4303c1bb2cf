"""Runs ingestion of every configured feed until stopped, following instruments as admins list them.

The instrument list is re-read periodically; when it changes, each feed's stream is restarted with
the new list (a planned reconnect, after which the feed backfills what the gap may have missed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import structlog

from application.market.ingest import Ingestor
from domain.market.instruments import Instrument

log = structlog.get_logger(__name__)


async def run_ingest(
    ingestors: Sequence[Ingestor],
    instruments: Callable[[], Awaitable[list[Instrument]]],
    *,
    stop: asyncio.Event,
    resume_from: Callable[[str, list[Instrument]], Awaitable[dict[str, int]]] | None = None,
    refresh_seconds: float = 30.0,
    after_refresh: Callable[[], None] | None = None,
) -> None:
    current = await _read_instruments(instruments, [])
    first = True
    while not stop.is_set():
        restart = asyncio.Event()
        runs = []
        for ingestor in ingestors:
            # Only at start: later restarts (a new instrument) happen inside one process, and the feed's
            # own backfill covers the seconds of the switch.
            resume = await _resume(resume_from, ingestor.feed.exchange, current) if first else None
            runs.append(asyncio.create_task(ingestor.run(current, restart, resume)))
        first = False
        log.info("ingesting", feeds=[i.feed.exchange for i in ingestors], instruments=len(current))
        while not stop.is_set():
            try:
                async with asyncio.timeout(refresh_seconds):
                    await stop.wait()
            except TimeoutError:
                pass
            if after_refresh:
                after_refresh()
            latest = await _read_instruments(instruments, current)
            if latest != current:
                current = latest
                break
        restart.set()
        await asyncio.gather(*runs, return_exceptions=True)


async def _resume(
    resume_from: Callable[[str, list[Instrument]], Awaitable[dict[str, int]]] | None,
    exchange: str,
    instruments: list[Instrument],
) -> dict[str, int] | None:
    if resume_from is None:
        return None
    try:
        return await resume_from(exchange, instruments)
    except Exception as error:
        log.warning("cannot read where to resume; the feed starts from now", exchange=exchange, error=str(error))
        return None


async def _read_instruments(
    instruments: Callable[[], Awaitable[list[Instrument]]], fallback: list[Instrument]
) -> list[Instrument]:
    try:
        return sorted(await instruments())
    except Exception as error:
        log.warning("cannot read the instrument list; keeping the current one", error=str(error))
        return fallback
