"""EmailClaim: one stream per email fingerprint, so that the event store itself enforces uniqueness.

Two registrations of one address race to append version N+1 of the same claim stream; the store's
optimistic concurrency lets exactly one win. The stream id is a keyed fingerprint of the address,
never the address itself, so nothing readable is left when the claim is released.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.shared.aggregate import Aggregate
from domain.shared.events import DomainEvent
from domain.users.errors import EmailAlreadyRegistered
from domain.users.events import EmailClaimed, EmailReleased


class EmailClaim(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self._init_state()

    def _init_state(self) -> None:
        self.holder: UUID | None = None

    def claim(self, user_id: UUID, *, at: datetime) -> None:
        if self.holder == user_id:
            return
        if self.holder is not None:
            raise EmailAlreadyRegistered("An account with this email already exists.")
        self._trigger(EmailClaimed, occurred_at=at, user_id=user_id)

    def release(self, user_id: UUID, *, at: datetime) -> None:
        if self.holder == user_id:
            self._trigger(EmailReleased, occurred_at=at, user_id=user_id)

    def apply(self, event: DomainEvent) -> None:
        match event:
            case EmailClaimed():
                self.holder = event.user_id
            case EmailReleased():
                self.holder = None
            case _:
                raise TypeError(f"EmailClaim cannot apply {type(event).__name__}")
