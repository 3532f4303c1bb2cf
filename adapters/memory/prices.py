"""Latest prices in memory (embedded mode)."""

from __future__ import annotations

from collections.abc import Sequence

from domain.market.values import Price


class MemoryPriceStore:
    def __init__(self) -> None:
        self._prices: dict[str, Price] = {}

    async def update(self, prices: Sequence[Price]) -> None:
        for price in prices:
            current = self._prices.get(price.symbol)
            if current is None or price.time >= current.time:
                self._prices[price.symbol] = price

    async def get(self, symbols: Sequence[str]) -> dict[str, Price]:
        return {symbol: self._prices[symbol] for symbol in symbols if symbol in self._prices}
