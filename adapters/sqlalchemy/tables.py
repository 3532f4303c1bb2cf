"""Tables of the read side. Views are disposable: every one can be rebuilt from the event store."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

positions = sa.Table(
    "consumer_positions",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
)

users_view = sa.Table(
    "users_view",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_login_at", sa.DateTime(timezone=True)),
    sa.Column("base_currency", sa.String(8), nullable=False),
    sa.Column("default_interval", sa.String(4), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("theme", sa.String(8), nullable=False),
)

instruments_view = sa.Table(
    "instruments_view",
    metadata,
    sa.Column("symbol", sa.String(32), primary_key=True),
    sa.Column("base", sa.String(16), nullable=False),
    sa.Column("quote", sa.String(16), nullable=False),
    sa.Column("base_name", sa.String(60), nullable=False),
    sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False),
)
