from __future__ import annotations

import itertools
import math
import os
import statistics
import subprocess
import sys
import tracemalloc
from collections import defaultdict
from collections.abc import Sequence
from contextlib import aclosing
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.simulated.feed import SimulatedExchange
from domain.market.instruments import Instrument, reference_instruments
from domain.market.values import Candle, MarketEvent, Ticker, Trade

START_MS = 1_750_000_000_000
REFERENCE = list(reference_instruments())
BTC, DOGE = Instrument("BTC", "USDT"), Instrument("DOGE", "USDT")
# The reference levels the simulator starts from (USDT).
START_PRICES = {
    "BTC-USDT": 90_000,
    "ETH-USDT": 3_000,
    "BNB-USDT": 900,
    "SOL-USDT": 140,
    "XRP-USDT": 2.2,
    "ADA-USDT": 0.45,
    "DOGE-USDT": 0.15,
    "AVAX-USDT": 14,
    "DOT-USDT": 2.5,
    "LINK-USDT": 13,
}


class FakeClock:
    """Simulated time: sleeping moves the clock on at once."""

    def __init__(self, start_ms: int = START_MS, steps_ms: Sequence[int] | None = None) -> None:
        self.now = start_ms
        self._steps = list(steps_ms or [])
        self._step = 0

    def now_ms(self) -> int:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if self._steps:
            self.now += self._steps[self._step % len(self._steps)]
            self._step += 1
        else:
            self.now += round(seconds * 1000)


def exchange(clock: FakeClock, *, seed: int = 7, rate: float = 20.0, slice_seconds: float = 0.05) -> SimulatedExchange:
    return SimulatedExchange(
        seed=seed, trades_per_second=rate, now_ms=clock.now_ms, sleep=clock.sleep, slice_seconds=slice_seconds
    )


async def run(
    feed: SimulatedExchange, instruments: Sequence[Instrument], *, seconds: float, start_ms: int = START_MS
) -> list[MarketEvent]:
    """Every event timed before `seconds` of simulated time have passed (the stream is in time order)."""
    end = start_ms + round(seconds * 1000)
    events: list[MarketEvent] = []
    async with aclosing(feed.stream(instruments)) as stream:
        async for event in stream:
            if event.time >= end:
                break
            events.append(event)
    return events


async def first_trades(feed: SimulatedExchange, instruments: Sequence[Instrument], count: int) -> list[Trade]:
    trades: list[Trade] = []
    async with aclosing(feed.stream(instruments)) as stream:
        async for event in stream:
            if isinstance(event, Trade):
                trades.append(event)
                if len(trades) == count:
                    break
    return trades


def trades_of(events: Sequence[MarketEvent], symbol: str | None = None) -> list[Trade]:
    return [e for e in events if isinstance(e, Trade) and (symbol is None or e.symbol == symbol)]


def tickers_of(events: Sequence[MarketEvent], symbol: str) -> list[Ticker]:
    return [e for e in events if isinstance(e, Ticker) and e.symbol == symbol]


class TestDeterminism:
    async def test_same_seed_and_start_time_give_the_same_trades(self) -> None:
        first = await run(exchange(FakeClock(), seed=7), REFERENCE, seconds=30)
        second = await run(exchange(FakeClock(), seed=7), REFERENCE, seconds=30)

        assert len(trades_of(first)) == 600
        assert first == second

    async def test_different_seeds_give_different_trades(self) -> None:
        first = trades_of(await run(exchange(FakeClock(), seed=7), REFERENCE, seconds=30))
        second = trades_of(await run(exchange(FakeClock(), seed=8), REFERENCE, seconds=30))

        def shape(trades: list[Trade]) -> list[tuple[str, Decimal, Decimal, str]]:
            return [(t.symbol, t.price, t.quantity, t.side) for t in trades]

        assert shape(first) != shape(second)

    async def test_the_trades_do_not_depend_on_how_the_clock_ticks(self) -> None:
        steady = await first_trades(exchange(FakeClock()), REFERENCE, 300)
        jittery = await first_trades(exchange(FakeClock(steps_ms=[50, 120, 7, 260, 51])), REFERENCE, 300)

        def without_time(trades: list[Trade]) -> list[tuple[str, str, Decimal, Decimal, str]]:
            return [(t.symbol, t.trade_id, t.price, t.quantity, t.side) for t in trades]

        assert without_time(steady) == without_time(jittery)

    async def test_trade_ids_increase_per_symbol(self) -> None:
        trades = trades_of(await run(exchange(FakeClock()), REFERENCE, seconds=30))

        by_symbol: dict[str, list[int]] = defaultdict(list)
        for trade in trades:
            by_symbol[trade.symbol].append(int(trade.trade_id))
        assert set(by_symbol) == set(START_PRICES)
        for ids in by_symbol.values():
            assert all(later == earlier + 1 for earlier, later in itertools.pairwise(ids))

    async def test_trade_ids_of_a_later_start_are_higher(self) -> None:
        earlier = await first_trades(exchange(FakeClock(START_MS)), [BTC], 5)
        later = await first_trades(exchange(FakeClock(START_MS + 60_000)), [BTC], 1)

        assert int(later[0].trade_id) > int(earlier[-1].trade_id)


