"""The simulated exchange: seeded, deterministic trades and tickers at realistic prices (the embedded default).

Each instrument's mid price is a geometric random walk with the coin's daily volatility, pulled back
gently toward its start (half-life of days) and kept within a factor of two of it, so a run of any length
stays plausible. Buys print at the ask and sells at the bid, one tick apart, in the coin's tick;
quantities come from a log-normal notional of tens to thousands of USD, in the coin's lot size.

Trades come in small slices of clock time at the configured total rate, shared among the instruments by
activity (BTC trades more than DOT); the fractional remainder carries over, so the long-run rate is exact.
The random draws depend only on the seed and the number of trades, never on the clock, so the same seed
and start time give the same trades. A ticker per instrument follows about once a second. Memory stays
flat: a few numbers and a 24-slot volume ring per instrument.

`history` makes sealed 1m candles for the days before the stream starts, so analytics that need weeks
of bars have values at once. It uses the same walk, with the step and the pull per minute rather than
per trade, and runs it backwards in time from the start price: the live stream always starts there, so
the history ends within a tick of the first live price. For a Gaussian mean-reverting walk, running
backwards from a price is the same as running forwards conditioned on ending at it, so the bars look
exactly like the live ones. Each minute is ten sub-steps of the walk (open, high, low, close); trade
counts follow the live rate, busier in the European and American afternoon and in large moves.
Seeded by the exchange's seed and the symbol, and drawn from the end backwards: the same seed, symbol
and end give the same candles, and more days only add older ones.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from domain.market.instruments import Instrument
from domain.market.values import Candle, MarketEvent, Side, Ticker, Trade


@dataclass(frozen=True, slots=True)
class CoinProfile:
    usd: float  # start price in USD
    tick_exponent: int  # price tick = 10 ** tick_exponent (against a USD stablecoin)
    daily_volatility: float  # standard deviation of the daily log return
    activity: float  # relative share of the trades


REFERENCE_PROFILES: dict[str, CoinProfile] = {
    "BTC": CoinProfile(90_000, -2, 0.025, 4.0),
    "ETH": CoinProfile(3_000, -2, 0.035, 3.0),
    "BNB": CoinProfile(900, -2, 0.03, 1.5),
    "SOL": CoinProfile(140, -2, 0.05, 2.0),
    "XRP": CoinProfile(2.2, -4, 0.045, 2.0),
    "ADA": CoinProfile(0.45, -4, 0.05, 1.0),
    "DOGE": CoinProfile(0.15, -5, 0.055, 1.5),
    "AVAX": CoinProfile(14, -2, 0.055, 1.0),
    "DOT": CoinProfile(2.5, -3, 0.05, 1.0),
    "LINK": CoinProfile(13, -2, 0.05, 1.0),
}
# Quote assets valued in USD (stablecoins at 1, a few fiat currencies roughly).
QUOTE_USD: dict[str, float] = {"USDT": 1.0, "USDC": 1.0, "USD": 1.0, "FDUSD": 1.0, "EUR": 1.1, "GBP": 1.3}
UNKNOWN_VOLATILITY = 0.05
UNKNOWN_ACTIVITY = 1.0

_DAY_SECONDS = 86_400
_REVERSION_HALF_LIFE_DAYS = 2.0
_BAND = math.log(2.0)  # the mid stays within [start / 2, start * 2]
_NOTIONAL_MEDIAN_USD = 150.0
_NOTIONAL_LOG_SIGMA = 1.2  # 5% to 95% of trades between about 20 and 1,100 USD
_SAME_SIDE = 0.6  # order flow clusters: a buy more likely follows a buy
_HOUR_MS = 3_600_000
_TICKER_EVERY_MS = 1_000
_MAX_CATCH_UP_MS = 2_000  # after a longer stall (a suspended laptop), do not flood: emit 2 s worth
_RATE_SCALE = 1_000_000  # rate in millionths of a trade a second, so the count is integer-exact
_MINUTE_MS = 60_000
_DAY_MS = 86_400_000
_MINUTES_A_DAY = 1_440
_SUB_STEPS = 10  # walk points a history minute: its open, high, low and close come from these
_BLOCK = 1 << 16  # walk steps solved at once (the pull compounds to at most e^0.1 over a block)
_BUSIEST_HOUR_UTC = 15  # Europe and America both trading
_DAILY_SWING = 0.35  # trade rate from 0.65 to 1.35 times the mean over the day
_MOVE_WEIGHT = 0.5  # half the trade rate follows the size of the minute's move


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def derived_start_price(instrument: Instrument) -> float:
    """A stable price for an instrument with no profile: from a digest of its symbol (not the salted hash())."""
    digest = hashlib.blake2b(instrument.symbol.encode(), digest_size=8).digest()
    fraction = int.from_bytes(digest, "big") / 2**64
    return 10 ** (-1 + 4 * fraction)  # log-uniform between 0.1 and 1,000


@dataclass(frozen=True, slots=True)
class _Market:
    start: float  # mid price at the start, in the quote asset
    usd_per_base: float
    tick_exponent: int
    daily_volatility: float
    activity: float


def _market_of(instrument: Instrument) -> _Market:
    """Where an instrument starts: from the reference levels when both assets are valued, else derived."""
    base = REFERENCE_PROFILES.get(instrument.base)
    quote = REFERENCE_PROFILES.get(instrument.quote)
    quote_usd = quote.usd if quote else QUOTE_USD.get(instrument.quote)
    volatility = base.daily_volatility if base else UNKNOWN_VOLATILITY
    activity = base.activity if base else UNKNOWN_ACTIVITY
    if base is not None and quote_usd is not None:
        start = base.usd / quote_usd
        usd_per_base = base.usd
        tick_exponent = base.tick_exponent if quote_usd == 1.0 else _six_digits(start)
    else:
        start = derived_start_price(instrument)
        usd_per_base = base.usd if base else start * (quote_usd or 1.0)
        tick_exponent = _six_digits(start)
    return _Market(start, usd_per_base, tick_exponent, volatility, activity)


def _six_digits(price: float) -> int:
    """The tick exponent giving a price six significant digits."""
    return math.floor(math.log10(price)) - 5


def _lot_exponent(market: _Market) -> int:
    return math.floor(math.log10(1.0 / market.usd_per_base))  # one lot is worth at most about 1 USD


def _shares(instruments: Sequence[Instrument]) -> dict[Instrument, float]:
    """Each instrument's share of the trades, by activity."""
    activity = {i: _market_of(i).activity for i in dict.fromkeys(instruments)}
    total = sum(activity.values())
    return {i: a / total for i, a in activity.items()}


