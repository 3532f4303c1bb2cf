"""Commands of the market context."""

from __future__ import annotations

from uuid import UUID

import msgspec


class ListInstrument(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    name: str
    admin_id: UUID