class TestRate:
    async def test_emits_exactly_the_configured_rate_over_simulated_time(self) -> None:
        trades = trades_of(await run(exchange(FakeClock(), rate=3.3), REFERENCE, seconds=1000))

        assert len(trades) == 3300

    async def test_carries_fractions_of_a_trade_over_to_later_slices(self) -> None:
        trades = trades_of(await run(exchange(FakeClock(), rate=0.25), [BTC], seconds=60))

        assert len(trades) == 15

    async def test_keeps_the_rate_when_the_clock_ticks_irregularly(self) -> None:
        clock = FakeClock(steps_ms=[50, 120, 0, 7, 260, 63])  # 500 ms a cycle

        trades = trades_of(await run(exchange(clock, rate=250), REFERENCE, seconds=20))

        assert len(trades) == 5000

    async def test_times_trades_within_the_run_in_order(self) -> None:
        events = await run(exchange(FakeClock(), rate=500), REFERENCE, seconds=5)

        times = [e.time for e in events]
        assert times == sorted(times)
        assert times[0] >= START_MS
        assert times[-1] < START_MS + 5000
        assert len({t.time for t in trades_of(events)}) > 1000  # spread within the slices, not bunched

    async def test_does_not_flood_after_a_long_stall(self) -> None:
        clock = FakeClock(steps_ms=[3_600_000, 50])

        events = await run(exchange(clock, rate=100), [BTC], seconds=3600)

        assert 0 < len(trades_of(events)) <= 2 * 100

    async def test_shares_the_rate_with_the_busiest_coins_trading_most(self) -> None:
        trades = trades_of(await run(exchange(FakeClock(), rate=100), REFERENCE, seconds=60))

        count = defaultdict(int)
        for trade in trades:
            count[trade.symbol] += 1
        assert count["BTC-USDT"] > count["DOT-USDT"]
        assert min(count.values()) > 0


