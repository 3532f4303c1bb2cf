"""The simulated exchange: the embedded mode's default market feed."""