@dataclass(slots=True)
class _Walk:
    """One instrument's state: the random walk, its tick and lot, trade ids, and the 24-hour volume ring."""

    symbol: str
    start: float
    usd_per_base: float
    tick_exponent: int
    lot_exponent: int
    sigma: float  # per trade
    pull: float  # per trade
    rng: random.Random
    next_id: int
    deviation: float = 0.0  # log of mid / start
    side: Side = "buy"
    last_price: Decimal | None = None
    hours: list[int] = field(default_factory=lambda: [-1] * 24)
    volumes: list[Decimal] = field(default_factory=lambda: [Decimal(0)] * 24)
    volume_total: Decimal = Decimal(0)
    hour: int = -1

    @property
    def mid(self) -> float:
        return self.start * math.exp(self.deviation)

    def price_at(self, ticks: int) -> Decimal:
        return Decimal(max(ticks, 1)).scaleb(self.tick_exponent)

    def bid_ticks(self) -> int:
        return math.floor(self.mid / 10.0**self.tick_exponent)

    def add_volume(self, quantity: Decimal, time_ms: int) -> None:
        self._move_to(time_ms // _HOUR_MS)
        self.volumes[self.hour % 24] += quantity
        self.volume_total += quantity

    def volume_24h(self, time_ms: int) -> Decimal:
        self._move_to(time_ms // _HOUR_MS)
        return self.volume_total

    def _move_to(self, hour: int) -> None:
        """Start the hour's slot, dropping the volume of hours that left the 24-hour window (times only advance)."""
        if hour <= self.hour:
            return
        for slot, slot_hour in enumerate(self.hours):
            if slot_hour != -1 and slot_hour <= hour - 24:
                self.volume_total -= self.volumes[slot]
                self.volumes[slot] = Decimal(0)
                self.hours[slot] = -1
        self.hours[hour % 24] = hour
        self.hour = hour


class SimulatedExchange:
    """A `MarketFeed` of made-up but realistic market data; `now_ms` and `sleep` are injectable for tests."""

    exchange = "simulated"

    def __init__(
        self,
        *,
        seed: int = 0,
        trades_per_second: float = 20.0,
        now_ms: Callable[[], int] = _wall_clock_ms,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        slice_seconds: float = 0.05,
    ) -> None:
        if trades_per_second < 0 or not math.isfinite(trades_per_second):
            raise ValueError("trades_per_second must be a finite number >= 0")
        if slice_seconds <= 0:
            raise ValueError("slice_seconds must be > 0")
        self._seed = seed
        self._rate = trades_per_second
        self._now_ms = now_ms
        self._sleep = sleep
        self._slice_seconds = slice_seconds

    async def stream(
        self, instruments: Sequence[Instrument], resume_from: Mapping[str, int] | None = None
    ) -> AsyncIterator[MarketEvent]:
        start = self._now_ms()
        followed = list(dict.fromkeys(instruments))
        activity = [_market_of(i).activity for i in followed]
        walks = [self._walk(i, share, start) for i, share in _shares(followed).items()]
        # Which instrument trades, and when within the slice: two generators, so the sequence of trades
        # does not depend on how the slices fall.
        chooser = random.Random(f"{self._seed}:choose")
        timer = random.Random(f"{self._seed}:time")
        cumulative = [sum(activity[: n + 1]) for n in range(len(activity))]
        rate = round(self._rate * _RATE_SCALE)
        owed = 0  # the fraction of a trade carried over, in units of 1 / (_RATE_SCALE * 1000) trade

        for walk in walks:
            yield self._ticker(walk, start)
        next_ticker = start + _TICKER_EVERY_MS
        last = start
        while True:
            await self._sleep(self._slice_seconds)
            now = self._now_ms()
            elapsed = now - last
            if elapsed <= 0:
                continue
            if elapsed > _MAX_CATCH_UP_MS:
                last, elapsed = now - _MAX_CATCH_UP_MS, _MAX_CATCH_UP_MS
            count, owed = divmod(owed + rate * elapsed, _RATE_SCALE * 1000)
            if count and walks:
                chosen = chooser.choices(walks, cum_weights=cumulative, k=count)
                offsets = sorted(timer.randrange(elapsed) for _ in range(count))
                for walk, offset in zip(chosen, offsets, strict=True):
                    yield self._trade(walk, last + offset)
            last = now
            if now >= next_ticker:
                for walk in walks:
                    yield self._ticker(walk, now)
                next_ticker += ((now - next_ticker) // _TICKER_EVERY_MS + 1) * _TICKER_EVERY_MS

    def history(self, instruments: Sequence[Instrument], end_ms: int, days: int) -> dict[str, list[Candle]]:
        """Sealed 1m candles, oldest first per symbol, for the `days` whole days of minutes before the minute
        holding `end_ms` (that minute is left to the live stream), ending at the live stream's start price."""
        if days < 0:
            raise ValueError("days must be >= 0")
        end = end_ms - end_ms % _MINUTE_MS
        return {
            instrument.symbol: self._history_of(instrument, share, end, days * _MINUTES_A_DAY)
            for instrument, share in _shares(instruments).items()
        }

    def _history_of(self, instrument: Instrument, share: float, end_ms: int, minutes: int) -> list[Candle]:
        market = _market_of(instrument)
        digest = hashlib.blake2b(f"{self._seed}:{instrument.symbol}:history".encode(), digest_size=16).digest()
        path_rng, count_rng, volume_rng = (
            np.random.default_rng(s) for s in np.random.SeedSequence(int.from_bytes(digest, "big")).spawn(3)
        )
        # The walk runs back from the start price at `end_ms` (deviation 0), newest point first, one point
        # further than the minutes need (the close before the oldest minute), then is turned round.
        steps = minutes * _SUB_STEPS
        sigma = market.daily_volatility / math.sqrt(_MINUTES_A_DAY * _SUB_STEPS)
        pull = math.log(2.0) / (_REVERSION_HALF_LIFE_DAYS * _MINUTES_A_DAY * _SUB_STEPS)
        backwards = np.zeros(steps + 1)
        backwards[1:] = _mean_reverting_walk(sigma * path_rng.standard_normal(steps), 1.0 - pull)
        # The band is some ten standard deviations of the walk away; clipping afterwards keeps the guarantee.
        np.clip(backwards, -_BAND, _BAND, out=backwards)
        path = market.start * np.exp(backwards[::-1])
        points = path[1:].reshape(minutes, _SUB_STEPS)  # oldest minute first, its close last
        ticks = np.maximum(np.rint(points * 10.0**-market.tick_exponent), 1).astype(np.int64)

        open_times = end_ms - _MINUTE_MS * np.arange(minutes, 0, -1, dtype=np.int64)
        closes = np.log(path[::_SUB_STEPS])  # each minute's close, after the one before the oldest
        counts = self._trade_counts(count_rng, share, np.diff(closes), open_times, sigma)
        lots = self._lots(volume_rng, market, counts)

        def decimals(values: npt.NDArray[np.int64], exponent: int) -> list[Decimal]:
            return [Decimal(v).scaleb(exponent) for v in values.tolist()]

        tick, lot = market.tick_exponent, _lot_exponent(market)
        columns = zip(
            open_times.tolist(),
            decimals(ticks[:, 0], tick),
            decimals(ticks.max(axis=1), tick),
            decimals(ticks.min(axis=1), tick),
            decimals(ticks[:, -1], tick),
            decimals(lots, lot),
            counts.tolist(),
            strict=True,
        )
        symbol = instrument.symbol
        return [
            Candle(
                exchange=self.exchange,
                symbol=symbol,
                interval="1m",
                open_time=open_time,
                open=open_,
                high=high,
                low=low,
                close=close,
                volume=volume,
                trades=trades,
                final=True,
                sealed=True,
            )
            for open_time, open_, high, low, close, volume, trades in columns
        ]

    def _trade_counts(
        self,
        rng: np.random.Generator,
        share: float,
        log_returns: npt.NDArray[np.float64],
        open_times: npt.NDArray[np.int64],
        sigma: float,
    ) -> npt.NDArray[np.int64]:
        """Trades a minute at the live rate, busier in the afternoon (UTC) and when the price moves more."""
        mean = max(self._rate * share * 60.0, 1.0)
        hour = (open_times % _DAY_MS) / _HOUR_MS
        daily = 1.0 + _DAILY_SWING * np.cos(2.0 * math.pi * (hour - _BUSIEST_HOUR_UTC) / 24.0)
        moves = np.abs(log_returns)
        typical_move = sigma * math.sqrt(_SUB_STEPS) * math.sqrt(2.0 / math.pi)  # mean |move| of a minute
        busy = (1.0 - _MOVE_WEIGHT) + _MOVE_WEIGHT * moves / typical_move
        # Drawn newest first, like the walk, so more days only add older minutes.
        counts = rng.poisson((mean * daily * busy)[::-1])[::-1]
        return np.maximum(counts, 1).astype(np.int64)

    @staticmethod
    def _lots(rng: np.random.Generator, market: _Market, counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """A minute's volume: the sum of `counts` log-normal notionals, approximated by one log-normal
        of the same mean and variance (Fenton-Wilkinson), in lots of at least one a trade."""
        spread = math.exp(_NOTIONAL_LOG_SIGMA**2) - 1.0  # variance over squared mean of one notional
        mean_notional = _NOTIONAL_MEDIAN_USD * math.exp(_NOTIONAL_LOG_SIGMA**2 / 2.0)
        n = counts.astype(np.float64)
        log_variance = np.log1p(spread / n)
        log_mean = np.log(n * mean_notional) - log_variance / 2.0
        notional = np.exp(log_mean + np.sqrt(log_variance) * rng.standard_normal(len(counts))[::-1])
        lots = np.rint(notional / market.usd_per_base * 10.0 ** -_lot_exponent(market)).astype(np.int64)
        return np.maximum(lots, counts)

    def _walk(self, instrument: Instrument, share: float, start_ms: int) -> _Walk:
        market = _market_of(instrument)
        trades_per_day = max(self._rate * share * _DAY_SECONDS, 1.0)
        return _Walk(
            symbol=instrument.symbol,
            start=market.start,
            usd_per_base=market.usd_per_base,
            tick_exponent=market.tick_exponent,
            lot_exponent=_lot_exponent(market),
            sigma=market.daily_volatility / math.sqrt(trades_per_day),
            pull=math.log(2.0) / (_REVERSION_HALF_LIFE_DAYS * trades_per_day),
            rng=random.Random(f"{self._seed}:{instrument.symbol}"),
            next_id=start_ms * 1000,  # increasing across restarts too, while under 1,000 trades a millisecond
        )

    def _trade(self, walk: _Walk, time_ms: int) -> Trade:
        rng = walk.rng
        deviation = walk.deviation * (1.0 - walk.pull) + walk.sigma * rng.gauss(0.0, 1.0)
        walk.deviation = min(max(deviation, -_BAND), _BAND)
        same = rng.random() < _SAME_SIDE
        side: Side = walk.side if same else ("sell" if walk.side == "buy" else "buy")
        walk.side = side
        ticks = walk.bid_ticks() + (1 if side == "buy" else 0)
        notional = _NOTIONAL_MEDIAN_USD * math.exp(_NOTIONAL_LOG_SIGMA * rng.gauss(0.0, 1.0))
        lots = max(1, round(notional / walk.usd_per_base / 10.0**walk.lot_exponent))
        price = walk.price_at(ticks)
        quantity = Decimal(lots).scaleb(walk.lot_exponent)
        walk.last_price = price
        walk.add_volume(quantity, time_ms)
        trade_id = walk.next_id
        walk.next_id += 1
        return Trade(
            exchange=self.exchange,
            symbol=walk.symbol,
            trade_id=str(trade_id),
            price=price,
            quantity=quantity,
            time=time_ms,
            side=side,
        )

    def _ticker(self, walk: _Walk, time_ms: int) -> Ticker:
        bid = walk.bid_ticks()
        return Ticker(
            exchange=self.exchange,
            symbol=walk.symbol,
            price=walk.last_price if walk.last_price is not None else walk.price_at(bid),
            time=time_ms,
            best_bid=walk.price_at(bid),
            best_ask=walk.price_at(bid + 1),
            volume_24h=walk.volume_24h(time_ms),
        )


def _mean_reverting_walk(shocks: npt.NDArray[np.float64], keep: float) -> npt.NDArray[np.float64]:
    """x[k] = keep * x[k - 1] + shocks[k] from x[-1] = 0, solved a block at a time with cumulative sums
    (within a block, x[j] = keep^j * (keep * x_before + sum over i <= j of shocks[i] / keep^i))."""
    walk = np.empty_like(shocks)
    before = 0.0
    for first in range(0, len(shocks), _BLOCK):
        block = shocks[first : first + _BLOCK]
        powers = keep ** np.arange(len(block), dtype=np.float64)
        walk[first : first + len(block)] = powers * (keep * before + np.cumsum(block / powers))
        before = float(walk[first + len(block) - 1])
    return walk
