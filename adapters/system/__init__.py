"""Adapters onto the operating system: the clock."""
