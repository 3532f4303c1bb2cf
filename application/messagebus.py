"""Command and query buses: one handler per message type, commands in a fresh unit of work each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from application.ports.event_store import EventStore
from application.unit_of_work import UnitOfWork
from domain.shared.errors import ConcurrencyConflict

CommandHandler = Callable[[Any, UnitOfWork], Awaitable[Any]]
CommandGuard = Callable[[Any], Awaitable[None]]
QueryHandler = Callable[[Any], Awaitable[Any]]


class CommandBus:
    """Runs a command's handler in its own unit of work, then tells listeners what was committed.

    A guard (rate limits, say) runs once before the handler's first attempt and may refuse the command.
    """

    def __init__(
        self,
        store: EventStore,
        handlers: Mapping[type, CommandHandler],
        on_committed: Callable[[int], None] | None = None,
        attempts: int = 3,
        guards: Mapping[type, CommandGuard] | None = None,
    ) -> None:
        self._attempts = attempts
        self._guards = dict(guards or {})
        self._store = store
        self._handlers = dict(handlers)
        self._on_committed = on_committed

    async def handle(self, command: object) -> Any:
        """Run the command's handler; on a concurrency conflict, reload everything and run it again.

        A conflict means another request changed one of the streams between our load and our append
        (two logins of one user, say). Nothing of ours was stored, so running the whole handler again
        on fresh state is safe; only a conflict that persists reaches the caller (409).
        """
        handler = self._handlers.get(type(command))
        if handler is None:
            raise LookupError(f"no handler for command {type(command).__name__}")
        guard = self._guards.get(type(command))
        if guard is not None:
            await guard(command)
        for attempt in range(1, self._attempts + 1):
            uow = UnitOfWork(self._store)
            try:
                return await handler(command, uow)
            except ConcurrencyConflict:
                if attempt == self._attempts:
                    raise
            finally:
                # Also after a handler that committed and then raised (a failed login is recorded).
                if uow.last_notification_id and self._on_committed:
                    self._on_committed(uow.last_notification_id)
        raise AssertionError("unreachable: the last attempt returns or raises")


class QueryBus:
    """Answers queries from read models only; never loads aggregates."""

    def __init__(self, handlers: Mapping[type, QueryHandler]) -> None:
        self._handlers = dict(handlers)

    async def ask(self, query: object) -> Any:
        handler = self._handlers.get(type(query))
        if handler is None:
            raise LookupError(f"no handler for query {type(query).__name__}")
        return await handler(query)
