"""Instruments (`BASE-QUOTE` pairs), the reference coins, and the exchanges' own names for instruments."""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

from domain.shared.errors import FieldError, InvalidInput

_ASSET = re.compile(r"^[A-Z0-9]{2,12}$")


class Coin(msgspec.Struct, frozen=True):
    symbol: str
    name: str


REFERENCE_COINS: tuple[Coin, ...] = (
    Coin("BTC", "Bitcoin"),
    Coin("ETH", "Ethereum"),
    Coin("BNB", "BNB"),
    Coin("SOL", "Solana"),
    Coin("XRP", "XRP"),
    Coin("ADA", "Cardano"),
    Coin("DOGE", "Dogecoin"),
    Coin("AVAX", "Avalanche"),
    Coin("DOT", "Polkadot"),
    Coin("LINK", "Chainlink"),
)


class Instrument(msgspec.Struct, frozen=True, order=True):
    base: str
    quote: str

    @property
    def symbol(self) -> str:
        return f"{self.base}-{self.quote}"

    @classmethod
    def parse(cls, symbol: str, field: str = "symbol") -> Instrument:
        """`BTC-USDT` (case-insensitive) into an instrument; anything else is invalid input."""
        base, dash, quote = symbol.strip().upper().partition("-")
        if not dash or not _ASSET.match(base) or not _ASSET.match(quote) or base == quote:
            raise InvalidInput(
                [FieldError(field, f"expected BASE-QUOTE such as BTC-USDT, got {symbol[:40]!r}")], "Not an instrument."
            )
        return cls(base, quote)

    def __str__(self) -> str:
        return self.symbol


def reference_instruments(quote: str = "USDT") -> tuple[Instrument, ...]:
    return tuple(Instrument(coin.symbol, quote) for coin in REFERENCE_COINS)


class SymbolMap:
    """Maps instruments to an exchange's names and back.

    Binance names `BTC-USDT` as `BTCUSDT` (lower case in stream names), which cannot be split without
    knowing the instrument, so the way back is a lookup over the instruments being followed.
    """

    def __init__(self, instruments: Iterable[Instrument], *, separator: str = "") -> None:
        self._separator = separator
        self._to_exchange = {i: f"{i.base}{separator}{i.quote}" for i in instruments}
        self._from_exchange = {name.upper(): i for i, name in self._to_exchange.items()}

    def to_exchange(self, instrument: Instrument) -> str:
        return self._to_exchange.get(instrument) or f"{instrument.base}{self._separator}{instrument.quote}"

    def from_exchange(self, name: str) -> Instrument | None:
        return self._from_exchange.get(name.upper())

    @property
    def instruments(self) -> tuple[Instrument, ...]:
        return tuple(self._to_exchange)


# How each exchange writes an instrument's name (Binance: BTCUSDT; Coinbase: BTC-USDT).
EXCHANGE_SEPARATORS: dict[str, str] = {"binance": "", "coinbase": "-", "simulated": "-"}


def exchange_symbols(instrument: Instrument) -> dict[str, str]:
    return {exchange: f"{instrument.base}{sep}{instrument.quote}" for exchange, sep in EXCHANGE_SEPARATORS.items()}