class TestRealism:
    async def test_prices_stay_positive_and_near_their_start_over_a_long_run(self) -> None:
        feed = exchange(FakeClock(), seed=3, rate=3, slice_seconds=5.0)

        events = await run(feed, REFERENCE, seconds=8 * 3600)

        for symbol, start in START_PRICES.items():
            prices = [t.price for t in trades_of(events, symbol)]
            low, high = min(prices), max(prices)
            assert Decimal(start) * Decimal("0.75") < low, symbol
            assert high < Decimal(start) * Decimal("1.33"), symbol
            assert high / low > Decimal("1.005"), f"{symbol} does not move"

    async def test_starts_near_the_reference_levels(self) -> None:
        events = await run(exchange(FakeClock()), REFERENCE, seconds=1)

        for symbol, start in START_PRICES.items():
            price = tickers_of(events, symbol)[0].price
            assert Decimal(start) * Decimal("0.99") < price < Decimal(start) * Decimal("1.01"), symbol

    async def test_trade_notionals_are_tens_to_thousands_of_dollars(self) -> None:
        trades = trades_of(await run(exchange(FakeClock(), rate=200), REFERENCE, seconds=30))

        notionals = sorted(float(t.price * t.quantity) for t in trades)
        assert 50 < statistics.median(notionals) < 500
        assert notionals[len(notionals) // 20] > 5
        assert notionals[-len(notionals) // 20] < 5000
        assert max(notionals) > 1000

    async def test_prices_and_quantities_are_quantised_per_coin(self) -> None:
        events = await run(exchange(FakeClock(), rate=200), REFERENCE, seconds=10)

        for trade in trades_of(events, "BTC-USDT"):
            assert trade.price == trade.price.quantize(Decimal("0.01"))
            assert trade.quantity == trade.quantity.quantize(Decimal("0.00001"))
            assert trade.quantity > 0
        doge = trades_of(events, "DOGE-USDT")
        for trade in doge:
            assert trade.price == trade.price.quantize(Decimal("0.00001"))
            assert trade.quantity == trade.quantity.to_integral_value()
        assert any(t.price != t.price.quantize(Decimal("0.0001")) for t in doge)

    async def test_trades_both_sides_with_buys_at_the_ask_and_sells_at_the_bid(self) -> None:
        events = await run(exchange(FakeClock(), rate=50), [BTC], seconds=60)

        assert {t.side for t in trades_of(events)} == {"buy", "sell"}
        last_trade = None
        checked = 0
        for event in events:
            if isinstance(event, Trade):
                last_trade = event
            elif last_trade is not None:
                assert event.price == (event.best_ask if last_trade.side == "buy" else event.best_bid)
                checked += 1
        assert checked == 59

    async def test_prices_cross_pairs_and_other_quotes_from_the_reference_levels(self) -> None:
        events = await run(exchange(FakeClock()), [Instrument("ETH", "BTC"), Instrument("BTC", "EUR")], seconds=1)

        eth_btc = tickers_of(events, "ETH-BTC")[0].price
        btc_eur = tickers_of(events, "BTC-EUR")[0].price
        assert Decimal("0.032") < eth_btc < Decimal("0.035")
        assert Decimal("75000") < btc_eur < Decimal("90000")


class TestTickers:
    async def test_sends_a_ticker_per_symbol_about_once_a_second(self) -> None:
        events = await run(exchange(FakeClock()), REFERENCE, seconds=10)

        for symbol in START_PRICES:
            assert [t.time for t in tickers_of(events, symbol)] == [START_MS + n * 1000 for n in range(10)]

    async def test_ticker_carries_the_last_trade_price_book_and_day_volume(self) -> None:
        events = await run(exchange(FakeClock(), rate=50), [BTC, DOGE], seconds=5)

        traded = Decimal(0)
        last_price = None
        for event in events:
            if isinstance(event, Trade) and event.symbol == "BTC-USDT":
                traded += event.quantity
                last_price = event.price
            elif isinstance(event, Ticker) and event.symbol == "BTC-USDT" and last_price is not None:
                assert event.price == last_price
                assert event.volume_24h == traded
                assert event.best_bid is not None
                assert event.best_ask == event.best_bid + Decimal("0.01")
        assert last_price is not None

    async def test_day_volume_leaves_out_trades_older_than_a_day(self) -> None:
        day_and_an_hour = 25 * 3_600_000
        clock = FakeClock(steps_ms=[1000] * 10 + [day_and_an_hour] + [1000] * 10)

        events = await run(exchange(clock, rate=50), [BTC], seconds=10 + 25 * 3600 + 5)

        last_ticker = tickers_of(events, "BTC-USDT")[-1]
        recent = [t for t in trades_of(events) if START_MS + day_and_an_hour < t.time < last_ticker.time]
        assert len(recent) > 0
        assert len(trades_of(events)) > len(recent)
        assert last_ticker.volume_24h == sum(t.quantity for t in recent)


class TestUnknownInstruments:
    async def test_an_admin_added_instrument_gets_a_stable_positive_price(self) -> None:
        pepe, wif = Instrument("PEPE", "USDT"), Instrument("WIF", "USDT")

        first = await run(exchange(FakeClock(), seed=1), [pepe, wif], seconds=30)
        second = await run(exchange(FakeClock(), seed=2), [pepe], seconds=30)

        pepe_start = tickers_of(first, "PEPE-USDT")[0].price
        assert pepe_start > 0
        assert tickers_of(second, "PEPE-USDT")[0].price == pepe_start
        assert tickers_of(first, "WIF-USDT")[0].price != pepe_start
        assert all(t.price > 0 and t.quantity > 0 for t in trades_of(first))
        assert len(trades_of(first, "PEPE-USDT")) > 0

    def test_the_derived_price_does_not_depend_on_the_hash_seed(self) -> None:
        script = (
            "import asyncio\n"
            "from adapters.simulated.feed import SimulatedExchange\n"
            "from domain.market.instruments import Instrument\n"
            "async def main():\n"
            "    async for event in SimulatedExchange(now_ms=lambda: 1).stream([Instrument('PEPE', 'USDT')]):\n"
            "        print(event.price)\n"
            "        return\n"
            "asyncio.run(main())\n"
        )
        root = Path(__file__).resolve().parents[3]

        prices = {
            subprocess.run(
                [sys.executable, "-c", script],
                env={**os.environ, "PYTHONHASHSEED": hash_seed},
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            for hash_seed in ("1", "2")
        }

        assert len(prices) == 1
        assert Decimal(prices.pop()) > 0


class TestMemory:
    async def test_holds_flat_memory_over_a_long_run(self) -> None:
        clock = FakeClock()
        feed = exchange(clock, rate=1000, slice_seconds=0.5)
        tracemalloc.start()
        try:
            count = 0
            async with aclosing(feed.stream(REFERENCE)) as stream:
                async for _ in stream:
                    count += 1
                    if count == 3_000:
                        early = tracemalloc.get_traced_memory()[0]
                    if count == 15_000:
                        late = tracemalloc.get_traced_memory()[0]
                        break
        finally:
            tracemalloc.stop()

        assert late - early < 64 * 1024


MINUTE_MS, DAY_MS = 60_000, 86_400_000
TICKS = {"BTC-USDT": Decimal("0.01"), "DOGE-USDT": Decimal("0.00001"), "XRP-USDT": Decimal("0.0001")}
LOTS = {"BTC-USDT": Decimal("0.00001"), "DOGE-USDT": Decimal("1"), "XRP-USDT": Decimal("0.1")}
DAILY_VOLATILITY = {"BTC-USDT": 0.025, "DOGE-USDT": 0.055}


def history(
    instruments: Sequence[Instrument], *, days: int = 1, end_ms: int = START_MS, seed: int = 7
) -> dict[str, list[Candle]]:
    return exchange(FakeClock(), seed=seed).history(instruments, end_ms, days)


def closes(candles: Sequence[Candle]) -> list[float]:
    return [float(c.close) for c in candles]


class TestHistory:
    def test_the_same_seed_and_end_give_the_same_candles_whenever_it_is_called(self) -> None:
        now = SimulatedExchange(seed=7, now_ms=lambda: START_MS).history([BTC, DOGE], START_MS, 1)
        later = SimulatedExchange(seed=7, now_ms=lambda: START_MS + DAY_MS).history([BTC, DOGE], START_MS, 1)

        assert now == later
        assert closes(history([BTC], seed=8)["BTC-USDT"]) != closes(now["BTC-USDT"])

    def test_each_symbol_has_its_own_path(self) -> None:
        candles = history([BTC, Instrument("BTC", "USDC")])

        assert closes(candles["BTC-USDT"]) != closes(candles["BTC-USDC"])

    def test_more_days_only_add_older_candles(self) -> None:
        one_day = history([BTC, DOGE], days=1)
        two_days = history([BTC, DOGE], days=2)

        for symbol in ("BTC-USDT", "DOGE-USDT"):
            assert two_days[symbol][-1440:] == one_day[symbol]

    def test_covers_exactly_the_whole_minutes_of_the_days_before_the_end(self) -> None:
        end = START_MS - START_MS % MINUTE_MS

        candles = history([BTC, DOGE], days=2, end_ms=end)

        expected = [end - 2 * DAY_MS + n * MINUTE_MS for n in range(2 * 1440)]
        assert set(candles) == {"BTC-USDT", "DOGE-USDT"}
        for series in candles.values():
            assert [c.open_time for c in series] == expected

    def test_leaves_the_minute_in_progress_to_the_live_stream(self) -> None:
        minute = START_MS - START_MS % MINUTE_MS

        candles = history([BTC], end_ms=minute + 59_999)["BTC-USDT"]

        assert candles[-1].open_time == minute - MINUTE_MS
        assert candles[0].open_time == minute - DAY_MS
        assert len(candles) == 1440

    def test_ten_symbols_over_a_week_are_sealed_consistent_and_quantised(self) -> None:
        candles = history(REFERENCE, days=7)

        assert set(candles) == set(START_PRICES)
        for symbol, series in candles.items():
            assert len(series) == 7 * 1440
            for c in series:
                assert c.low <= c.open <= c.high, (symbol, c)
                assert c.low <= c.close <= c.high, (symbol, c)
                assert min(c.low, c.volume, c.trades) > 0, (symbol, c)
                assert (c.exchange, c.symbol, c.interval, c.final, c.sealed) == ("simulated", symbol, "1m", True, True)
        for symbol, tick in TICKS.items():
            for c in candles[symbol]:
                assert all(p == p.quantize(tick) for p in (c.open, c.high, c.low, c.close)), (symbol, c)
                assert c.volume == c.volume.quantize(LOTS[symbol]), (symbol, c)
        doge = candles["DOGE-USDT"]
        assert any(c.close != c.close.quantize(Decimal("0.0001")) for c in doge)
        assert any(c.high > c.low for c in doge)

    async def test_ends_where_the_live_stream_starts(self) -> None:
        instruments = [*REFERENCE, Instrument("ETH", "BTC"), Instrument("BTC", "EUR"), Instrument("PEPE", "USDT")]

        candles = history(instruments, days=1)
        events = await run(exchange(FakeClock()), instruments, seconds=1)

        for instrument in instruments:
            last_close = candles[instrument.symbol][-1].close
            first_live = tickers_of(events, instrument.symbol)[0].price
            # Closer than a quiet minute moves (BTC moves about 0.07% a minute).
            assert abs(last_close - first_live) <= first_live * Decimal("0.0003"), instrument.symbol

    async def test_trades_a_minute_at_about_the_live_rate(self) -> None:
        candles = history(REFERENCE, days=1)
        live = trades_of(await run(exchange(FakeClock(), rate=20), REFERENCE, seconds=300))

        for symbol in ("BTC-USDT", "DOT-USDT"):
            history_rate = statistics.mean(c.trades for c in candles[symbol])
            live_rate = len(trades_of(live, symbol)) / 5
            assert 0.8 < history_rate / live_rate < 1.25, symbol
            live_notional = statistics.mean(float(t.price * t.quantity) for t in trades_of(live, symbol))
            history_notional = statistics.mean(float(c.close * c.volume) / c.trades for c in candles[symbol])
            assert 0.7 < history_notional / live_notional < 1.4, symbol

    def test_trades_more_in_the_afternoon_utc_than_at_night(self) -> None:
        candles = history([BTC], days=7)["BTC-USDT"]

        def mean_trades(hour: int) -> float:
            return statistics.mean(c.trades for c in candles if c.open_time % DAY_MS // 3_600_000 == hour)

        assert mean_trades(15) > 1.5 * mean_trades(3)

    def test_trades_more_in_minutes_that_move_more(self) -> None:
        candles = history([BTC], days=2)["BTC-USDT"]

        by_move = sorted(
            itertools.pairwise(candles), key=lambda pair: abs(math.log(float(pair[1].close / pair[0].close)))
        )
        tenth = len(by_move) // 10
        quiet = statistics.mean(later.trades for _, later in by_move[:tenth])
        busy = statistics.mean(later.trades for _, later in by_move[-tenth:])
        assert busy > 1.5 * quiet

    def test_moves_with_each_coins_daily_volatility_and_stays_near_its_start(self) -> None:
        candles = history([BTC, DOGE], days=14)

        for symbol, volatility in DAILY_VOLATILITY.items():
            hourly = closes(candles[symbol])[::60]
            returns = [math.log(later / earlier) for earlier, later in itertools.pairwise(hourly)]
            daily = statistics.pstdev(returns) * math.sqrt(24)
            assert 0.75 * volatility < daily < 1.3 * volatility, symbol
            start = START_PRICES[symbol]
            assert 0.7 * start < min(hourly), symbol
            assert max(hourly) < 1.4 * start, symbol

    def test_no_days_give_no_candles_and_negative_days_are_refused(self) -> None:
        assert history([BTC], days=0) == {"BTC-USDT": []}
        with pytest.raises(ValueError, match="days"):
            history([BTC], days=-1)
