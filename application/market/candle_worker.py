"""The candle worker: trades and exchange candles in, candles, latest prices and live updates out.

Exactly-once in effect: the stored candles and the consumer's positions are written in one
transaction, and after a restart the book is restored from the stored candles and reading resumes
at the stored positions. Final candles are published before that transaction commits, so a crash in
between publishes them again on replay (consumers of `market.candles.v1` treat a candle as an upsert
by its key). Prices go out first (the live feed waits for them; replay only repeats them) and final
candles reach the live feed after the commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import msgspec

from application.market.live import candle_update, price_update
from application.market.messages import INPUT_TOPICS, KLINES_TOPIC, decode, final_candle_messages
from application.ports.market import CandleStore, LiveFanout, LiveUpdate, PriceStore
from application.ports.publisher import IntegrationPublisher
from application.ports.records import InboundRecord
from domain.market.candles import CandleBook, higher_buckets, roll_up
from domain.market.intervals import INTERVAL_MS, INTERVALS, bucket_start
from domain.market.values import Candle, Price, Ticker, Trade

log = logging.getLogger(__name__)

CONSUMER = "candles"


@dataclass
class CandleWorkerStats:
    trades: int = 0
    candles_saved: int = 0
    finals_published: int = 0
    malformed: int = 0
    redelivered: int = 0


class CandleWorker:
    topics = INPUT_TOPICS

    def __init__(
        self,
        store: CandleStore,
        prices: PriceStore,
        publisher: IntegrationPublisher,
        fanout: LiveFanout,
        now_ms: Callable[[], int],
        *,
        grace_ms: int = 2_000,
        consumer: str = CONSUMER,
    ) -> None:
        self._store = store
        self._prices = prices
        self._publisher = publisher
        self._fanout = fanout
        self._now_ms = now_ms
        self._consumer = consumer
        self._book = CandleBook(INTERVALS, grace_ms=grace_ms)
        self._positions: dict[str, int] = {}
        self._last_live_price: dict[str, object] = {}
        self.stats = CandleWorkerStats()

    @property
    def late_trades(self) -> int:
        return self._book.late_trades

    async def load_positions(self) -> dict[str, int]:
        self._positions = await self._store.positions(self._consumer)
        return dict(self._positions)

    def forget(self) -> None:
        """Partitions moved: state is rebuilt from the store for whatever this worker reads next."""
        self._book.forget()
        self._positions.clear()

    async def handle(self, records: Sequence[InboundRecord]) -> None:
        """Apply one batch of records (possibly empty: the clock alone can close candles)."""
        positions: dict[str, int] = {}
        trades: list[Trade] = []
        tickers: list[Ticker] = []
        sealed: list[Candle] = []
        for record in records:
            source = record.source
            if record.offset < self._positions.get(source, 0):
                self.stats.redelivered += 1
                continue
            positions[source] = record.offset + 1
            try:
                event = decode(record.topic, record.value)
            except (msgspec.ValidationError, msgspec.DecodeError) as error:
                self.stats.malformed += 1
                log.warning("skipping malformed market record %s@%d: %s", record.topic, record.offset, error)
                continue
            if isinstance(event, Trade):
                trades.append(event)
            elif isinstance(event, Ticker):
                tickers.append(event)
            elif record.topic == KLINES_TOPIC and event.interval == "1m":
                # Only closed minutes are the exchange's word: higher intervals are rolled up from them
                # (Coinbase's 5m WebSocket candle can miss its bucket's last second).
                sealed.append(event)

        unknown: dict[tuple[str, str], int] = {}
        firsts = [(t.exchange, t.symbol, t.time) for t in trades] + [
            (c.exchange, c.symbol, c.open_time) for c in sealed
        ]
        for exchange, symbol, time in firsts:
            if not self._book.knows(exchange, symbol):
                unknown[(exchange, symbol)] = min(unknown.get((exchange, symbol), time), time)
        if unknown:
            await self._restore(unknown)
        for trade in trades:
            self._book.apply(trade)
        rollups: dict[tuple[str, str], set[int]] = {}
        for candle in sealed:
            if self._book.seal(candle) and candle.interval == "1m":
                rollups.setdefault((candle.exchange, candle.symbol), set()).add(candle.open_time)
        self._book.close_due(self._now_ms())
        changed = self._book.drain()
        if rollups:
            changed = await self._roll_up(changed, rollups)

        # Prices first: they depend on nothing stored, and the live feed is what waits for them. A
        # crash before the commit replays the batch and sends them again, which no reader can tell.
        await self._publish_prices(trades, tickers)
        finals = [c for c in changed if c.final]
        if finals:
            await self._publisher.publish(final_candle_messages(finals))
        if changed or positions:
            await self._store.save(changed, self._consumer, positions)
            self._positions.update(positions)
        if finals:
            await self._fanout.publish([candle_update(candle) for candle in finals])
        self.stats.trades += len(trades)
        self.stats.candles_saved += len(changed)
        self.stats.finals_published += len(finals)

    async def _restore(self, instruments: dict[tuple[str, str], int]) -> None:
        for (exchange, symbol), since in instruments.items():
            # The bucket of the first new event at every interval and the one before it: the book's memory.
            buckets = []
            for interval in INTERVALS:
                current = bucket_start(since, interval)
                buckets += [(interval, current), (interval, current - INTERVAL_MS[interval])]
            self._book.restore(await self._store.load(exchange, symbol, buckets))

    async def _roll_up(self, changed: list[Candle], rollups: dict[tuple[str, str], set[int]]) -> list[Candle]:
        """Recompute the higher-interval candles holding minutes the exchange corrected."""
        by_key = {c.key: c for c in changed}
        for (exchange, symbol), minutes in rollups.items():
            for interval, open_time in sorted(higher_buckets(minutes)):
                end = open_time + INTERVAL_MS[interval]
                stored = await self._store.between(exchange, symbol, "1m", open_time, end)
                merged = {c.open_time: c for c in stored}
                for candle in changed:
                    same_series = candle.interval == "1m" and (candle.exchange, candle.symbol) == (exchange, symbol)
                    if same_series and open_time <= candle.open_time < end:
                        merged[candle.open_time] = candle
                existing = by_key.get((exchange, symbol, interval, open_time))
                if existing is None:
                    found = await self._store.load(exchange, symbol, [(interval, open_time)])
                    existing = found[0] if found else None
                if existing is not None and existing.sealed:
                    continue
                final = end <= self._now_ms()
                for candle in roll_up(list(merged.values()), interval, final=final):
                    self._book.replace(candle)
                    by_key[candle.key] = candle
        return sorted(by_key.values(), key=lambda c: c.open_time)

    async def _publish_prices(self, trades: list[Trade], tickers: list[Ticker]) -> None:
        latest: dict[str, Price] = {}
        events: list[Trade | Ticker] = [*tickers, *trades]
        for event in events:
            current = latest.get(event.symbol)
            if current is None or event.time >= current.time:
                latest[event.symbol] = Price(
                    symbol=event.symbol, price=event.price, time=event.time, source=event.exchange
                )
        updates: list[LiveUpdate] = []
        # Live prices are trade-driven and only on a change: a burst of trades at one price is one message.
        last_trade: dict[str, Trade] = {}
        for trade in trades:
            last_trade[trade.symbol] = trade
        for symbol, trade in last_trade.items():
            if self._last_live_price.get(symbol) != trade.price:
                self._last_live_price[symbol] = trade.price
                updates.append(price_update(trade))
        if latest and updates:
            await asyncio.gather(self._prices.update(list(latest.values())), self._fanout.publish(updates))
        elif latest:
            await self._prices.update(list(latest.values()))
