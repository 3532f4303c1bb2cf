"""Errors specific to the users context."""

from domain.shared.errors import Conflict, NotFound, Unauthorized


class EmailAlreadyRegistered(Conflict):
    title = "Email already registered"


class InvalidCredentials(Unauthorized):
    """Wrong password and unknown email look the same, so accounts cannot be enumerated."""

    title = "Invalid credentials"

    def __init__(self) -> None:
        super().__init__("The email or password is wrong.")


class InvalidRefreshToken(Unauthorized):
    title = "Invalid refresh token"

    def __init__(self, detail: str = "The refresh token is invalid, expired or revoked.") -> None:
        super().__init__(detail)


class RefreshTokenReused(InvalidRefreshToken):
    """A rotated-out refresh token came back: someone holds a copy, so its family is revoked."""

    def __init__(self) -> None:
        super().__init__("The refresh token was already used; the session has been revoked.")


class UserNotFound(NotFound):
    title = "User not found"

    def __init__(self) -> None:
        super().__init__("No such user.")
