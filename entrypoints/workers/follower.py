"""Runs a follower (projections, relay) until stopped: step while there is work, then wait to be woken.

A failing step is logged and retried with capped backoff; it never kills the process, because the
follower resumes from its stored position and nothing is lost by trying again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


async def follow(
    name: str,
    step: Callable[[], Awaitable[bool]],
    *,
    wake: asyncio.Event | None = None,
    poll_seconds: float = 0.5,
    max_backoff_seconds: float = 10.0,
    after_step: Callable[[], Awaitable[None]] | None = None,
) -> None:
    backoff = 0.0
    while True:
        try:
            while await step():
                if after_step:
                    await after_step()
            if after_step:
                await after_step()
            backoff = 0.0
        except asyncio.CancelledError:
            raise
        except Exception:
            backoff = min(max(backoff * 2, 0.2), max_backoff_seconds)
            log.exception("follower step failed; retrying", follower=name, retry_in=backoff)
            await asyncio.sleep(backoff)
            continue
        if wake is None:
            await asyncio.sleep(poll_seconds)
            continue
        # Woken at once by an in-process commit, or by the poll for commits of other processes.
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that arrives as
        # the wake-up does, and the worker would then outlive its shutdown.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(poll_seconds):
                await wake.wait()
        wake.clear()


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
