"""Binance combined-stream frames into normalised market events (frames in the documented format)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from adapters.binance.frames import BinanceFrames, Control
from adapters.feeds.errors import MalformedFrame
from domain.market.instruments import Instrument, SymbolMap
from domain.market.values import Candle, Ticker, Trade

MINUTE = 1_699_999_980_000  # a minute boundary


@pytest.fixture
def frames() -> BinanceFrames:
    return BinanceFrames(SymbolMap([Instrument("BTC", "USDT"), Instrument("ETH", "BTC")]))


def trade(**changes: Any) -> dict[str, Any]:
    payload = {
        "e": "trade",
        "E": MINUTE + 1_500,
        "s": "BTCUSDT",
        "t": 4_211_887_412,
        "p": "43012.34000000",
        "q": "0.00250000",
        "T": MINUTE + 1_499,
        "m": True,
        "M": True,
    }
    return payload | changes


def kline(**changes: Any) -> dict[str, Any]:
    bar = {
        "t": MINUTE,
        "T": MINUTE + 59_999,
        "s": "BTCUSDT",
        "i": "1m",
        "f": 100,
        "L": 200,
        "o": "43000.00000000",
        "c": "43010.50000000",
        "h": "43020.00000000",
        "l": "42990.10000000",
        "v": "12.75000000",
        "n": 101,
        "x": True,
        "q": "548000.00000000",
        "V": "6.00000000",
        "Q": "258000.00000000",
        "B": "0",
    }
    return {"e": "kline", "E": MINUTE + 60_001, "s": "BTCUSDT", "k": bar | changes}


def ticker(**changes: Any) -> dict[str, Any]:
    payload = {
        "e": "24hrTicker",
        "E": MINUTE + 2_000,
        "s": "BTCUSDT",
        "p": "120.00000000",
        "P": "0.280",
        "w": "42950.00000000",
        "x": "42890.00000000",
        "c": "43012.34000000",
        "Q": "0.00250000",
        "b": "43012.33000000",
        "B": "1.20000000",
        "a": "43012.35000000",
        "A": "0.80000000",
        "o": "42892.34000000",
        "h": "43100.00000000",
        "l": "42700.00000000",
        "v": "18234.55000000",
        "q": "783000000.00000000",
        "O": MINUTE - 86_400_000,
        "C": MINUTE,
        "F": 1,
        "L": 2,
        "n": 2,
    }
    return payload | changes


def combined(payload: dict[str, Any], stream: str = "btcusdt@trade") -> bytes:
    return json.dumps({"stream": stream, "data": payload}).encode()


class TestTrades:
    def test_a_trade_becomes_a_trade_with_decimal_price_and_quantity(self, frames: BinanceFrames) -> None:
        assert frames.parse(combined(trade())) == [
            Trade(
                exchange="binance",
                symbol="BTC-USDT",
                trade_id="4211887412",
                price=Decimal("43012.34000000"),
                quantity=Decimal("0.00250000"),
                time=MINUTE + 1_499,
                side="sell",
            )
        ]

    def test_the_taker_bought_when_the_buyer_was_not_the_maker(self, frames: BinanceFrames) -> None:
        [event] = frames.parse(combined(trade(m=False)))
        assert isinstance(event, Trade)
        assert event.side == "buy"

    def test_accepts_text_frames_as_well_as_bytes(self, frames: BinanceFrames) -> None:
        assert frames.parse(combined(trade()).decode()) == frames.parse(combined(trade()))

    def test_accepts_a_raw_payload_outside_the_combined_envelope(self, frames: BinanceFrames) -> None:
        assert frames.parse(json.dumps(trade())) == frames.parse(combined(trade()))

    def test_maps_the_exchange_symbol_back_to_the_instrument(self, frames: BinanceFrames) -> None:
        [event] = frames.parse(combined(trade(s="ETHBTC", p="0.05310000"), "ethbtc@trade"))
        assert isinstance(event, Trade)
        assert event.symbol == "ETH-BTC"

    def test_skips_a_symbol_that_is_not_followed(self, frames: BinanceFrames) -> None:
        assert frames.parse(combined(trade(s="DOGEUSDT"), "dogeusdt@trade")) == []


class TestKlines:
    def test_a_closed_1m_kline_becomes_a_sealed_final_candle(self, frames: BinanceFrames) -> None:
        assert frames.parse(combined(kline(), "btcusdt@kline_1m")) == [
            Candle(
                exchange="binance",
                symbol="BTC-USDT",
                interval="1m",
                open_time=MINUTE,
                open=Decimal("43000.00000000"),
                high=Decimal("43020.00000000"),
                low=Decimal("42990.10000000"),
                close=Decimal("43010.50000000"),
                volume=Decimal("12.75000000"),
                trades=101,
                final=True,
                sealed=True,
            )
        ]

    def test_an_open_kline_yields_nothing_as_candles_are_built_from_trades(self, frames: BinanceFrames) -> None:
        assert frames.parse(combined(kline(x=False), "btcusdt@kline_1m")) == []

    def test_a_closed_kline_of_another_interval_yields_nothing(self, frames: BinanceFrames) -> None:
        assert frames.parse(combined(kline(i="5m"), "btcusdt@kline_5m")) == []


class TestTickers:
    def test_a_24h_ticker_becomes_a_ticker_with_last_price_best_quotes_and_volume(self, frames: BinanceFrames) -> None:
        assert frames.parse(combined(ticker(), "btcusdt@ticker")) == [
            Ticker(
                exchange="binance",
                symbol="BTC-USDT",
                price=Decimal("43012.34000000"),
                time=MINUTE + 2_000,
                best_bid=Decimal("43012.33000000"),
                best_ask=Decimal("43012.35000000"),
                volume_24h=Decimal("18234.55000000"),
            )
        ]

    def test_an_empty_side_of_the_book_is_no_best_quote(self, frames: BinanceFrames) -> None:
        [event] = frames.parse(combined(ticker(b="0.00000000"), "btcusdt@ticker"))
        assert isinstance(event, Ticker)
        assert event.best_bid is None


class TestControlFrames:
    def test_a_subscription_ack_yields_no_events(self, frames: BinanceFrames) -> None:
        assert frames.parse(b'{"result":null,"id":7}') == []

    def test_reads_a_subscription_ack_as_an_ack_of_its_id(self, frames: BinanceFrames) -> None:
        assert frames.read(b'{"result":null,"id":7}') == Control("ack", 7)

    def test_reads_a_list_of_subscriptions_as_an_ack_with_the_result(self, frames: BinanceFrames) -> None:
        assert frames.read(b'{"result":["btcusdt@trade"],"id":3}') == Control("ack", 3, '["btcusdt@trade"]')

    def test_reads_a_refused_control_message_as_an_error(self, frames: BinanceFrames) -> None:
        assert frames.read(b'{"code":2,"msg":"Invalid request","id":9}') == Control("error", 9, "2: Invalid request")

    def test_recognises_a_server_shutdown_announcement(self, frames: BinanceFrames) -> None:
        announcement = {"e": "serverShutdown", "E": MINUTE}
        assert frames.read(combined(announcement, "!serverShutdown")).kind == "shutdown"  # type: ignore[union-attr]
        assert frames.read(json.dumps(announcement)).kind == "shutdown"  # type: ignore[union-attr]
        assert frames.parse(json.dumps(announcement)) == []

    def test_skips_a_well_formed_event_of_a_type_it_does_not_handle(self, frames: BinanceFrames) -> None:
        agg_trade = {"e": "aggTrade", "E": 1, "s": "BTCUSDT", "a": 5, "p": "1", "q": "1", "T": 1, "m": False}
        assert frames.parse(combined(agg_trade, "btcusdt@aggTrade")) == []
        assert frames.parse(json.dumps(agg_trade)) == []

    def test_skips_frames_of_streams_it_does_not_handle_even_without_an_event_type(self, frames: BinanceFrames) -> None:
        book_ticker = {"u": 400900217, "s": "BTCUSDT", "b": "43012.33", "B": "1.2", "a": "43012.35", "A": "0.8"}
        assert frames.parse(combined(book_ticker, "btcusdt@bookTicker")) == []


class TestMalformedFrames:
    @pytest.mark.parametrize(
        "raw",
        [
            pytest.param(b"{not json", id="bad JSON"),
            pytest.param(b"", id="empty"),
            pytest.param(b"[1, 2]", id="not an object"),
            pytest.param(b'{"stream":"btcusdt@trade"}', id="envelope without data"),
            pytest.param(b'{"id":4}', id="response without result"),
            pytest.param(combined({k: v for k, v in trade().items() if k != "p"}), id="trade without price"),
            pytest.param(combined(trade(p="forty-three")), id="non-numeric price"),
            pytest.param(combined(trade(p="NaN")), id="NaN price"),
            pytest.param(combined(trade(p="0")), id="zero price"),
            pytest.param(combined(trade(q="-0.5")), id="negative quantity"),
            pytest.param(combined(trade(T=-1)), id="negative time"),
            pytest.param(combined(trade(T="soon")), id="non-integer time"),
            pytest.param(combined(trade(m="yes")), id="non-boolean maker flag"),
            pytest.param(combined(kline(t=MINUTE + 5)), id="kline not on a minute"),
            pytest.param(combined(kline(h="42000")), id="kline high below its open"),
            pytest.param(combined(kline(v="-1")), id="kline negative volume"),
            pytest.param(combined(ticker(c="-1")), id="ticker negative price"),
            pytest.param(combined({"e": 42}), id="non-string event type"),
            pytest.param(combined({"s": "BTCUSDT", "p": "1"}), id="trade stream payload without event type"),
            pytest.param(json.dumps({"s": "BTCUSDT", "b": "1"}), id="raw payload without event type"),
        ],
    )
    def test_rejects_a_frame_that_does_not_match_the_documented_format(self, frames: BinanceFrames, raw: bytes) -> None:
        with pytest.raises(MalformedFrame):
            frames.parse(raw)
