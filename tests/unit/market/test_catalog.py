"""The catalogue of followed instruments: reference ones plus listings, read at most every few seconds."""

from __future__ import annotations

from application.market.catalog import Catalog
from application.ports.market import ListedInstrument


class FakeListings:
    def __init__(self) -> None:
        self.listed: list[ListedInstrument] = []
        self.reads = 0

    async def all(self) -> list[ListedInstrument]:
        self.reads += 1
        return list(self.listed)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_listings_are_read_at_most_once_per_freshness_period_unless_forgotten():
    listings, clock = FakeListings(), Clock()
    catalog = Catalog(listings, fresh_seconds=2.0, clock=clock)
    await catalog.instruments()
    await catalog.require(["BTC-USDT"])
    assert listings.reads == 1

    listings.listed.append(ListedInstrument(symbol="PEPE-USDT", base="PEPE", quote="USDT", base_name="Pepe"))
    assert "PEPE-USDT" not in [i.symbol for i in await catalog.instruments()]
    clock.now = 2.5
    assert "PEPE-USDT" in [i.symbol for i in await catalog.instruments()]
    assert listings.reads == 2

    catalog.forget()
    await catalog.instruments()
    assert listings.reads == 3
