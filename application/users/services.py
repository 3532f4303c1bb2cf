"""The collaborators the users use cases need, bundled so bootstrap can bind them once."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports.clock import Clock
from application.ports.personal_data import KeyVault
from application.ports.rate_limit import RateLimiter
from application.ports.security import EmailFingerprints, PasswordHasher, TokenService
from application.ports.sessions import SessionRevocations


@dataclass(frozen=True)
class LoginLimits:
    attempts: int = 5
    window_seconds: int = 60


@dataclass(frozen=True)
class UserServices:
    hasher: PasswordHasher
    tokens: TokenService
    fingerprints: EmailFingerprints
    vault: KeyVault
    limiter: RateLimiter
    clock: Clock
    revocations: SessionRevocations
    login_limits: LoginLimits = LoginLimits()
