"""Coinbase Advanced Trade market data: WebSocket frames, the live feed and REST candle backfill."""
