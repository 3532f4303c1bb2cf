"""Candle history for a feed that can make its own (the simulated exchange), so that a fresh embedded
platform has indicators to show from its first minute."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from application.market.importing import import_candles
from application.ports.market import CandleStore
from application.ports.publisher import IntegrationPublisher
from domain.market.instruments import Instrument
from domain.market.values import Candle

History = Callable[[Sequence[Instrument], int, int], dict[str, list[Candle]]]


async def seed_history(
    history: History,
    exchange: str,
    instruments: Sequence[Instrument],
    *,
    days: int,
    store: CandleStore,
    publisher: IntegrationPublisher,
    now_ms: Callable[[], int],
) -> int:
    """Import `days` of 1m candles (rolled up to every interval) for instruments with none stored yet.

    Returns how many 1m candles were imported. Instruments with candles already are left alone: the
    history is only a starting point, never written over what the feed recorded.
    """
    empty = [i for i in instruments if await store.last_open_time(exchange, i.symbol, "1m") is None]
    if not empty or days <= 0:
        return 0
    imported = 0
    for symbol, candles in history(empty, now_ms(), days).items():
        result = await import_candles(
            candles, store=store, publisher=publisher, exchange=exchange, symbol=symbol, interval="1m", now_ms=now_ms
        )
        imported += result.imported
    return imported
