"""WebSocket entry points: the live feed of prices and candles."""
