"""Errors the domain and use cases raise; the HTTP layer maps each family to a status code."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec


class DomainError(Exception):
    """Base of every error a user can cause; never a bug."""

    title = "Domain rule violated"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class InvalidInput(DomainError):
    """Input that breaks a rule (HTTP 422), with one entry per offending field."""

    title = "Invalid input"

    def __init__(self, errors: Sequence[FieldError], detail: str = "The request has invalid fields.") -> None:
        super().__init__(detail)
        self.errors = list(errors)

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls([FieldError(field, message)], detail=f"{field}: {message}")


class NotFound(DomainError):
    """The thing asked for does not exist, or the caller may not know it exists (HTTP 404)."""

    title = "Not found"


class Conflict(DomainError):
    """The request clashes with the current state (HTTP 409)."""

    title = "Conflict"


class ConcurrencyConflict(Conflict):
    """Another writer appended to the stream first: the expected version is stale."""

    title = "Concurrent modification"


class Unauthorized(DomainError):
    """Credentials are missing, wrong, expired or revoked (HTTP 401)."""

    title = "Unauthorized"


class Forbidden(DomainError):
    """The caller is known but may not do this (HTTP 403)."""

    title = "Forbidden"


class TooManyRequests(DomainError):
    """A rate limit was hit (HTTP 429); `retry_after` is in whole seconds."""

    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
