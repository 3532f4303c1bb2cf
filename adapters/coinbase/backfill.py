"""Sealed 1m candles from the Advanced Trade public REST API, for the minutes a feed missed.

`GET {rest}/api/v3/brokerage/market/products/{product}/candles?start=&end=&granularity=ONE_MINUTE&limit=300`
(start and end: UNIX seconds; the answer is `{"candles": [...]}`, newest first). A request covers at most
300 minutes: `end` is one second before the next page's first minute, so a page holds 300 candles
whether the exchange treats `end` as inclusive or not. Minutes without trades have no candle.

429 waits for `Retry-After`; 5xx, timeouts and broken connections are retried with backoff, a bounded
number of times; then the product is given up for this round (the caller logs it). Never raises for
exchange trouble.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal

import httpx
import msgspec

from adapters.coinbase.frames import EXCHANGE, epoch_seconds_ms
from adapters.feeds.backoff import Backoff
from adapters.feeds.errors import MalformedFrame
from domain.market.intervals import MINUTE_MS
from domain.market.values import Candle

PAGE_MINUTES = 300
CANDLES_PATH = "/api/v3/brokerage/market/products/{product_id}/candles"

Sleep = Callable[[float], Awaitable[None]]


class _RestCandle(msgspec.Struct):
    start: str
    low: Decimal
    high: Decimal
    open: Decimal
    close: Decimal
    volume: Decimal


class _CandlesPage(msgspec.Struct):
    candles: list[_RestCandle]


_PAGE = msgspec.json.Decoder(_CandlesPage)


class BackfillResult(msgspec.Struct, frozen=True):
    """Candles fetched, oldest first; `error` says why the rest of the range was given up."""

    candles: list[Candle]
    error: str | None = None


class _GiveUp(Exception):
    pass


class CoinbaseBackfill:
    def __init__(
        self,
        client: httpx.AsyncClient,
        rest_url: str,
        *,
        attempts: int = 4,
        retry_base_seconds: float = 0.5,
        retry_cap_seconds: float = 10.0,
        max_retry_after_seconds: float = 60.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._client = client
        self._rest_url = rest_url.rstrip("/")
        self._attempts = max(1, attempts)
        self._retry_base = retry_base_seconds
        self._retry_cap = retry_cap_seconds
        self._max_retry_after = max_retry_after_seconds
        self._sleep = sleep

    async def minutes(self, product_id: str, symbol: str, start_ms: int, end_ms: int, now_ms: int) -> BackfillResult:
        """Closed 1m candles with start_ms <= open time < end_ms (both minute-aligned), oldest first."""
        end_ms = min(end_ms, now_ms - now_ms % MINUTE_MS)
        candles: dict[int, Candle] = {}
        page_start = start_ms
        while page_start < end_ms:
            page_end = min(page_start + PAGE_MINUTES * MINUTE_MS, end_ms)
            try:
                rows = await self._page(product_id, page_start, page_end)
            except _GiveUp as exc:
                return BackfillResult(sorted(candles.values(), key=_open_time), f"{product_id}: {exc}")
            for row in rows:
                try:
                    candle = _candle(symbol, row)
                except MalformedFrame as exc:
                    return BackfillResult(sorted(candles.values(), key=_open_time), f"{product_id}: {exc}")
                if page_start <= candle.open_time < page_end:
                    candles[candle.open_time] = candle
            page_start = page_end
        return BackfillResult(sorted(candles.values(), key=_open_time))

    async def _page(self, product_id: str, start_ms: int, end_ms: int) -> list[_RestCandle]:
        url = self._rest_url + CANDLES_PATH.format(product_id=product_id)
        params = {
            "start": str(start_ms // 1000),
            "end": str(end_ms // 1000 - 1),
            "granularity": "ONE_MINUTE",
            "limit": str(PAGE_MINUTES),
        }
        backoff = Backoff(self._retry_base, self._retry_cap)
        reason = ""
        for attempt in range(self._attempts):
            last = attempt == self._attempts - 1
            try:
                response = await self._client.get(url, params=params)
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}"
                delay = backoff.next_delay()
            else:
                status = response.status_code
                if status == 200:
                    try:
                        return _PAGE.decode(response.content).candles
                    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                        raise _GiveUp(f"unexpected candles answer: {exc}") from None
                reason = f"HTTP {status}"
                if status == 429:
                    delay = _retry_after(response) or backoff.next_delay()
                    if delay > self._max_retry_after:
                        raise _GiveUp(f"rate limited for {delay:.0f} s")
                elif status >= 500 or status == 408:
                    delay = backoff.next_delay()
                else:
                    raise _GiveUp(f"{reason}: {response.text[:200]}")
            if not last:
                await self._sleep(delay)
        raise _GiveUp(f"gave up after {self._attempts} attempts ({reason})")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _candle(symbol: str, row: _RestCandle) -> Candle:
    prices = (row.open, row.high, row.low, row.close)
    if any(not p.is_finite() or p <= 0 for p in prices) or not row.volume.is_finite() or row.volume < 0:
        raise MalformedFrame(f"candle {row.start} has a price or volume out of range")
    return Candle(
        exchange=EXCHANGE,
        symbol=symbol,
        interval="1m",
        open_time=epoch_seconds_ms(row.start),
        open=row.open,
        high=row.high,
        low=row.low,
        close=row.close,
        volume=row.volume,
        final=True,
        sealed=True,
    )


def _open_time(candle: Candle) -> int:
    return candle.open_time
