"""Analytics context: indicators over candles (TA-Lib and what it lacks), incremental updates, risk figures."""
