"""Command and query buses: one handler per message type, commands in a fresh unit of work each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from application.ports.event_store import EventStore
from application.unit_of_work import UnitOfWork

CommandHandler = Callable[[Any, UnitOfWork], Awaitable[Any]]
QueryHandler = Callable[[Any], Awaitable[Any]]


class CommandBus:
    """Runs a command's handler in its own unit of work, then tells listeners what was committed."""

    def __init__(
        self,
        store: EventStore,
        handlers: Mapping[type, CommandHandler],
        on_committed: Callable[[int], None] | None = None,
    ) -> None:
        self._store = store
        self._handlers = dict(handlers)
        self._on_committed = on_committed

    async def handle(self, command: object) -> Any:
        handler = self._handlers.get(type(command))
        if handler is None:
            raise LookupError(f"no handler for command {type(command).__name__}")
        uow = UnitOfWork(self._store)
        result = await handler(command, uow)
        if uow.last_notification_id and self._on_committed:
            self._on_committed(uow.last_notification_id)
        return result


class QueryBus:
    """Answers queries from read models only; never loads aggregates."""

    def __init__(self, handlers: Mapping[type, QueryHandler]) -> None:
        self._handlers = dict(handlers)

    async def ask(self, query: object) -> Any:
        handler = self._handlers.get(type(query))
        if handler is None:
            raise LookupError(f"no handler for query {type(query).__name__}")
        return await handler(query)
