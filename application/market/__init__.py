"""Market use cases: ingest, candles, prices, historical import, queries."""
