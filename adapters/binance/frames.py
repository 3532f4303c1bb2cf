"""Binance spot market-stream frames into trades, tickers and sealed 1m candles.

This is the hot path of the feed: each frame is decoded in one pass into typed msgspec Structs, prices
and quantities go straight from the frame's strings to `Decimal` (never through float), and only what
msgspec cannot express (positive, finite, minute-aligned) is checked by hand.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from adapters.feeds.errors import MalformedFrame
from adapters.feeds.numbers import non_negative, positive
from domain.market.instruments import SymbolMap
from domain.market.intervals import MINUTE_MS
from domain.market.values import Candle, MarketEvent, Ticker, Trade

EXCHANGE = "binance"


class _Trade(msgspec.Struct, tag_field="e", tag="trade"):
    s: str
    t: int
    p: Decimal
    q: Decimal
    T: int
    m: bool


class _Bar(msgspec.Struct):
    t: int
    i: str
    o: Decimal
    h: Decimal
    l: Decimal  # noqa: E741 - Binance's field name
    c: Decimal
    v: Decimal
    n: int
    x: bool


class _Kline(msgspec.Struct, tag_field="e", tag="kline"):
    s: str
    k: _Bar


class _Ticker(msgspec.Struct, tag_field="e", tag="24hrTicker"):
    E: int
    s: str
    c: Decimal
    b: Decimal
    a: Decimal
    v: Decimal


class _Shutdown(msgspec.Struct, tag_field="e", tag="serverShutdown"):
    E: int = 0


_Payload = _Trade | _Kline | _Ticker | _Shutdown
_EVENT_TYPES = frozenset({"trade", "kline", "24hrTicker", "serverShutdown"})
_STREAM_KINDS = frozenset({"trade", "ticker"})  # and kline_<interval>


class _Error(msgspec.Struct):
    code: int = 0
    msg: str = ""


class _Frame(msgspec.Struct):
    """A combined-stream frame, a response to a control message, or (with `e`) a raw payload."""

    data: _Payload | UnsetType = UNSET
    e: str | UnsetType = UNSET
    result: Any = UNSET
    id: int | str | UnsetType | None = UNSET
    code: int | UnsetType = UNSET
    msg: str = ""
    error: _Error | UnsetType = UNSET


class Control(msgspec.Struct, frozen=True):
    """A frame about the connection rather than the market.

    `ack`: a control message succeeded (`detail` holds a non-null result, e.g. LIST_SUBSCRIPTIONS);
    `error`: a control message was refused; `shutdown`: the server announced `serverShutdown`.
    """

    kind: Literal["ack", "error", "shutdown"]
    id: int | str | None = None
    detail: str = ""


SHUTDOWN = Control("shutdown")


class BinanceFrames:
    def __init__(self, symbols: SymbolMap) -> None:
        self._map = symbols
        self._names = {symbols.to_exchange(i).upper(): i.symbol for i in symbols.instruments}
        self._frames = msgspec.json.Decoder(_Frame)
        self._payloads = msgspec.json.Decoder(_Payload)

    def parse(self, raw: bytes | str) -> list[MarketEvent]:
        """The market events in one frame ([] for responses, shutdown notices and unknown symbols)."""
        result = self.read(raw)
        return result if type(result) is list else []

    def read(self, raw: bytes | str) -> list[MarketEvent] | Control:
        """Like `parse`, but responses and `serverShutdown` come back as a `Control`."""
        try:
            frame = self._frames.decode(raw)
            payload = frame.data
            if payload is UNSET:
                if frame.e is not UNSET:
                    payload = self._payloads.decode(raw)
                else:
                    return _response(frame)
        except msgspec.ValidationError as exc:
            if _is_other_event(raw):
                return []
            raise MalformedFrame(str(exc)) from None
        except msgspec.DecodeError as exc:
            raise MalformedFrame(str(exc)) from None
        return self._events(payload)

    def _events(self, payload: _Payload) -> list[MarketEvent] | Control:
        if isinstance(payload, _Trade):
            symbol = self._symbol(payload.s)
            if symbol is None:
                return []
            return [
                Trade(
                    exchange=EXCHANGE,
                    symbol=symbol,
                    trade_id=str(payload.t),
                    price=positive(payload.p, "price"),
                    quantity=positive(payload.q, "quantity"),
                    time=_time(payload.T),
                    side="sell" if payload.m else "buy",
                )
            ]
        if isinstance(payload, _Kline):
            bar = payload.k
            if not bar.x or bar.i != "1m":
                return []  # open candles are built from trades; only 1m is subscribed
            symbol = self._symbol(payload.s)
            if symbol is None:
                return []
            return [sealed_minute(symbol, bar.t, bar.o, bar.h, bar.l, bar.c, bar.v, bar.n)]
        if isinstance(payload, _Ticker):
            symbol = self._symbol(payload.s)
            if symbol is None:
                return []
            return [
                Ticker(
                    exchange=EXCHANGE,
                    symbol=symbol,
                    price=positive(payload.c, "last price"),
                    time=_time(payload.E),
                    best_bid=_quote(payload.b, "best bid"),
                    best_ask=_quote(payload.a, "best ask"),
                    volume_24h=non_negative(payload.v, "volume"),
                )
            ]
        return SHUTDOWN

    def _symbol(self, name: str) -> str | None:
        symbol = self._names.get(name)
        if symbol is None:
            instrument = self._map.from_exchange(name)
            if instrument is not None:
                symbol = self._names[name] = instrument.symbol
        return symbol


def sealed_minute(
    symbol: str,
    open_time: int,
    open: Decimal,
    high: Decimal,
    low: Decimal,
    close: Decimal,
    volume: Decimal,
    trades: int,
) -> Candle:
    """A closed 1m kline as the sealed candle of its minute, checked for consistency."""
    if open_time < 0 or open_time % MINUTE_MS:
        raise MalformedFrame(f"kline open time {open_time} is not the start of a minute")
    for value, field in ((open, "open"), (high, "high"), (low, "low"), (close, "close")):
        positive(value, field)
    if not low <= min(open, close) <= max(open, close) <= high:
        raise MalformedFrame(f"kline prices are inconsistent: o={open} h={high} l={low} c={close}")
    if trades < 0:
        raise MalformedFrame(f"kline trade count {trades} is negative")
    return Candle(
        exchange=EXCHANGE,
        symbol=symbol,
        interval="1m",
        open_time=open_time,
        open=open,
        high=high,
        low=low,
        close=close,
        volume=non_negative(volume, "volume"),
        trades=trades,
        final=True,
        sealed=True,
    )


def _response(frame: _Frame) -> Control:
    if frame.code is not UNSET:
        return Control("error", _id(frame.id), f"{frame.code}: {frame.msg}")
    if frame.error is not UNSET:
        return Control("error", _id(frame.id), f"{frame.error.code}: {frame.error.msg}")
    if frame.id is not UNSET and frame.result is not UNSET:
        return Control("ack", frame.id, "" if frame.result is None else msgspec.json.encode(frame.result).decode())
    raise MalformedFrame("neither market data nor a response to a control message")


def _id(value: int | str | UnsetType | None) -> int | str | None:
    return None if value is UNSET else value


def _is_other_event(raw: bytes | str) -> bool:
    """A well-formed frame of a stream or event type this parser does not handle: skipped, not malformed.

    E.g. `@aggTrade`, `@depth` or `@bookTicker` frames (the last have no event type at all) in a recording.
    """
    try:
        frame = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return False
    if not isinstance(frame, dict):
        return False
    payload = frame.get("data", frame)
    if not isinstance(payload, dict):
        return False
    stream = frame.get("stream")
    if isinstance(stream, str) and "@" in stream:
        kind = stream.partition("@")[2]
        if kind not in _STREAM_KINDS and not kind.startswith("kline_"):
            return True
    event = payload.get("e")
    return isinstance(event, str) and event not in _EVENT_TYPES


def _quote(value: Decimal, field: str) -> Decimal | None:
    """A best bid or ask; Binance sends 0 when that side of the book is empty."""
    return non_negative(value, field) or None


def _time(value: int) -> int:
    if value < 0:
        raise MalformedFrame(f"time {value} is negative")
    return value
