"""Binds each command and query to its handler and the collaborators it needs."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from application.market import handlers as market_handlers
from application.market.catalog import Catalog
from application.market.commands import ListInstrument
from application.messagebus import CommandGuard, CommandHandler, QueryHandler
from application.ports.clock import Clock
from application.ports.read_models import UserReadModel
from application.users import handlers
from application.users.commands import (
    ChangePreferences,
    ChangeProfile,
    DeleteUser,
    LogIn,
    LogOut,
    RefreshSession,
    RegisterUser,
)
from application.users.queries import GetUser, get_user
from application.users.services import UserServices


def command_handlers(services: UserServices) -> Mapping[type, CommandHandler]:
    return {
        RegisterUser: partial(handlers.register_user, services=services),
        LogIn: partial(handlers.log_in, services=services),
        RefreshSession: partial(handlers.refresh_session, services=services),
        LogOut: partial(handlers.log_out, services=services),
        ChangeProfile: partial(handlers.change_profile, services=services),
        ChangePreferences: partial(handlers.change_preferences, services=services),
        DeleteUser: partial(handlers.delete_user, services=services),
    }


def market_command_handlers(catalog: Catalog, clock: Clock) -> Mapping[type, CommandHandler]:
    return {ListInstrument: partial(market_handlers.list_instrument, catalog=catalog, clock=clock)}


def all_command_handlers(users: UserServices, catalog: Catalog, clock: Clock) -> Mapping[type, CommandHandler]:
    return {**command_handlers(users), **market_command_handlers(catalog, clock)}


def command_guards(services: UserServices) -> Mapping[type, CommandGuard]:
    return {LogIn: partial(handlers.limit_login_attempts, services=services)}


def query_handlers(users: UserReadModel) -> Mapping[type, QueryHandler]:
    return {GetUser: partial(get_user, users=users)}
