"""Builds the configured exchange feeds (CAP_MARKET_FEEDS), each behind its own ingestor."""

from __future__ import annotations

from application.market.ingest import Ingestor
from application.ports.market import FeedObserver, MarketFeed
from application.ports.publisher import IntegrationPublisher
from bootstrap.settings import Settings


def build_feed(name: str, settings: Settings, observer: FeedObserver) -> MarketFeed:
    if name == "simulated":
        from adapters.simulated.feed import SimulatedExchange

        return SimulatedExchange(seed=settings.simulated_seed, trades_per_second=settings.simulated_trades_per_second)
    if name == "binance":
        from adapters.binance.feed import BinanceFeed

        return BinanceFeed(
            ws_url=settings.binance_ws_url,
            rest_url=settings.binance_rest_url,
            observer=observer,
            silence_seconds=settings.feed_silence_seconds,
        )
    if name == "coinbase":
        from adapters.coinbase.feed import CoinbaseFeed

        return CoinbaseFeed(
            ws_url=settings.coinbase_ws_url,
            rest_url=settings.coinbase_rest_url,
            observer=observer,
            silence_seconds=settings.feed_silence_seconds,
        )
    if name == "replay":
        from adapters.replay.feed import ReplayFeed

        return ReplayFeed(settings.replay_file, speed=settings.replay_speed, observer=observer)
    raise ValueError(f"unknown feed {name!r}")


def build_ingestors(settings: Settings, publisher: IntegrationPublisher, observer: FeedObserver) -> list[Ingestor]:
    return [
        Ingestor(build_feed(name, settings, observer), publisher, buffer_size=settings.ingest_buffer_size)
        for name in settings.market_feeds
    ]
