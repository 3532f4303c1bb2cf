"""Command handlers of the market context."""

from __future__ import annotations

import msgspec

from application.market.catalog import Catalog
from application.market.commands import ListInstrument
from application.ports.clock import Clock
from application.unit_of_work import UnitOfWork
from domain.market.instruments import Instrument
from domain.market.listing import Listing, listing_id


class Listed(msgspec.Struct, frozen=True):
    symbol: str
    notification_id: int


async def list_instrument(cmd: ListInstrument, uow: UnitOfWork, catalog: Catalog, clock: Clock) -> Listed:
    instrument = Instrument.parse(cmd.symbol)
    listing = await uow.get_or_new(Listing, listing_id(instrument))
    listing.list(instrument, cmd.name, reference=catalog.reference, by=cmd.admin_id, at=clock.now())
    notification_id = await uow.commit()
    catalog.forget()
    return Listed(instrument.symbol, notification_id)
