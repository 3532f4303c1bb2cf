"""Tables of market data: candles and the positions of the consumers that write them.

Kept apart from the event-sourced views: candles are rebuilt from exchanges, not from the event
store, and in embedded mode they live in their own SQLite file so the busy candle writer never
contends with the users projection for SQLite's single write lock.
"""

from __future__ import annotations

import sqlalchemy as sa

market_metadata = sa.MetaData()

# Exact decimals: unconstrained NUMERIC in PostgreSQL keeps the digits given ("0.35270000" stays so,
# where NUMERIC(38, 18) would pad it); text in SQLite, whose NUMERIC affinity would round to a float.
Decimal = sa.Numeric(asdecimal=True).with_variant(sa.String(64), "sqlite")

candles = sa.Table(
    "candles",
    market_metadata,
    sa.Column("exchange", sa.String(32), primary_key=True),
    sa.Column("symbol", sa.String(32), primary_key=True),
    sa.Column("interval", sa.String(4), primary_key=True),
    sa.Column("open_time", sa.BigInteger, primary_key=True),
    sa.Column("open", Decimal, nullable=False),
    sa.Column("high", Decimal, nullable=False),
    sa.Column("low", Decimal, nullable=False),
    sa.Column("close", Decimal, nullable=False),
    sa.Column("volume", Decimal, nullable=False),
    sa.Column("trades", sa.BigInteger, nullable=False),
    sa.Column("final", sa.Boolean, nullable=False),
    sa.Column("sealed", sa.Boolean, nullable=False),
    sa.Column("last_trade_time", sa.BigInteger, nullable=False),
)

stream_positions = sa.Table(
    "stream_positions",
    market_metadata,
    sa.Column("consumer", sa.String(100), primary_key=True),
    sa.Column("source", sa.String(200), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
)
