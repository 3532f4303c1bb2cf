"""Market context: instruments, trades, tickers and candles."""
