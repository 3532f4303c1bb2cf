"""Analytics use cases: indicators and risk figures over stored candles."""
