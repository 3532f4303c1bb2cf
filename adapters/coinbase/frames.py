"""Coinbase Advanced Trade WebSocket frames into trades, tickers and 5-minute candle updates.

Every frame is an envelope `{channel, timestamp, sequence_num, events}`; `sequence_num` counts the
messages of one connection across all channels. Decoding is two-step: the envelope first (its events
kept raw), then the events with the typed shape of their channel. Channels we do not know are skipped
(the exchange may add some at any time) but still carry their sequence number.

Side: the `side` of a `market_trades` trade is the MAKER order's side, as on the Exchange `match`
channel. In the capture of 2026-08-09, 49 of the 50 trades printed at or through the best ask say
"SELL" and 26 of the 27 at the best bid say "BUY". Our `Trade.side` is the taker's side, so it is the
opposite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

import msgspec

from adapters.feeds.errors import MalformedFrame
from adapters.feeds.numbers import non_negative, positive
from domain.market.instruments import SymbolMap
from domain.market.values import Candle, MarketEvent, Side, Ticker, Trade

EXCHANGE = "coinbase"
CANDLE_INTERVAL = "5m"  # the only candle size the WebSocket has

_TAKER_SIDE: dict[str, Side] = {"BUY": "sell", "SELL": "buy"}


class MalformedCoinbaseFrame(MalformedFrame):
    """A malformed frame whose envelope still told its sequence number (so it is no gap)."""

    def __init__(self, reason: str, sequence_num: int | None = None) -> None:
        super().__init__(reason)
        self.sequence_num = sequence_num


class CoinbaseFrame(msgspec.Struct, frozen=True):
    """One parsed envelope. `events` holds trades (oldest first), tickers and open 5m candles."""

    channel: str
    sequence_num: int | None
    timestamp: str
    events: list[MarketEvent]
    snapshot: bool = False
    error: str | None = None


class _Envelope(msgspec.Struct):
    channel: str = ""
    timestamp: str = ""
    sequence_num: int | None = None
    events: msgspec.Raw = msgspec.Raw()  # empty when absent
    type: str = ""
    message: str = ""


class _TradeRow(msgspec.Struct):
    product_id: str
    trade_id: str | int
    price: Decimal
    size: Decimal
    time: str
    side: str = ""


class _TradesEvent(msgspec.Struct):
    type: Literal["snapshot", "update"]
    trades: list[_TradeRow]


class _TickerRow(msgspec.Struct):
    product_id: str
    price: Decimal
    volume_24_h: str = ""
    best_bid: str = ""
    best_ask: str = ""


class _TickersEvent(msgspec.Struct):
    type: Literal["snapshot", "update"]
    tickers: list[_TickerRow]


class _CandleRow(msgspec.Struct):
    product_id: str
    start: str
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


class _CandlesEvent(msgspec.Struct):
    type: Literal["snapshot", "update"]
    candles: list[_CandleRow]


class _Heartbeat(msgspec.Struct):
    current_time: str
    heartbeat_counter: int


class _Subscriptions(msgspec.Struct):
    subscriptions: dict[str, list[str]]


_ENVELOPE = msgspec.json.Decoder(_Envelope)
_TRADES = msgspec.json.Decoder(list[_TradesEvent])
_TICKERS = msgspec.json.Decoder(list[_TickersEvent])
_CANDLES = msgspec.json.Decoder(list[_CandlesEvent])
_HEARTBEATS = msgspec.json.Decoder(list[_Heartbeat])
_SUBSCRIPTIONS = msgspec.json.Decoder(list[_Subscriptions])


class CoinbaseFrames:
    """Parses frames for the instruments of one symbol map; other products' rows are dropped."""

    def __init__(self, symbols: SymbolMap) -> None:
        self._symbols = symbols
        self._names: dict[str, str | None] = {}

    def parse(self, raw: bytes | str) -> CoinbaseFrame:
        try:
            envelope = _ENVELOPE.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise MalformedCoinbaseFrame(f"not a Coinbase envelope: {exc}") from None
        channel = envelope.channel
        sequence = envelope.sequence_num
        if not channel:
            if envelope.type == "error":
                return CoinbaseFrame("error", sequence, envelope.timestamp, [], error=envelope.message or "error")
            raise MalformedCoinbaseFrame("envelope without a channel", sequence)
        if not envelope.events:
            raise MalformedCoinbaseFrame(f"{channel}: envelope without events", sequence)
        try:
            if channel == "market_trades":
                return self._trades(envelope)
            if channel == "ticker" or channel == "ticker_batch":
                return self._tickers(envelope)
            if channel == "candles":
                return self._candles(envelope)
            if channel == "heartbeats":
                _HEARTBEATS.decode(envelope.events)
            elif channel == "subscriptions":
                _SUBSCRIPTIONS.decode(envelope.events)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise MalformedCoinbaseFrame(f"{channel}: {exc}", sequence) from None
        except MalformedFrame as exc:
            raise MalformedCoinbaseFrame(f"{channel}: {exc}", sequence) from None
        return CoinbaseFrame(channel, sequence, envelope.timestamp, [])

    def _symbol(self, product_id: str) -> str | None:
        try:
            return self._names[product_id]
        except KeyError:
            instrument = self._symbols.from_exchange(product_id)
            name = self._names[product_id] = instrument.symbol if instrument is not None else None
            return name

    def _trades(self, envelope: _Envelope) -> CoinbaseFrame:
        events = _TRADES.decode(envelope.events)
        trades: list[MarketEvent] = []
        snapshot = False
        for event in events:
            snapshot = snapshot or event.type == "snapshot"
            # Newest first on the wire; oldest first out.
            for row in reversed(event.trades):
                symbol = self._symbol(row.product_id)
                if symbol is None:
                    continue
                trades.append(
                    Trade(
                        exchange=EXCHANGE,
                        symbol=symbol,
                        trade_id=str(row.trade_id),
                        price=positive(row.price, "price"),
                        quantity=positive(row.size, "size"),
                        time=rfc3339_ms(row.time),
                        side=_TAKER_SIDE.get(row.side.upper(), ""),
                    )
                )
        if len(trades) > 1:
            trades.sort(key=_trade_time)
        return CoinbaseFrame(envelope.channel, envelope.sequence_num, envelope.timestamp, trades, snapshot)

    def _tickers(self, envelope: _Envelope) -> CoinbaseFrame:
        events = _TICKERS.decode(envelope.events)
        tickers: list[MarketEvent] = []
        snapshot = False
        time: int | None = None
        for event in events:
            snapshot = snapshot or event.type == "snapshot"
            for row in event.tickers:
                symbol = self._symbol(row.product_id)
                if symbol is None:
                    continue
                if time is None:
                    time = rfc3339_ms(envelope.timestamp)
                tickers.append(
                    Ticker(
                        exchange=EXCHANGE,
                        symbol=symbol,
                        price=positive(row.price, "price"),
                        time=time,
                        best_bid=_optional(row.best_bid, "best_bid"),
                        best_ask=_optional(row.best_ask, "best_ask"),
                        volume_24h=_optional(row.volume_24_h, "volume_24_h"),
                    )
                )
        return CoinbaseFrame(envelope.channel, envelope.sequence_num, envelope.timestamp, tickers, snapshot)

    def _candles(self, envelope: _Envelope) -> CoinbaseFrame:
        events = _CANDLES.decode(envelope.events)
        candles: list[MarketEvent] = []
        snapshot = False
        for event in events:
            snapshot = snapshot or event.type == "snapshot"
            for row in event.candles:
                symbol = self._symbol(row.product_id)
                if symbol is None:
                    continue
                candles.append(
                    Candle(
                        exchange=EXCHANGE,
                        symbol=symbol,
                        interval=CANDLE_INTERVAL,
                        open_time=epoch_seconds_ms(row.start),
                        open=positive(row.open, "open"),
                        high=positive(row.high, "high"),
                        low=positive(row.low, "low"),
                        close=positive(row.close, "close"),
                        volume=non_negative(row.volume, "volume"),
                    )
                )
        return CoinbaseFrame(envelope.channel, envelope.sequence_num, envelope.timestamp, candles, snapshot)


def _trade_time(event: MarketEvent) -> int:
    return event.time if isinstance(event, Trade) else 0


def _optional(text: str, field: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise MalformedFrame(f"{field} is not a number: {text[:40]!r}") from None
    return non_negative(value, field)


def epoch_seconds_ms(text: str) -> int:
    """Candle `start`: epoch seconds as a decimal string, to epoch milliseconds."""
    if not (text.isascii() and text.isdigit()):
        raise MalformedFrame(f"candle start is not epoch seconds: {text[:40]!r}")
    return int(text) * 1000


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def rfc3339_ms(text: str) -> int:
    """RFC 3339 time (`Z` or an offset; fraction digits beyond µs ignored) to epoch ms, truncated."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedFrame(f"not an RFC 3339 time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        raise MalformedFrame(f"time without a zone: {text[:40]!r}")
    return (moment - _EPOCH) // _MILLISECOND
