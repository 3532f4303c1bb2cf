"""The collaborators the market use cases need, bundled so bootstrap can bind them once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.market.catalog import Catalog
from application.ports.market import CandleStore, PriceStore
from application.ports.publisher import IntegrationPublisher


@dataclass(frozen=True)
class MarketServices:
    catalog: Catalog
    candles: CandleStore
    prices: PriceStore
    publisher: IntegrationPublisher
    now_ms: Callable[[], int]
    # Candles are kept per exchange; queries that name none read this one (the first configured feed).
    default_exchange: str
