"""Binance spot: combined WebSocket market streams and REST kline backfill."""
