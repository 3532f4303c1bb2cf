"""An instrument's listing: one stream per symbol, so the event store itself refuses a second listing.

The reference instruments are known from the start and are never listed; listing is for the ones an
admin adds on top.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID

from domain.market.events import InstrumentListed
from domain.market.instruments import Instrument
from domain.shared.aggregate import Aggregate
from domain.shared.errors import Conflict, FieldError, InvalidInput
from domain.shared.events import DomainEvent

_NAMESPACE = uuid.UUID("5b0c2a9e-8f1e-4c55-9a53-4f1d8c3e7a10")


class InstrumentAlreadyListed(Conflict):
    title = "Instrument already listed"


def listing_id(instrument: Instrument) -> UUID:
    return uuid.uuid5(_NAMESPACE, instrument.symbol)


class Listing(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self._init_state()

    def _init_state(self) -> None:
        self.instrument: Instrument | None = None

    def list(
        self, instrument: Instrument, base_name: str, *, reference: tuple[Instrument, ...], by: UUID, at: datetime
    ) -> None:
        if self.instrument is not None or instrument in reference:
            raise InstrumentAlreadyListed(f"{instrument.symbol} is already listed.")
        name = base_name.strip()
        if not 1 <= len(name) <= 60:
            raise InvalidInput([FieldError("name", "must be 1 to 60 characters")])
        self._trigger(
            InstrumentListed,
            occurred_at=at,
            symbol=instrument.symbol,
            base=instrument.base,
            quote=instrument.quote,
            base_name=name,
            listed_by=by,
        )

    def apply(self, event: DomainEvent) -> None:
        match event:
            case InstrumentListed():
                self.instrument = Instrument(event.base, event.quote)
            case _:
                raise TypeError(f"Listing cannot apply {type(event).__name__}")
