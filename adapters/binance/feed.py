"""Binance spot market data over combined WebSocket streams: trades, closed 1m klines and 24h tickers.

A connection carries at most 1024 streams, three per instrument (`trade`, `kline_1m`, `ticker`), so
more than 341 instruments are spread over several connections whose events are merged into the one
stream. Every connection, independently:

- subscribes on `/stream` in SUBSCRIBE messages of up to 200 stream names, never more than
  `control_messages_per_second` of them in any one second (Binance disconnects a connection that sends
  more than 5 messages a second, pongs included, which is why it sends no pings of its own either);
- has a reader that reads every frame as it comes, whatever the consumer or the backfill are doing, so
  the websockets library keeps answering the server's pings;
- reconnects by itself before the 24-hour cut and at once on `serverShutdown` (planned: no delay), and
  after a close, a reset or `silence_seconds` without any frame (with capped, jittered backoff, reset
  once a connection delivers data); it never gives up;
- after every reconnect, fetches over REST the sealed 1m candles from the last minute it delivered for
  each instrument (that minute included) up to now, and delivers them before any new live data.
  Subscriptions are acknowledged before the backfill starts, so every minute that closes later comes
  from the kline stream: no minute falls between the two.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence

import msgspec
import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from adapters.binance.backfill import BinanceBackfill
from adapters.binance.frames import EXCHANGE, BinanceFrames, Control
from adapters.feeds.backoff import Backoff
from adapters.feeds.errors import MalformedFrame
from application.ports.market import FeedObserver
from domain.market.instruments import Instrument, SymbolMap
from domain.market.intervals import MINUTE_MS
from domain.market.values import Candle, MarketEvent, Trade

log = structlog.get_logger(__name__)

STREAM_KINDS = ("trade", "kline_1m", "ticker")
MAX_STREAMS_PER_CONNECTION = 1024
INSTRUMENTS_PER_CONNECTION = MAX_STREAMS_PER_CONNECTION // len(STREAM_KINDS)
PARAMS_PER_SUBSCRIBE = 200
# Spacing margin on the control-message window, so network jitter cannot squeeze one more into a second.
_WINDOW_SECONDS = 1.05


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class LoggingFeedObserver:
    """Used when no observer is given: log lines only."""

    def malformed(self, exchange: str, reason: str) -> None:
        log.warning("malformed frame skipped", exchange=exchange, reason=reason[:200])

    def reconnecting(self, exchange: str, reason: str, delay_seconds: float) -> None:
        log.info("feed reconnecting", exchange=exchange, reason=reason[:200], delay_seconds=round(delay_seconds, 3))

    def gap(self, exchange: str, missing: int) -> None:
        log.warning("feed gap", exchange=exchange, missing=missing)

    def backfilled(self, exchange: str, candles: int) -> None:
        log.info("candles backfilled over REST", exchange=exchange, candles=candles)


class BinanceFeed:
    exchange = EXCHANGE

    def __init__(
        self,
        *,
        ws_url: str = "wss://stream.binance.com:9443",
        rest_url: str = "https://api.binance.com",
        observer: FeedObserver | None = None,
        now_ms: Callable[[], int] = wall_clock_ms,
        connection_lifetime_seconds: float = 23.5 * 3600,
        silence_seconds: float = 30.0,
        control_messages_per_second: int = 4,
        backoff: Backoff | Callable[[], Backoff] = Backoff,
        backfill: BinanceBackfill | None = None,
        backfill_timeout_seconds: float = 60.0,
        open_timeout_seconds: float = 10.0,
        ack_timeout_seconds: float = 10.0,
        buffer_frames: int = 10_000,
    ) -> None:
        """`backoff`: a factory (one Backoff per connection) or one instance shared by all connections."""
        self._url = ws_url.rstrip("/") + "/stream"
        self._observer: FeedObserver = observer or LoggingFeedObserver()
        self._now_ms = now_ms
        self._lifetime = connection_lifetime_seconds
        self._silence = silence_seconds
        self._control_rate = max(1, control_messages_per_second)
        self._backoff = backoff
        self._backfill = backfill or BinanceBackfill(rest_url, observer=self._observer)
        # Live data is held while the backfill runs: bounding its time bounds that memory.
        self._backfill_timeout = backfill_timeout_seconds
        self._open_timeout = open_timeout_seconds
        self._ack_timeout = ack_timeout_seconds
        self._buffer_frames = buffer_frames

    async def stream(
        self, instruments: Sequence[Instrument], resume_from: Mapping[str, int] | None = None
    ) -> AsyncIterator[MarketEvent]:
        unique = list(dict.fromkeys(instruments))
        if not unique:
            raise ValueError("a Binance feed needs at least one instrument")
        out: asyncio.Queue[list[MarketEvent]] = asyncio.Queue(self._buffer_frames)
        chunks = [unique[i : i + INSTRUMENTS_PER_CONNECTION] for i in range(0, len(unique), INSTRUMENTS_PER_CONNECTION)]
        tasks = [
            asyncio.create_task(_Connection(self, chunk, out, resume_from or {}).run(), name=f"binance-feed-{n}")
            for n, chunk in enumerate(chunks)
        ]
        try:
            while True:
                for event in await out.get():
                    yield event
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)

    def _new_backoff(self) -> Backoff:
        return self._backoff if isinstance(self._backoff, Backoff) else self._backoff()


class _Connection:
    """Up to 341 instruments on one WebSocket connection, kept connected for as long as the stream runs."""

    def __init__(
        self,
        feed: BinanceFeed,
        instruments: Sequence[Instrument],
        out: asyncio.Queue[list[MarketEvent]],
        resume_from: Mapping[str, int],
    ):
        symbols = SymbolMap(instruments)
        self._feed = feed
        self._instruments = tuple(instruments)
        self._frames = BinanceFrames(symbols)
        self._params = [f"{symbols.to_exchange(i).lower()}@{kind}" for i in instruments for kind in STREAM_KINDS]
        self._out = out
        self._backoff = feed._new_backoff()
        # Open time of the last minute delivered per symbol (trades, klines, backfill): a backfill starts there.
        self._last_minute: dict[str, int] = {
            i.symbol: resume_from[i.symbol] for i in instruments if i.symbol in resume_from
        }
        # Minutes stored before this process started: the first connection backfills from them too.
        self._resuming = bool(self._last_minute)
        # Where a backfill that was given up had to start: retried from there on the next reconnect.
        self._unfilled: dict[str, int] = {}
        self._started_minute: int | None = None
        self._live = True
        self._held: deque[list[MarketEvent]] = deque()
        self._acks: dict[int | str | None, asyncio.Future[Control]] = {}
        self._next_id = 0
        self._delivered = False

    async def run(self) -> None:
        while True:
            try:
                reason, planned = await self._connect_and_read()
            except ConnectionClosed as exc:
                reason, planned = _closed(exc), False
            except (OSError, TimeoutError, WebSocketException) as exc:
                reason, planned = f"connection failed: {type(exc).__name__}: {exc}", False
            except Exception as exc:  # never give up, but a surprise deserves its traceback
                log.exception("binance connection failed unexpectedly")
                reason, planned = f"unexpected {type(exc).__name__}: {exc}", False
            # Planned reconnects are immediate, unless the connection never delivered data: no storm of
            # reconnects when every new connection is told at once that the server is shutting down.
            delay = 0.0 if planned and self._delivered else self._backoff.next_delay()
            self._feed._observer.reconnecting(EXCHANGE, reason, delay)
            if delay > 0:
                await asyncio.sleep(delay)

    async def _connect_and_read(self) -> tuple[str, bool]:
        feed = self._feed
        async with connect(
            feed._url,
            open_timeout=feed._open_timeout,
            ping_interval=None,  # the server pings; our pings would count against its 5 messages a second
            close_timeout=2.0,
            max_queue=1024,
        ) as ws:
            reconnected = self._started_minute is not None or self._resuming
            self._resuming = False
            if self._started_minute is None:
                now = feed._now_ms()
                self._started_minute = now - now % MINUTE_MS
            self._live = not reconnected
            self._held.clear()
            self._acks.clear()
            self._delivered = False
            setup = asyncio.create_task(self._set_up(ws, reconnected))
            try:
                async with asyncio.timeout(feed._lifetime):
                    return await self._read(ws)
            except TimeoutError:
                return "planned: connection lifetime reached", True
            finally:
                setup.cancel()
                await asyncio.wait([setup])

    async def _read(self, ws: ClientConnection) -> tuple[str, bool]:
        frames, observer, out, held = self._frames, self._feed._observer, self._out, self._held
        silence = self._feed._silence
        step = min(1.0, silence / 10)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(silence) as watchdog:
                armed_at = loop.time()
                while True:
                    raw = await ws.recv(decode=False)
                    now = loop.time()
                    if now - armed_at > step:
                        watchdog.reschedule(now + silence)
                        armed_at = now
                    try:
                        result = frames.read(raw)
                    except MalformedFrame as exc:
                        observer.malformed(EXCHANGE, str(exc))
                        continue
                    if isinstance(result, list):
                        if not result:
                            continue
                        if not self._delivered:
                            self._delivered = True
                            self._backoff.reset()
                        if not self._live:
                            held.append(result)
                        elif out.full():
                            watchdog.reschedule(None)  # a slow consumer is not a silent exchange
                            await out.put(result)
                            armed_at = loop.time()
                            watchdog.reschedule(armed_at + silence)
                            self._track(result)
                        else:
                            out.put_nowait(result)
                            self._track(result)
                    elif result.kind == "shutdown":
                        return "planned: server shutdown announced", True
                    else:
                        self._answered(result)
        except TimeoutError:
            return f"silence: no frame for {silence:g}s", False

    async def _set_up(self, ws: ClientConnection, reconnected: bool) -> None:
        """Subscribe, then (after a reconnect) backfill and release the live data held meanwhile."""
        try:
            await self._subscribe(ws)
        except ConnectionClosed:
            return  # the reader reports it
        except Exception:  # the data must still be released below
            log.exception("binance subscription failed unexpectedly")
        if reconnected:
            await self._backfill_and_release()

    async def _subscribe(self, ws: ClientConnection) -> None:
        loop = asyncio.get_running_loop()
        rate = self._feed._control_rate
        sent: deque[float] = deque()
        pending: list[asyncio.Future[Control]] = []
        for start in range(0, len(self._params), PARAMS_PER_SUBSCRIBE):
            while sent and loop.time() - sent[0] >= _WINDOW_SECONDS:
                sent.popleft()
            if len(sent) >= rate:
                await asyncio.sleep(sent[0] + _WINDOW_SECONDS - loop.time())
                sent.popleft()
            self._next_id += 1
            ack = self._acks[self._next_id] = loop.create_future()
            pending.append(ack)
            params = self._params[start : start + PARAMS_PER_SUBSCRIBE]
            await ws.send(msgspec.json.encode({"method": "SUBSCRIBE", "params": params, "id": self._next_id}).decode())
            sent.append(loop.time())
        done, late = await asyncio.wait(pending, timeout=self._feed._ack_timeout)
        if late:
            log.warning("binance subscriptions not acknowledged", exchange=EXCHANGE, messages=len(late))
        for ack in done:
            if ack.result().kind == "error":
                log.error("binance refused a subscription", exchange=EXCHANGE, detail=ack.result().detail)

    def _answered(self, control: Control) -> None:
        ack = self._acks.pop(control.id, None)
        if ack is not None and not ack.done():
            ack.set_result(control)
        elif control.kind == "error":
            log.error("binance refused a control message", exchange=EXCHANGE, id=control.id, detail=control.detail)

    async def _backfill_and_release(self) -> None:
        feed = self._feed
        now = feed._now_ms()
        since = {i: self._backfill_start(i.symbol) for i in self._instruments}
        try:
            async with asyncio.timeout(feed._backfill_timeout):
                found = await feed._backfill.candles(since, now)
            candles, failed = found.candles, {i.symbol for i in found.failed}
        except Exception as exc:
            if isinstance(exc, TimeoutError):
                log.warning("binance backfill timed out", exchange=EXCHANGE, seconds=feed._backfill_timeout)
            else:
                log.exception("binance backfill failed unexpectedly")
            candles, failed = [], {i.symbol for i in self._instruments}
            feed._observer.gap(EXCHANGE, sum((now - start) // MINUTE_MS for start in since.values()))
        feed._observer.backfilled(EXCHANGE, len(candles))
        if candles:
            await self._out.put(list(candles))
            self._track(candles)
        # What was asked for is covered now (up to the open minute, which the kline stream will seal),
        # except where the backfill was given up: that range is asked for again after the next reconnect.
        for instrument, start in since.items():
            symbol = instrument.symbol
            if symbol in failed:
                self._unfilled[symbol] = start
            else:
                self._unfilled.pop(symbol, None)
                self._last_minute[symbol] = max(self._last_minute.get(symbol, start), now - now % MINUTE_MS)
        while self._held:
            batch = self._held.popleft()
            await self._out.put(batch)
            self._track(batch)
        self._live = True

    def _backfill_start(self, symbol: str) -> int:
        assert self._started_minute is not None
        start = self._last_minute.get(symbol, self._started_minute)
        return min(start, self._unfilled.get(symbol, start))

    def _track(self, batch: Sequence[MarketEvent]) -> None:
        last = self._last_minute
        for event in batch:
            if isinstance(event, Trade):
                minute = event.time - event.time % MINUTE_MS
            elif isinstance(event, Candle):
                minute = event.open_time
            else:
                continue
            if minute > last.get(event.symbol, -1):
                last[event.symbol] = minute


def _closed(exc: ConnectionClosed) -> str:
    frame = exc.rcvd or exc.sent
    if frame is None:
        return "connection lost: 1006 (no close frame)"
    return f"connection closed: {frame.code} {frame.reason}".rstrip()
