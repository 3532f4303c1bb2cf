"""Coinbase Advanced Trade frames: fixtures copied in shape from real traffic (2026-08-09)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from adapters.coinbase.frames import CoinbaseFrames, MalformedCoinbaseFrame, rfc3339_ms
from adapters.feeds.errors import MalformedFrame
from domain.market.instruments import Instrument, SymbolMap
from domain.market.values import Candle, Ticker, Trade

# 2026-08-09T21:05:00Z
T_2105 = 1_786_309_500_000


@pytest.fixture
def frames() -> CoinbaseFrames:
    return CoinbaseFrames(SymbolMap([Instrument("BTC", "USD"), Instrument("ETH", "USD")], separator="-"))


def envelope(
    channel: str, events: object, sequence_num: int = 9, timestamp: str = "2026-08-09T21:05:48.251397169Z"
) -> str:
    return json.dumps({"channel": channel, "timestamp": timestamp, "sequence_num": sequence_num, "events": events})


TRADES_UPDATE = envelope(
    "market_trades",
    [
        {
            "type": "update",
            "trades": [
                {"product_id": "BTC-USD", "trade_id": "1068572096", "price": "65083.66", "size": "0.00100346",
                 "time": "2026-08-09T21:05:51.426861Z", "side": "BUY"},
                {"product_id": "BTC-USD", "trade_id": "1068572095", "price": "65083.67", "size": "0.00322434",
                 "time": "2026-08-09T21:05:51.376358Z", "side": "SELL"},
            ],
        }
    ],
    sequence_num=136,
)  # fmt: skip

TICKER_UPDATE = envelope(
    "ticker",
    [
        {
            "type": "update",
            "tickers": [
                {"type": "ticker", "product_id": "ETH-USD", "price": "1919.41", "volume_24_h": "19975.95927439",
                 "low_24_h": "1911.04", "high_24_h": "1925", "low_52_w": "1505", "high_52_w": "4955.9",
                 "price_percent_chg_24_h": "0.02501394006035", "best_bid": "1919.44", "best_ask": "1919.49",
                 "best_bid_quantity": "0.02858092", "best_ask_quantity": "0.07814824"},
            ],
        }
    ],
    sequence_num=10,
    timestamp="2026-08-09T21:05:48.298032046Z",
)  # fmt: skip

CANDLES_UPDATE = envelope(
    "candles",
    [
        {
            "type": "update",
            "candles": [
                {"start": "1786309500", "high": "1919.6", "low": "1919.27", "open": "1919.58", "close": "1919.41",
                 "volume": "36.36630914", "product_id": "ETH-USD"},
            ],
        }
    ],
    sequence_num=138,
)  # fmt: skip

HEARTBEAT = envelope(
    "heartbeats",
    [{"current_time": "2026-08-09 21:05:48.854840045 +0000 UTC m=+41691.260485341", "heartbeat_counter": 41691}],
    sequence_num=35,
)

SUBSCRIPTIONS = envelope(
    "subscriptions",
    [{"subscriptions": {"candles": ["ETH-USD", "BTC-USD"], "heartbeats": ["heartbeats"]}}],
    sequence_num=26,
)


def trades_frame(**changes: object) -> str:
    trade = {
        "product_id": "BTC-USD",
        "trade_id": "1068572091",
        "price": "65083.67",
        "size": "0.01034361",
        "time": "2026-08-09T21:05:48.167634Z",
        "side": "SELL",
    }
    trade.update(changes)
    return envelope("market_trades", [{"type": "update", "trades": [trade]}], sequence_num=12)


class TestTrades:
    def test_market_trades_become_trades_oldest_first_with_decimal_prices(self, frames: CoinbaseFrames) -> None:
        frame = frames.parse(TRADES_UPDATE)

        assert frame.channel == "market_trades"
        assert frame.sequence_num == 136
        assert not frame.snapshot
        assert frame.events == [
            Trade(
                exchange="coinbase",
                symbol="BTC-USD",
                trade_id="1068572095",
                price=Decimal("65083.67"),
                quantity=Decimal("0.00322434"),
                time=rfc3339_ms("2026-08-09T21:05:51.376Z"),
                side="buy",
            ),
            Trade(
                exchange="coinbase",
                symbol="BTC-USD",
                trade_id="1068572096",
                price=Decimal("65083.66"),
                quantity=Decimal("0.00100346"),
                time=rfc3339_ms("2026-08-09T21:05:51.426Z"),
                side="sell",
            ),
        ]

    def test_the_trade_side_is_the_takers_the_opposite_of_the_makers_side_coinbase_reports(
        self, frames: CoinbaseFrames
    ) -> None:
        [lifted_offer] = frames.parse(trades_frame(side="SELL")).events
        [hit_bid] = frames.parse(trades_frame(side="BUY")).events

        assert isinstance(lifted_offer, Trade)
        assert isinstance(hit_bid, Trade)
        assert (lifted_offer.side, hit_bid.side) == ("buy", "sell")

    def test_an_unknown_side_is_left_blank_rather_than_guessed(self, frames: CoinbaseFrames) -> None:
        [trade] = frames.parse(trades_frame(side="UNKNOWN_ORDER_SIDE")).events

        assert isinstance(trade, Trade)
        assert trade.side == ""

    def test_a_snapshot_of_recent_trades_is_marked_as_a_snapshot(self, frames: CoinbaseFrames) -> None:
        snapshot = TRADES_UPDATE.replace('"type": "update"', '"type": "snapshot"')

        frame = frames.parse(snapshot)

        assert frame.snapshot
        assert [e.trade_id for e in frame.events if isinstance(e, Trade)] == ["1068572095", "1068572096"]

    def test_trades_of_products_not_followed_are_dropped(self, frames: CoinbaseFrames) -> None:
        frame = frames.parse(trades_frame(product_id="SOL-USD"))

        assert frame.events == []
        assert frame.sequence_num == 12


class TestTickersCandlesAndControl:
    def test_a_ticker_carries_price_best_bid_and_ask_and_volume_at_the_envelope_time(
        self, frames: CoinbaseFrames
    ) -> None:
        frame = frames.parse(TICKER_UPDATE)

        assert frame.events == [
            Ticker(
                exchange="coinbase",
                symbol="ETH-USD",
                price=Decimal("1919.41"),
                time=rfc3339_ms("2026-08-09T21:05:48.298Z"),
                best_bid=Decimal("1919.44"),
                best_ask=Decimal("1919.49"),
                volume_24h=Decimal("19975.95927439"),
            )
        ]

    def test_a_ticker_without_best_prices_has_none_of_them(self, frames: CoinbaseFrames) -> None:
        frame = frames.parse(TICKER_UPDATE.replace('"best_bid": "1919.44"', '"best_bid": ""'))

        [ticker] = frame.events
        assert isinstance(ticker, Ticker)
        assert (ticker.best_bid, ticker.best_ask) == (None, Decimal("1919.49"))

    def test_a_candle_update_is_an_open_five_minute_candle_starting_at_epoch_seconds(
        self, frames: CoinbaseFrames
    ) -> None:
        frame = frames.parse(CANDLES_UPDATE)

        assert frame.events == [
            Candle(
                exchange="coinbase",
                symbol="ETH-USD",
                interval="5m",
                open_time=T_2105,
                open=Decimal("1919.58"),
                high=Decimal("1919.6"),
                low=Decimal("1919.27"),
                close=Decimal("1919.41"),
                volume=Decimal("36.36630914"),
                final=False,
                sealed=False,
            )
        ]

    @pytest.mark.parametrize("raw", [HEARTBEAT, SUBSCRIPTIONS], ids=["heartbeats", "subscriptions"])
    def test_heartbeats_and_subscription_acks_carry_no_market_events_but_their_sequence(
        self, frames: CoinbaseFrames, raw: str
    ) -> None:
        frame = frames.parse(raw)

        assert frame.events == []
        assert frame.sequence_num == json.loads(raw)["sequence_num"]

    def test_a_channel_added_by_the_exchange_is_skipped_but_keeps_its_sequence(self, frames: CoinbaseFrames) -> None:
        frame = frames.parse(envelope("l2_data", [{"type": "update", "product_id": "BTC-USD"}], sequence_num=77))

        assert (frame.channel, frame.sequence_num, frame.events) == ("l2_data", 77, [])

    def test_an_error_message_is_reported_as_such(self, frames: CoinbaseFrames) -> None:
        frame = frames.parse('{"type":"error","message":"Failure to subscribe"}')

        assert frame.error == "Failure to subscribe"
        assert frame.events == []


class TestMalformed:
    @pytest.mark.parametrize(
        "raw",
        [
            "not json",
            "[1, 2]",
            '{"timestamp": "2026-08-09T21:05:48Z", "sequence_num": 1, "events": []}',
        ],
        ids=["not-json", "not-an-object", "no-channel"],
    )
    def test_frames_that_are_no_envelope_are_malformed(self, frames: CoinbaseFrames, raw: str) -> None:
        with pytest.raises(MalformedFrame):
            frames.parse(raw)

    @pytest.mark.parametrize(
        "changes",
        [
            {"price": "abc"},
            {"price": "-1"},
            {"price": "NaN"},
            {"size": "0"},
            {"time": "yesterday"},
            {"time": "2026-02-30T10:00:00Z"},
            {"time": "2026-08-09T21:05:51.4"},
            {"trade_id": None},
        ],
        ids=[
            "price-not-a-number",
            "negative-price",
            "nan-price",
            "zero-size",
            "bad-time",
            "no-such-day",
            "time-without-zone",
            "no-id",
        ],
    )
    def test_a_trade_out_of_shape_makes_the_frame_malformed_but_keeps_its_sequence(
        self, frames: CoinbaseFrames, changes: dict
    ) -> None:
        with pytest.raises(MalformedCoinbaseFrame) as raised:
            frames.parse(trades_frame(**changes))

        assert raised.value.sequence_num == 12

    def test_a_trade_missing_a_field_is_malformed(self, frames: CoinbaseFrames) -> None:
        raw = envelope("market_trades", [{"type": "update", "trades": [{"product_id": "BTC-USD", "trade_id": "1"}]}])

        with pytest.raises(MalformedFrame, match="market_trades"):
            frames.parse(raw)

    @pytest.mark.parametrize(
        "raw",
        [
            CANDLES_UPDATE.replace('"start": "1786309500"', '"start": "2026-08-09"'),
            CANDLES_UPDATE.replace('"type": "update"', '"type": "delta"'),
            TICKER_UPDATE.replace('"volume_24_h": "19975.95927439"', '"volume_24_h": "lots"'),
            TICKER_UPDATE.replace('"timestamp": "2026-08-09T21:05:48.298032046Z"', '"timestamp": "now"'),
            HEARTBEAT.replace('"heartbeat_counter": 41691', '"heartbeat_counter": "x"'),
            envelope("candles", {"candles": []}),
        ],
        ids=["candle-start", "event-type", "ticker-volume", "ticker-time", "heartbeat", "events-not-a-list"],
    )
    def test_other_channels_out_of_shape_are_malformed(self, frames: CoinbaseFrames, raw: str) -> None:
        with pytest.raises(MalformedFrame):
            frames.parse(raw)


class TestTimes:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2026-08-09T21:05:00Z", T_2105),
            ("2026-08-09T21:05:38.50436Z", T_2105 + 38_504),
            ("2026-08-09T21:05:48.251397169Z", T_2105 + 48_251),
            ("2026-08-09T21:05:48.9Z", T_2105 + 48_900),
            ("2026-08-09T23:05:48.9+02:00", T_2105 + 48_900),
        ],
    )
    def test_rfc3339_times_become_epoch_milliseconds_truncated(self, text: str, expected: int) -> None:
        assert rfc3339_ms(text) == expected
