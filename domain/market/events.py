"""Events of the market context. Topics are stored names: never rename one, add a new version instead."""

from __future__ import annotations

from uuid import UUID

from domain.shared.events import DomainEvent, EventRegistry


class InstrumentListed(DomainEvent, frozen=True, kw_only=True):
    """An admin added an instrument for the feeds to follow."""

    TOPIC = "market.InstrumentListed.v1"
    symbol: str
    base: str
    quote: str
    base_name: str
    listed_by: UUID


MARKET_EVENTS = EventRegistry([InstrumentListed])
