"""Coinbase Advanced Trade market feed: `market_trades`, `ticker` and `candles`, kept alive by `heartbeats`.

One connection carries every product. After connecting it sends one subscribe message per channel
(heartbeats first: "most channels close within 60-90 seconds if no updates are sent").

Repair. `sequence_num` counts the messages of a connection across all channels. A jump means messages
were dropped, and they cannot be asked for again, so the feed resynchronises: it reports the gap,
reconnects (the new subscription's snapshots bring the current state) and fetches sealed 1m candles
over REST for every minute from the last one the link was known good until the minute it is live
again. The same repair follows every reconnect (close, reset, silence). Minutes still open when the
link comes back are fetched once they have closed (plus a few seconds for the exchange to settle).
Backfilled candles are yielded before any new live data. Smaller or repeated sequence numbers are
dropped; trades repeated by the snapshots are dropped by trade id.

Candles. The WebSocket only has 5-minute candles, updated every second without a "closed" flag: a
bucket is emitted (final, sealed) when an update for a later bucket arrives; updates of the open
bucket are not emitted. After a reconnect the subscription's snapshot holds the final value of the
bucket that was open when the link broke, and of any bucket that came and went while it was down.

Trades' `side` is the taker's side (Coinbase reports the maker's; see `frames`).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing

import httpx
import msgspec
import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from adapters.coinbase.backfill import CoinbaseBackfill
from adapters.coinbase.frames import EXCHANGE, CoinbaseFrame, CoinbaseFrames, MalformedCoinbaseFrame, rfc3339_ms
from adapters.feeds.backoff import Backoff
from adapters.feeds.errors import MalformedFrame
from application.ports.market import FeedObserver
from domain.market.instruments import Instrument, SymbolMap
from domain.market.intervals import MINUTE_MS
from domain.market.values import Candle, MarketEvent, Ticker, Trade

log = structlog.get_logger(__name__)

CHANNELS = ("heartbeats", "market_trades", "ticker", "candles")
RECENT_TRADE_IDS = 4096  # per product; a snapshot repeats the last 100 or so


class _QuietObserver:
    def malformed(self, exchange: str, reason: str) -> None:
        pass

    def reconnecting(self, exchange: str, reason: str, delay_seconds: float) -> None:
        pass

    def gap(self, exchange: str, missing: int) -> None:
        pass

    def backfilled(self, exchange: str, candles: int) -> None:
        pass


def _system_now_ms() -> int:
    return time.time_ns() // 1_000_000


class _Silent(Exception):
    pass


class _SequenceGap(Exception):
    def __init__(self, missing: int) -> None:
        super().__init__(f"sequence gap of {missing}")
        self.missing = missing


class _RecentIds:
    """Membership over the last `capacity` ids added."""

    def __init__(self, capacity: int) -> None:
        self._order: deque[str] = deque()
        self._ids: set[str] = set()
        self._capacity = capacity

    def add(self, trade_id: str) -> bool:
        """Whether the id is new (and now remembered)."""
        if trade_id in self._ids:
            return False
        if len(self._order) >= self._capacity:
            self._ids.discard(self._order.popleft())
        self._order.append(trade_id)
        self._ids.add(trade_id)
        return True


class _FiveMinuteCandles:
    """The open 5m bucket per symbol; yields a bucket, final and sealed, once a later one starts."""

    def __init__(self) -> None:
        self._open: dict[str, Candle] = {}

    def absorb(self, candles: Sequence[Candle], snapshot: bool) -> list[Candle]:
        ordered = sorted(candles, key=lambda c: c.open_time)
        if snapshot:
            # A snapshot is history: keep what is at or after the bucket we follow (or only the open
            # bucket when we follow none yet).
            newest: dict[str, Candle] = {}
            kept = []
            for candle in ordered:
                current = self._open.get(candle.symbol)
                if current is None:
                    newest[candle.symbol] = candle
                elif candle.open_time >= current.open_time:
                    kept.append(candle)
            ordered = kept + sorted(newest.values(), key=lambda c: c.open_time)
        closed = []
        for candle in ordered:
            current = self._open.get(candle.symbol)
            if current is None or candle.open_time == current.open_time:
                self._open[candle.symbol] = candle
            elif candle.open_time > current.open_time:
                closed.append(msgspec.structs.replace(current, final=True, sealed=True))
                self._open[candle.symbol] = candle
        return closed


class _Pending:
    """Minutes [start, to] still to fetch over REST for one product; `to` unknown while the link is down."""

    __slots__ = ("start", "to")

    def __init__(self, start: int) -> None:
        self.start = start
        self.to: int | None = None


class _StreamState:
    def __init__(self, symbols: SymbolMap) -> None:
        self.products = {i.symbol: symbols.to_exchange(i) for i in symbols.instruments}
        self.recent = {symbol: _RecentIds(RECENT_TRADE_IDS) for symbol in self.products}
        self.five = _FiveMinuteCandles()
        self.pending: dict[str, _Pending] = {}
        self.due_ms: int | None = None
        # Timestamp of the last envelope received in sequence: the link was good until then.
        self.good_until = ""
        # Per connection:
        self.sequence: int | None = None
        self.unreadable = 0  # frames that told no sequence number since the last one that did
        self.gap = 0
        self.live_since: float | None = None  # loop time of the first message in sequence

    def new_connection(self) -> None:
        self.sequence = None
        self.unreadable = 0
        self.live_since = None

    def link_broken(self) -> None:
        if not self.good_until:
            return  # never was live: nothing seen, nothing missed
        try:
            good = rfc3339_ms(self.good_until)
        except MalformedFrame:
            return
        minute = good - good % MINUTE_MS
        for symbol in self.products:
            pending = self.pending.get(symbol)
            if pending is None:
                self.pending[symbol] = _Pending(minute)
            else:
                pending.start = min(pending.start, minute)
                pending.to = None
        self.due_ms = None

    def link_live(self, now_ms: int, settle_ms: int) -> None:
        minute = now_ms - now_ms % MINUTE_MS
        for pending in self.pending.values():
            if pending.to is None:
                pending.to = minute
        self.reschedule(settle_ms)

    def reschedule(self, settle_ms: int) -> None:
        starts = [p.start for p in self.pending.values() if p.to is not None]
        self.due_ms = min(starts) + MINUTE_MS + settle_ms if starts else None


class CoinbaseFeed:
    exchange = EXCHANGE

    def __init__(
        self,
        *,
        ws_url: str = "wss://advanced-trade-ws.coinbase.com",
        rest_url: str = "https://api.coinbase.com",
        observer: FeedObserver | None = None,
        now_ms: Callable[[], int] = _system_now_ms,
        silence_seconds: float = 30.0,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        settle_seconds: float = 5.0,
        healthy_seconds: float = 10.0,
        rest_attempts: int = 4,
        rest_timeout_seconds: float = 10.0,
        open_timeout_seconds: float = 10.0,
    ) -> None:
        self._ws_url = ws_url
        self._rest_url = rest_url
        self._observer: FeedObserver = observer or _QuietObserver()
        self._now_ms = now_ms
        self._silence = silence_seconds
        self._backoff = backoff or Backoff(base_seconds=0.5, cap_seconds=30.0)
        self._sleep = sleep
        self._settle_ms = int(settle_seconds * 1000)
        self._healthy = healthy_seconds
        self._rest_attempts = rest_attempts
        self._rest_timeout = rest_timeout_seconds
        self._open_timeout = open_timeout_seconds

    async def stream(
        self, instruments: Sequence[Instrument], resume_from: Mapping[str, int] | None = None
    ) -> AsyncIterator[MarketEvent]:
        symbols = SymbolMap(instruments, separator="-")
        state = _StreamState(symbols)
        # Minutes stored before this process started: the first connection backfills from them too.
        for symbol, minute in (resume_from or {}).items():
            if symbol in state.products:
                state.pending[symbol] = _Pending(minute)
        frames = CoinbaseFrames(symbols)
        loop = asyncio.get_running_loop()
        async with httpx.AsyncClient(timeout=self._rest_timeout) as client:
            backfill = CoinbaseBackfill(client, self._rest_url, attempts=self._rest_attempts, sleep=self._sleep)
            while True:
                try:
                    async with aclosing(self._connection(state, frames, backfill)) as events:
                        async for event in events:
                            yield event
                    reason = "connection ended"
                except _SequenceGap as exc:
                    reason = str(exc)
                except _Silent:
                    reason = f"no message for {self._silence:g} s"
                except ConnectionClosed as exc:
                    reason = f"connection closed ({exc})"
                except (OSError, TimeoutError, WebSocketException) as exc:
                    reason = f"{type(exc).__name__}: {exc}"
                except Exception as exc:  # never give up; a surprise deserves its traceback
                    log.exception("coinbase_feed_failed")
                    reason = f"unexpected {type(exc).__name__}: {exc}"
                state.link_broken()
                if state.live_since is not None and loop.time() - state.live_since >= self._healthy:
                    self._backoff.reset()  # it was a good connection: start again from short delays
                delay = self._backoff.next_delay()
                self._observer.reconnecting(EXCHANGE, reason, delay)
                log.info("coinbase_reconnecting", reason=reason, delay_seconds=round(delay, 3))
                await self._sleep(delay)

    async def _connection(
        self, state: _StreamState, frames: CoinbaseFrames, backfill: CoinbaseBackfill
    ) -> AsyncGenerator[MarketEvent, None]:
        state.new_connection()
        async with connect(
            self._ws_url,
            open_timeout=self._open_timeout,
            close_timeout=2,
            compression=None,
            max_size=16 * 2**20,
            # Frames queue here while a backfill runs; beyond it, TCP pushes back.
            max_queue=8192,
        ) as ws:
            await self._subscribe(ws, list(state.products.values()))
            state.link_live(self._now_ms(), self._settle_ms)
            async for candle in self._repair(state, backfill):
                yield candle
            while True:
                try:
                    async with asyncio.timeout(self._silence):
                        raw = await ws.recv()
                except TimeoutError:
                    raise _Silent from None
                try:
                    frame = frames.parse(raw)
                except MalformedFrame as exc:
                    self._observer.malformed(EXCHANGE, str(exc))
                    log.warning("coinbase_malformed_frame", reason=str(exc)[:300])
                    sequence = exc.sequence_num if isinstance(exc, MalformedCoinbaseFrame) else None
                    if sequence is None:
                        state.unreadable += 1  # it presumably used up a sequence number: no gap
                    elif self._in_sequence(state, sequence) is None:
                        raise _SequenceGap(state.gap) from None
                    continue
                sequence = frame.sequence_num
                if sequence is not None:
                    in_sequence = self._in_sequence(state, sequence)
                    if in_sequence is False:
                        continue
                    if in_sequence is None:
                        # The frame itself arrived: keep its data, then resynchronise.
                        for event in self._events(state, frame):
                            yield event
                        raise _SequenceGap(state.gap)
                if frame.timestamp:
                    state.good_until = frame.timestamp
                if state.live_since is None:
                    state.live_since = asyncio.get_running_loop().time()
                for event in self._events(state, frame):
                    yield event
                if state.due_ms is not None and self._now_ms() >= state.due_ms:
                    async for candle in self._repair(state, backfill):
                        yield candle

    async def _subscribe(self, ws: ClientConnection, product_ids: list[str]) -> None:
        for channel in CHANNELS:
            message = {"type": "subscribe", "product_ids": product_ids, "channel": channel}
            await ws.send(msgspec.json.encode(message).decode())

    def _events(self, state: _StreamState, frame: CoinbaseFrame) -> list[MarketEvent]:
        if not frame.events:
            if frame.error is not None:
                log.warning("coinbase_error_message", message=frame.error)
            return []
        if frame.channel == "candles":
            candles = [e for e in frame.events if isinstance(e, Candle)]
            return list(state.five.absorb(candles, frame.snapshot))
        out: list[MarketEvent] = []
        recent = state.recent
        for event in frame.events:
            if type(event) is Trade:
                if recent[event.symbol].add(event.trade_id):
                    out.append(event)
            elif type(event) is Ticker:
                out.append(event)
        return out

    def _in_sequence(self, state: _StreamState, sequence: int) -> bool | None:
        """True: the next message. False: older or repeated, to drop. None: messages were lost (reported)."""
        last = state.sequence
        missing = 0
        if last is not None:
            if sequence <= last:
                return False
            missing = sequence - last - 1 - state.unreadable
        state.sequence = sequence
        state.unreadable = 0
        if missing > 0:
            state.gap = missing
            self._observer.gap(EXCHANGE, missing)
            log.warning("coinbase_sequence_gap", missing=missing, sequence=sequence)
            return None
        return True

    async def _repair(self, state: _StreamState, backfill: CoinbaseBackfill) -> AsyncIterator[Candle]:
        now = self._now_ms()
        closed_end = now - self._settle_ms
        closed_end -= closed_end % MINUTE_MS  # the minutes before this one have closed and settled
        for symbol, pending in list(state.pending.items()):
            if pending.to is None:
                continue
            end = min(pending.to + MINUTE_MS, closed_end)
            if end <= pending.start:
                continue
            product_id = state.products[symbol]
            result = await backfill.minutes(product_id, symbol, pending.start, end, now)
            self._observer.backfilled(EXCHANGE, len(result.candles))
            for candle in result.candles:
                yield candle
            if result.error is not None:
                log.error("coinbase_backfill_given_up", product=product_id, reason=result.error)
                del state.pending[symbol]
                continue
            log.info("coinbase_backfilled", product=product_id, candles=len(result.candles))
            pending.start = end
            if pending.start > pending.to:
                del state.pending[symbol]
        state.reschedule(self._settle_ms)
