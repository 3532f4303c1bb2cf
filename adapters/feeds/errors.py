"""Errors of exchange feeds."""

from __future__ import annotations


class MalformedFrame(ValueError):
    """A frame that does not parse as the exchange's documented format: counted and skipped, never fatal."""
