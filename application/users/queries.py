"""Queries of the users context and their handlers, which read the users view only."""

from __future__ import annotations

from uuid import UUID

import msgspec

from application.ports.read_models import UserReadModel, UserView


class GetUser(msgspec.Struct, frozen=True):
    user_id: UUID


async def get_user(query: GetUser, users: UserReadModel) -> UserView | None:
    return await users.get(query.user_id)
