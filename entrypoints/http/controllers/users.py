"""The caller's profile and preferences, account deletion, and user lookup by id."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, delete, get, patch, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.ports.read_models import UserView
from application.users.commands import ChangePreferences, ChangeProfile, DeleteUser
from application.users.queries import GetUser
from application.users.results import Changed
from domain.users.errors import UserNotFound
from entrypoints.http.auth import current_user
from entrypoints.http.controllers.auth import READ_YOUR_WRITES_SECONDS
from entrypoints.http.schemas import PreferencesBody, ProfilePatch, ProfileResponse
from entrypoints.http.services import Api


def _profile(user: UserView) -> ProfileResponse:
    return ProfileResponse(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


def _preferences(user: UserView) -> PreferencesBody:
    return PreferencesBody(
        base_currency=user.base_currency,
        default_interval=user.default_interval,
        timezone=user.timezone,
        theme=user.theme,
    )


class UsersController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @get("/me", summary="The caller's profile")
    async def me(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[Api],
    ) -> ProfileResponse:
        return _profile(await current_user(request, api))

    @patch("/me", summary="Change display name or email")
    async def change_me(
        self,
        data: JSONBody[ProfilePatch],
        request: Request[Any, Any, Any],
        api: NamedDependency[Api],
    ) -> ProfileResponse:
        user = await current_user(request, api)
        changed: Changed = await api.commands.handle(
            ChangeProfile(user_id=user.id, email=data.email, display_name=data.display_name)
        )
        await api.projections.wait_for(changed.notification_id, READ_YOUR_WRITES_SECONDS, names=["users"])
        return _profile(await current_user(request, api))

    @delete("/me", status_code=204, summary="Delete the account and erase its personal data")
    async def delete_me(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[Api],
    ) -> None:
        user = await current_user(request, api)
        changed: Changed = await api.commands.handle(DeleteUser(user_id=user.id))
        await api.projections.wait_for(changed.notification_id, READ_YOUR_WRITES_SECONDS, names=["users"])

    @get("/me/preferences", summary="The caller's preferences")
    async def preferences(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[Api],
    ) -> PreferencesBody:
        return _preferences(await current_user(request, api))

    @put("/me/preferences", summary="Replace the caller's preferences")
    async def set_preferences(
        self,
        data: JSONBody[PreferencesBody],
        request: Request[Any, Any, Any],
        api: NamedDependency[Api],
    ) -> PreferencesBody:
        user = await current_user(request, api)
        changed: Changed = await api.commands.handle(
            ChangePreferences(
                user_id=user.id,
                base_currency=data.base_currency,
                default_interval=data.default_interval,
                timezone=data.timezone,
                theme=data.theme,
            )
        )
        await api.projections.wait_for(changed.notification_id, READ_YOUR_WRITES_SECONDS, names=["users"])
        return _preferences(await current_user(request, api))

    @get("/{user_id:str}", summary="A user's profile: the user themself or an admin")
    async def by_id(
        self,
        user_id: FromPath[str],
        request: Request[Any, Any, Any],
        api: NamedDependency[Api],
    ) -> ProfileResponse:
        caller = await current_user(request, api)
        try:
            wanted = uuid.UUID(user_id)
        except ValueError:
            raise UserNotFound() from None
        # Anyone else gets the same 404 as for a missing user: ids of others are not confirmed.
        if wanted != caller.id and caller.role != "admin":
            raise UserNotFound()
        user: UserView | None = caller if wanted == caller.id else await api.queries.ask(GetUser(wanted))
        if user is None:
            raise UserNotFound()
        return _profile(user)
