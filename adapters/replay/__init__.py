"""Replay of recorded exchange frames or historical candle files as a market feed."""
