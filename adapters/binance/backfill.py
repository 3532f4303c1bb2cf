"""Sealed 1m candles over REST (`GET /api/v3/klines`) for the minutes a feed missed while disconnected.

Pages forward by open time (1000 klines a request) and keeps only closed klines. Rate limiting (429,
and 418 once banned) is answered by waiting the `Retry-After` seconds; server and network errors by a
few retries with backoff. A symbol that still fails is given up for this round and reported as a gap:
the backfill never raises, so it cannot take the stream down with it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import structlog

from adapters.binance.frames import EXCHANGE, sealed_minute
from adapters.feeds.backoff import Backoff
from adapters.feeds.errors import MalformedFrame
from application.ports.market import FeedObserver
from domain.market.instruments import Instrument, SymbolMap
from domain.market.intervals import MINUTE_MS
from domain.market.values import Candle

log = structlog.get_logger(__name__)

PAGE_LIMIT = 1000
RATE_LIMITED = frozenset({429, 418})

# open time, open, high, low, close, volume, close time, quote volume, trades, taker base, taker quote, ignore
_Row = tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal, int, Any, int, Any, Any, Any]
_rows = msgspec.json.Decoder(list[_Row])


class _GiveUp(Exception):
    pass


class Backfill(msgspec.Struct, frozen=True):
    """Sealed candles found (by instrument, oldest first) and the instruments whose backfill was given up."""

    candles: list[Candle]
    failed: tuple[Instrument, ...] = ()


class BinanceBackfill:
    def __init__(
        self,
        rest_url: str = "https://api.binance.com",
        *,
        observer: FeedObserver | None = None,
        client: httpx.AsyncClient | None = None,
        max_attempts: int = 5,
        max_retry_after_seconds: float = 30.0,
        backoff: Callable[[], Backoff] = lambda: Backoff(base_seconds=0.5, cap_seconds=10.0),
        concurrency: int = 4,
        timeout_seconds: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._url = rest_url.rstrip("/") + "/api/v3/klines"
        self._observer = observer
        self._client = client
        self._max_attempts = max_attempts
        self._max_retry_after = max_retry_after_seconds
        self._backoff = backoff
        self._concurrency = concurrency
        self._timeout = timeout_seconds
        self._sleep = sleep

    async def candles(self, since: Mapping[Instrument, int], now_ms: int) -> Backfill:
        """Closed 1m candles of each instrument from the minute holding `since[instrument]` up to `now_ms`."""
        symbols = SymbolMap(since)
        gate = asyncio.Semaphore(self._concurrency)
        async with self._http() as client:

            async def one(instrument: Instrument, start_ms: int) -> tuple[list[Candle], bool]:
                async with gate:
                    return await self._instrument(client, symbols, instrument, start_ms, now_ms)

            found = await asyncio.gather(*(one(i, start) for i, start in since.items()))
        return Backfill(
            candles=[candle for candles, _ in found for candle in candles],
            failed=tuple(i for i, (_, ok) in zip(since, found, strict=True) if not ok),
        )

    @contextlib.asynccontextmanager
    async def _http(self) -> AsyncIterator[httpx.AsyncClient]:
        if self._client is not None:
            yield self._client
        else:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                yield client

    async def _instrument(
        self, client: httpx.AsyncClient, symbols: SymbolMap, instrument: Instrument, start_ms: int, now_ms: int
    ) -> tuple[list[Candle], bool]:
        name = symbols.to_exchange(instrument)
        start = start_ms - start_ms % MINUTE_MS
        candles: list[Candle] = []
        while start < now_ms:
            try:
                rows = await self._page(client, name, start, now_ms)
                for open_time, open_, high, low, close, volume, close_time, _, trades, *_ in rows:
                    if close_time < now_ms:  # closed: its close time has passed
                        candles.append(
                            sealed_minute(instrument.symbol, open_time, open_, high, low, close, volume, trades)
                        )
            except (_GiveUp, MalformedFrame) as exc:
                missing = max(0, (now_ms - start) // MINUTE_MS)
                log.warning("kline backfill given up", exchange=EXCHANGE, symbol=name, reason=str(exc)[:200])
                if isinstance(exc, MalformedFrame) and self._observer is not None:
                    self._observer.malformed(EXCHANGE, f"klines of {name}: {exc}")
                if self._observer is not None:
                    self._observer.gap(EXCHANGE, missing)
                return candles, False
            if len(rows) < PAGE_LIMIT:
                break
            start = max(start + MINUTE_MS, rows[-1][0] + MINUTE_MS)
        return candles, True

    async def _page(self, client: httpx.AsyncClient, name: str, start: int, end: int) -> list[_Row]:
        params: dict[str, str | int] = {
            "symbol": name,
            "interval": "1m",
            "startTime": start,
            "endTime": end,
            "limit": PAGE_LIMIT,
        }
        backoff = self._backoff()
        problem = "no attempt made"
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = await client.get(self._url, params=params)
            except httpx.HTTPError as exc:
                problem, delay = f"{type(exc).__name__}: {exc}", backoff.next_delay()
            else:
                if response.status_code == 200:
                    try:
                        return _rows.decode(response.content)
                    except msgspec.DecodeError as exc:  # ValidationError included
                        raise MalformedFrame(str(exc)) from None
                problem = f"HTTP {response.status_code}: {response.text[:200]}"
                if response.status_code in RATE_LIMITED:
                    delay = _retry_after(response) or backoff.next_delay()
                    if delay > self._max_retry_after:
                        raise _GiveUp(f"{problem} (Retry-After {delay:g}s is too long to wait)")
                elif response.status_code < 500:
                    raise _GiveUp(problem)  # the request itself is wrong: repeating it cannot help
                else:
                    delay = backoff.next_delay()
            if attempt == self._max_attempts:
                break
            log.info("kline request failed, retrying", exchange=EXCHANGE, symbol=name, problem=problem, delay=delay)
            await self._sleep(delay)
        raise _GiveUp(f"{problem} after {self._max_attempts} attempts")


def _retry_after(response: httpx.Response) -> float | None:
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
