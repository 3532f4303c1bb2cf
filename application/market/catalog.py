"""What the platform follows: the reference coins and instruments, plus the instruments admins listed."""

from __future__ import annotations

import time
from collections.abc import Callable

import msgspec

from application.ports.market import ListedInstruments
from domain.market.instruments import REFERENCE_COINS, Coin, Instrument, reference_instruments
from domain.shared.errors import NotFound


class InstrumentInfo(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    base: str
    quote: str
    base_name: str
    reference: bool


class UnknownInstrument(NotFound):
    title = "Unknown instrument"


class Catalog:
    def __init__(
        self,
        listed: ListedInstruments,
        quote: str = "USDT",
        fresh_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._listed = listed
        self.reference = reference_instruments(quote)
        # Every price, candle and analytics request checks its symbol here: read the listings at most
        # this often (a new listing is seen by the other replicas within that time; here at once).
        self._fresh_seconds = fresh_seconds
        self._clock = clock
        self._cached: tuple[float, list[InstrumentInfo]] | None = None

    def forget(self) -> None:
        """A listing was just added: the next question reads the listings again."""
        self._cached = None

    async def instruments(self) -> list[InstrumentInfo]:
        now = self._clock()
        if self._cached is not None and now - self._cached[0] < self._fresh_seconds:
            return self._cached[1]
        known = await self._read()
        self._cached = (now, known)
        return known

    async def _read(self) -> list[InstrumentInfo]:
        names = {coin.symbol: coin.name for coin in REFERENCE_COINS}
        known = [
            InstrumentInfo(symbol=i.symbol, base=i.base, quote=i.quote, base_name=names[i.base], reference=True)
            for i in self.reference
        ]
        seen = {info.symbol for info in known}
        for listed in await self._listed.all():
            if listed.symbol not in seen:
                known.append(
                    InstrumentInfo(
                        symbol=listed.symbol,
                        base=listed.base,
                        quote=listed.quote,
                        base_name=listed.base_name,
                        reference=False,
                    )
                )
        return known

    async def followed(self) -> list[Instrument]:
        return [Instrument(info.base, info.quote) for info in await self.instruments()]

    async def coins(self) -> list[Coin]:
        coins = {coin.symbol: coin for coin in REFERENCE_COINS}
        for info in await self.instruments():
            coins.setdefault(info.base, Coin(info.base, info.base_name))
        return list(coins.values())

    async def require(self, symbols: list[str]) -> list[Instrument]:
        """The instruments named, in order; 404 naming every symbol the platform does not follow."""
        wanted = [Instrument.parse(symbol) for symbol in symbols]
        known = set(await self.followed())
        unknown = [i.symbol for i in wanted if i not in known]
        if unknown:
            raise UnknownInstrument(f"Not a followed instrument: {', '.join(unknown)}.")
        return wanted
