"""Runs a follower (projections, relay) until stopped: step while there is work, then wait to be woken.

A failing step is logged and retried with capped backoff; it never kills the process, because the
follower resumes from its stored position and nothing is lost by trying again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


async def follow(
    name: str,
    step: Callable[[], Awaitable[bool]],
    *,
    stop: asyncio.Event,
    wake: asyncio.Event | None = None,
    poll_seconds: float = 0.5,
    max_backoff_seconds: float = 10.0,
    after_step: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Follow until `stop` is set, finishing the step in hand.

    Stopping by flag rather than by cancellation matters: a step cancelled in the middle of a
    database call leaves a connection that the driver must tear down after the event loop is gone
    (SQLAlchemy's aiosqlite adapter then waits forever).
    """
    backoff = 0.0
    while not stop.is_set():
        try:
            while not stop.is_set() and await step():
                if after_step:
                    await after_step()
            if after_step:
                await after_step()
            backoff = 0.0
        except Exception:
            backoff = min(max(backoff * 2, 0.2), max_backoff_seconds)
            log.exception("follower step failed; retrying", follower=name, retry_in=backoff)
            await _wait_for_any(stop, None, backoff)
            continue
        # Woken at once by an in-process commit (or the stop), else by the poll for other processes.
        await _wait_for_any(stop, wake, poll_seconds)
        if wake is not None:
            wake.clear()


async def _wait_for_any(stop: asyncio.Event, wake: asyncio.Event | None, seconds: float) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in (stop, wake) if event is not None]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


class WakeSignal:
    """Broadcasts "something was committed" to every follower in this process."""

    def __init__(self) -> None:
        self._events: list[asyncio.Event] = []

    def listener(self) -> asyncio.Event:
        event = asyncio.Event()
        self._events.append(event)
        return event

    def notify(self, _notification_id: int = 0) -> None:
        for event in self._events:
            event.set()
