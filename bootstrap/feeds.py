"""Builds the configured exchange feeds (CAP_MARKET_FEEDS), each behind its own ingestor."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from application.market.ingest import Ingestor
from application.ports.market import FeedObserver, MarketFeed
from application.ports.publisher import IntegrationPublisher
from bootstrap.settings import Settings
from domain.market.instruments import Instrument, SymbolMap
from domain.market.values import Candle, MarketEvent


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

        return ReplayFeed(
            settings.replay_file,
            exchange=settings.replay_exchange,
            parser_for=_frame_parser(settings.replay_exchange),
            observer=observer,
            speed=settings.replay_speed,
            loop=settings.replay_loop,
            symbol=settings.replay_symbol or None,
            interval=settings.replay_interval,
        )
    raise ValueError(f"unknown feed {name!r}")


def _frame_parser(exchange: str) -> Callable[[Sequence[Instrument]], Callable[[str], Sequence[MarketEvent]]]:
    """How recorded frames of `exchange` become market events, for the instruments being followed."""
    if exchange == "coinbase":
        from adapters.coinbase.frames import CoinbaseFrames

        def coinbase(instruments: Sequence[Instrument]) -> Callable[[str], Sequence[MarketEvent]]:
            frames = CoinbaseFrames(SymbolMap(instruments, separator="-"))
            # Open 5m candles are updates of a bucket still running, not candles the exchange closed.
            return lambda raw: [e for e in frames.parse(raw).events if not isinstance(e, Candle) or e.final]

        return coinbase
    from adapters.binance.frames import BinanceFrames

    return lambda instruments: BinanceFrames(SymbolMap(instruments)).parse


def build_ingestors(settings: Settings, publisher: IntegrationPublisher, observer: FeedObserver) -> list[Ingestor]:
    return [
        Ingestor(build_feed(name, settings, observer), publisher, buffer_size=settings.ingest_buffer_size)
        for name in settings.market_feeds
    ]
