"""Candles built from trades, pure and incremental, and higher intervals rolled up from 1m.

The book keeps one open bar per (exchange, symbol, interval) and the bar just before it, so a trade
that arrives a little late still lands in its own minute. Bars are mutable inside the book (one trade
touches six of them) and leave it as frozen `Candle` snapshots, one per bar changed since the last drain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.market.intervals import HIGHER_INTERVALS, INTERVALS, bucket_end, bucket_start
from domain.market.values import Candle, Trade

Key = tuple[str, str, str]  # exchange, symbol, interval


@dataclass(slots=True)
class _Bar:
    exchange: str
    symbol: str
    interval: str
    open_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    trades: int
    final: bool = False
    sealed: bool = False
    # Time of the trade that set `close`: a late trade must not move the close backwards.
    close_time: int = 0

    @classmethod
    def from_candle(cls, candle: Candle) -> _Bar:
        return cls(
            candle.exchange,
            candle.symbol,
            candle.interval,
            candle.open_time,
            candle.open,
            candle.high,
            candle.low,
            candle.close,
            candle.volume,
            candle.trades,
            candle.final,
            candle.sealed,
            candle.last_trade_time or candle.open_time,
        )

    def add(self, trade: Trade) -> None:
        price = trade.price
        if price > self.high:
            self.high = price
        if price < self.low:
            self.low = price
        if trade.time >= self.close_time:
            self.close = price
            self.close_time = trade.time
        self.volume += trade.quantity
        self.trades += 1

    def snapshot(self) -> Candle:
        return Candle(
            exchange=self.exchange,
            symbol=self.symbol,
            interval=self.interval,
            open_time=self.open_time,
            open=self.open,
            high=self.high,
            low=self.low,
            close=self.close,
            volume=self.volume,
            trades=self.trades,
            final=self.final,
            sealed=self.sealed,
            last_trade_time=self.close_time,
        )


def _new_bar(trade: Trade, interval: str, open_time: int) -> _Bar:
    price = trade.price
    return _Bar(
        trade.exchange, trade.symbol, interval, open_time, price, price, price, price, trade.quantity, 1, False, False,
        trade.time,
    )  # fmt: skip


class CandleBook:
    """Open candles of every followed symbol, at every interval, fed by trades in arrival order."""

    def __init__(self, intervals: Sequence[str] = INTERVALS, grace_ms: int = 2_000) -> None:
        self._intervals = tuple(intervals)
        self._grace_ms = grace_ms
        self._open: dict[Key, _Bar] = {}
        self._previous: dict[Key, _Bar] = {}
        self._dirty: dict[tuple[Key, int], _Bar] = {}
        self.late_trades = 0

    def knows(self, exchange: str, symbol: str) -> bool:
        return (exchange, symbol, self._intervals[0]) in self._open or (
            exchange,
            symbol,
            self._intervals[0],
        ) in self._previous

    def restore(self, candles: Iterable[Candle]) -> None:
        """Continue from stored candles (after a restart): the newest per key becomes its open bar."""
        for candle in sorted(candles, key=lambda c: c.open_time):
            key = (candle.exchange, candle.symbol, candle.interval)
            current = self._open.get(key)
            if current is None or candle.open_time > current.open_time:
                if current is not None:
                    self._previous[key] = current
                self._open[key] = _Bar.from_candle(candle)
            elif candle.open_time < current.open_time:
                self._previous[key] = _Bar.from_candle(candle)

    def apply(self, trade: Trade) -> None:
        if self._too_late(trade):
            # Dropped at every interval alike, so the higher intervals stay the roll-up of the minutes.
            self.late_trades += 1
            return
        for interval in self._intervals:
            key = (trade.exchange, trade.symbol, interval)
            open_time = bucket_start(trade.time, interval)
            bar = self._open.get(key)
            if bar is None or open_time > bar.open_time:
                if bar is not None:
                    # Not final yet: late trades may still come for it until the grace has passed. The bar
                    # before it leaves the book now, so it is final whatever the clock says.
                    older = self._previous.get(key)
                    if older is not None:
                        self._finish(older)
                    self._previous[key] = bar
                bar = self._open[key] = _new_bar(trade, interval, open_time)
            else:
                if open_time < bar.open_time:
                    previous = self._previous.get(key)
                    if previous is None or previous.open_time != open_time:
                        continue
                    bar = previous
                if bar.sealed:
                    continue
                bar.add(trade)
            self._dirty[(key, bar.open_time)] = bar

    def _too_late(self, trade: Trade) -> bool:
        """True for a trade older than the two buckets of the finest interval the book still holds."""
        key = (trade.exchange, trade.symbol, self._intervals[0])
        bar = self._open.get(key)
        open_time = bucket_start(trade.time, self._intervals[0])
        if bar is None or open_time >= bar.open_time:
            return False
        previous = self._previous.get(key)
        # A final candle was published as such: a trade for it now would change it after the fact.
        return previous is None or previous.open_time != open_time or (previous.final and not previous.sealed)

    def seal(self, candle: Candle) -> bool:
        """Take an exchange-reported closed candle as the truth for its bucket.

        Returns whether it changed anything beyond the seal itself (then the higher intervals holding
        this bucket need rolling up again).
        """
        key = (candle.exchange, candle.symbol, candle.interval)
        sealed = _Bar.from_candle(candle)
        sealed.final = sealed.sealed = True
        changed = True
        for slot in (self._open, self._previous):
            bar = slot.get(key)
            if bar is not None and bar.open_time == candle.open_time:
                changed = (bar.open, bar.high, bar.low, bar.close, bar.volume) != (
                    sealed.open,
                    sealed.high,
                    sealed.low,
                    sealed.close,
                    sealed.volume,
                )
                slot[key] = sealed
                break
        else:
            bar = self._open.get(key)
            if bar is None or candle.open_time > bar.open_time:
                if bar is not None:
                    self._finish(bar)
                    self._previous[key] = bar
                self._open[key] = sealed
        self._dirty[(key, candle.open_time)] = sealed
        return changed

    def replace(self, candle: Candle) -> None:
        """Put a recomputed candle (a roll-up) in place of the book's bar for the same bucket."""
        key = (candle.exchange, candle.symbol, candle.interval)
        bar = _Bar.from_candle(candle)
        for slot in (self._open, self._previous):
            held = slot.get(key)
            if held is not None and held.open_time == candle.open_time:
                if not held.sealed:
                    slot[key] = self._dirty[(key, candle.open_time)] = bar
                return
        self._dirty[(key, candle.open_time)] = bar
        current = self._open.get(key)
        if current is None or candle.open_time > current.open_time:
            if current is not None:
                self._finish(current)
                self._previous[key] = current
            self._open[key] = bar

    def close_due(self, now_ms: int) -> None:
        """Finish every bar whose interval ended (plus the grace for late trades) by `now_ms`."""
        for slot in (self._previous, self._open):
            for bar in slot.values():
                if not bar.final and bucket_end(bar.open_time, bar.interval) + self._grace_ms <= now_ms:
                    self._finish(bar)

    def drain(self) -> list[Candle]:
        """Snapshots of every bar changed since the last drain, oldest bucket first."""
        changed = [bar.snapshot() for bar in self._dirty.values()]
        self._dirty.clear()
        changed.sort(key=lambda c: c.open_time)
        return changed

    def forget(self) -> None:
        """Drop all state (partitions moved to another worker); it is restored from the store on next use."""
        self._open.clear()
        self._previous.clear()
        self._dirty.clear()

    def _finish(self, bar: _Bar) -> None:
        if not bar.final:
            bar.final = True
            self._dirty[((bar.exchange, bar.symbol, bar.interval), bar.open_time)] = bar


def roll_up(minutes: Sequence[Candle], interval: str, *, final: bool) -> list[Candle]:
    """Candles of `interval` made from 1m candles (any order; buckets with no minutes are absent)."""
    buckets: dict[tuple[str, str, int], list[Candle]] = {}
    for candle in sorted(minutes, key=lambda c: c.open_time):
        buckets.setdefault((candle.exchange, candle.symbol, bucket_start(candle.open_time, interval)), []).append(
            candle
        )
    rolled = []
    for (exchange, symbol, open_time), members in buckets.items():
        rolled.append(
            Candle(
                exchange=exchange,
                symbol=symbol,
                interval=interval,
                open_time=open_time,
                open=members[0].open,
                high=max(c.high for c in members),
                low=min(c.low for c in members),
                close=members[-1].close,
                volume=sum((c.volume for c in members), Decimal(0)),
                trades=sum(c.trades for c in members),
                final=final,
            )
        )
    return rolled


def higher_buckets(minute_open_times: Iterable[int]) -> set[tuple[str, int]]:
    """The (interval, open time) of every higher-interval bucket that holds one of these minutes."""
    return {(interval, bucket_start(t, interval)) for t in minute_open_times for interval in HIGHER_INTERVALS}
