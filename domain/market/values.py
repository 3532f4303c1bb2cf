"""Trades, tickers and candles: value objects with Decimal prices and quantities, times in epoch ms (UTC)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

Side = Literal["buy", "sell", ""]


class Trade(msgspec.Struct, frozen=True, kw_only=True):
    """One execution. `side` is the taker's side when the exchange tells it ("" when it does not)."""

    exchange: str
    symbol: str
    trade_id: str
    price: Decimal
    quantity: Decimal
    time: int
    side: Side = ""


class Ticker(msgspec.Struct, frozen=True, kw_only=True):
    exchange: str
    symbol: str
    price: Decimal
    time: int
    best_bid: Decimal | None = None
    best_ask: Decimal | None = None
    volume_24h: Decimal | None = None


class Candle(msgspec.Struct, frozen=True, kw_only=True):
    """OHLCV over [open_time, open_time + interval). Final once the interval has ended.

    `sealed` marks a candle the exchange itself reported as closed (kline, REST backfill, import):
    it is the authority for its bucket, so trades arriving for it later do not change it.
    """

    exchange: str
    symbol: str
    interval: str
    open_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    trades: int = 0
    final: bool = False
    sealed: bool = False
    # Time of the trade that set `close` (0 when unknown): a late trade must not move the close back.
    last_trade_time: int = 0

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.exchange, self.symbol, self.interval, self.open_time)


class Price(msgspec.Struct, frozen=True, kw_only=True):
    """The latest price of a symbol and where it came from."""

    symbol: str
    price: Decimal
    time: int
    source: str


MarketEvent = Trade | Ticker | Candle
