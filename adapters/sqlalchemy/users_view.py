"""The users view: one row per live account, removed when the account is deleted."""

from __future__ import annotations

from datetime import UTC
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.projection import SqlProjection
from adapters.sqlalchemy.tables import users_view
from application.ports.event_store import RecordedEvent
from application.ports.read_models import UserView
from domain.users.events import (
    LoginSucceeded,
    PreferencesChanged,
    ProfileChanged,
    UserDeleted,
    UserRegistered,
)
from domain.users.preferences import Preferences

_DEFAULTS = Preferences()


class UsersProjection(SqlProjection):
    name = "users"
    erasable_tables = ("users_view",)

    def _erases(self, recorded: RecordedEvent) -> bool:
        return isinstance(recorded.event, UserDeleted)

    async def _handle(self, conn: AsyncConnection, recorded: RecordedEvent) -> None:
        event = recorded.event
        row = users_view.c.id == event.stream_id
        match event:
            case UserRegistered():
                await conn.execute(sa.delete(users_view).where(row))
                await conn.execute(
                    sa.insert(users_view).values(
                        id=event.stream_id,
                        email=event.email,
                        display_name=event.display_name,
                        role=event.role,
                        created_at=event.occurred_at,
                        updated_at=event.occurred_at,
                        base_currency=_DEFAULTS.base_currency,
                        default_interval=_DEFAULTS.default_interval,
                        timezone=_DEFAULTS.timezone,
                        theme=_DEFAULTS.theme,
                    )
                )
            case ProfileChanged():
                changes: dict[str, object] = {"updated_at": event.occurred_at}
                if event.email is not None:
                    changes["email"] = event.email
                if event.display_name is not None:
                    changes["display_name"] = event.display_name
                await conn.execute(sa.update(users_view).where(row).values(**changes))
            case PreferencesChanged():
                await conn.execute(
                    sa.update(users_view)
                    .where(row)
                    .values(
                        base_currency=event.base_currency,
                        default_interval=event.default_interval,
                        timezone=event.timezone,
                        theme=event.theme,
                        updated_at=event.occurred_at,
                    )
                )
            case LoginSucceeded():
                await conn.execute(sa.update(users_view).where(row).values(last_login_at=event.occurred_at))
            case UserDeleted():
                await conn.execute(sa.delete(users_view).where(row))

    async def _clear(self, conn: AsyncConnection) -> None:
        await conn.execute(sa.delete(users_view))


class SqlUserReadModel:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._query = sa.select(
            users_view.c.id,
            users_view.c.email,
            users_view.c.display_name,
            users_view.c.role,
            users_view.c.created_at,
            users_view.c.updated_at,
            users_view.c.base_currency,
            users_view.c.default_interval,
            users_view.c.timezone,
            users_view.c.theme,
        )

    async def get(self, user_id: UUID) -> UserView | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(self._query.where(users_view.c.id == user_id))).mappings().first()
        if row is None:
            return None
        # SQLite keeps no zone; every stored time is UTC.
        values = dict(row)
        for key in ("created_at", "updated_at"):
            if values[key].tzinfo is None:
                values[key] = values[key].replace(tzinfo=UTC)
        return UserView(**values)
