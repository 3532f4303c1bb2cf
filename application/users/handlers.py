"""Command handlers of the users context: plain functions over a unit of work and the user services."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from application.unit_of_work import UnitOfWork
from application.users.commands import (
    ChangePreferences,
    ChangeProfile,
    DeleteUser,
    LogIn,
    LogOut,
    RefreshSession,
    RegisterUser,
)
from application.users.results import Changed, Registered, TokenPair
from application.users.services import UserServices
from domain.shared.errors import ConcurrencyConflict, InvalidInput, TooManyRequests
from domain.users.credentials import display_name_problem, email_problem, normalize_email, password_problem
from domain.users.email_claim import EmailClaim
from domain.users.errors import InvalidCredentials, InvalidRefreshToken, RefreshTokenReused, UserNotFound
from domain.users.model import Role, Rotation, User
from domain.users.preferences import Preferences


async def register_user(cmd: RegisterUser, uow: UnitOfWork, services: UserServices) -> Registered:
    problems = [
        problem
        for problem in (
            email_problem(cmd.email),
            password_problem(cmd.password, cmd.email),
            display_name_problem(cmd.display_name),
        )
        if problem
    ]
    if problems:
        raise InvalidInput(problems)
    email = normalize_email(cmd.email)
    now = services.clock.now()
    user_id = uuid.uuid4()
    claim = await uow.get_or_new(EmailClaim, services.fingerprints.stream_id(email))
    claim.claim(user_id, at=now)
    password_hash = await services.hasher.hash(cmd.password)
    user = User.register(
        user_id,
        email=email,
        display_name=cmd.display_name.strip(),
        password_hash=password_hash,
        role=Role(cmd.role),
        at=now,
    )
    uow.add(user)
    await services.vault.create_key(user_id)
    try:
        notification_id = await uow.commit()
    except ConcurrencyConflict:
        # Surely not recorded (the email was claimed meanwhile): drop the unused key. Any other
        # failure may have happened after the commit, and shredding then would erase a live account.
        await services.vault.shred(user_id)
        raise
    return Registered(
        user_id=user_id,
        email=email,
        display_name=user.display_name,
        role=user.role.value,
        created_at=now,
        version=user.version,
        notification_id=notification_id,
    )


async def limit_login_attempts(cmd: LogIn, services: UserServices) -> None:
    """Count the attempt per client address and per email; refuse it past the limit.

    A guard, run once per command: retrying the login after a write conflict is not another attempt.
    """
    email_stream = services.fingerprints.stream_id(normalize_email(cmd.email))
    limits = services.login_limits
    # Counted by fingerprint, not address: the limiter's store (Redis) never holds a readable email.
    retry_after = max(
        [
            await services.limiter.hit(key, limit=limits.attempts, window_seconds=limits.window_seconds)
            for key in (f"login:address:{cmd.client_address}", f"login:email:{email_stream}")
        ]
    )
    if retry_after:
        raise TooManyRequests("Too many login attempts; try again later.", retry_after=retry_after)


async def log_in(cmd: LogIn, uow: UnitOfWork, services: UserServices) -> TokenPair:
    claim = await uow.get(EmailClaim, services.fingerprints.stream_id(normalize_email(cmd.email)))
    user = await uow.get(User, claim.holder) if claim and claim.holder else None
    if user is None or user.deleted:
        await services.hasher.burn(cmd.password)
        raise InvalidCredentials()

    now = services.clock.now()
    if not await services.hasher.verify(user.password_hash, cmd.password):
        user.record_login(succeeded=False, client_address=cmd.client_address, at=now)
        await uow.commit()
        raise InvalidCredentials()

    if services.hasher.needs_rehash(user.password_hash):
        user.rehash_password(await services.hasher.hash(cmd.password), at=now)
    user.record_login(succeeded=True, client_address=cmd.client_address, at=now)
    family_id = uuid.uuid4()
    refresh = services.tokens.new_refresh_token(user.id, family_id)
    user.start_session(family_id, token_hash=refresh.token_hash, expires_at=_refresh_expiry(services), at=now)
    notification_id = await uow.commit()
    access = services.tokens.issue_access(user.id, user.role.value, family_id)
    return TokenPair(
        access_token=access.token,
        refresh_token=refresh.token,
        expires_in=access.expires_in,
        notification_id=notification_id,
    )


async def refresh_session(cmd: RefreshSession, uow: UnitOfWork, services: UserServices) -> TokenPair:
    presented = services.tokens.read_refresh_token(cmd.refresh_token)
    user = await _existing_user(uow, presented.user_id)
    replacement = services.tokens.new_refresh_token(user.id, presented.family_id)
    outcome = user.rotate_refresh_token(
        presented.family_id,
        presented_hash=presented.token_hash,
        new_hash=replacement.token_hash,
        expires_at=_refresh_expiry(services),
        at=services.clock.now(),
    )
    notification_id = await uow.commit()
    if outcome is Rotation.REUSE_DETECTED:
        await services.revocations.revoke([presented.family_id])
        raise RefreshTokenReused()
    access = services.tokens.issue_access(user.id, user.role.value, presented.family_id)
    return TokenPair(
        access_token=access.token,
        refresh_token=replacement.token,
        expires_in=access.expires_in,
        notification_id=notification_id,
    )


async def log_out(cmd: LogOut, uow: UnitOfWork, services: UserServices) -> Changed:
    presented = services.tokens.read_refresh_token(cmd.refresh_token)
    user = await _existing_user(uow, presented.user_id)
    user.revoke_session(
        presented.family_id, presented_hash=presented.token_hash, reason="logout", at=services.clock.now()
    )
    changed = Changed(user_id=user.id, version=user.version, notification_id=await uow.commit())
    await services.revocations.revoke([presented.family_id])
    return changed


async def change_profile(cmd: ChangeProfile, uow: UnitOfWork, services: UserServices) -> Changed:
    problems = [
        problem
        for problem in (
            email_problem(cmd.email) if cmd.email is not None else None,
            display_name_problem(cmd.display_name) if cmd.display_name is not None else None,
        )
        if problem
    ]
    if problems:
        raise InvalidInput(problems)
    user = await _active_user(uow, cmd.user_id)
    now = services.clock.now()
    new_email = normalize_email(cmd.email) if cmd.email is not None else None
    if new_email is not None and new_email != user.email:
        new_claim = await uow.get_or_new(EmailClaim, services.fingerprints.stream_id(new_email))
        new_claim.claim(user.id, at=now)
        old_claim = await uow.get_or_new(EmailClaim, services.fingerprints.stream_id(user.email))
        old_claim.release(user.id, at=now)
    display_name = cmd.display_name.strip() if cmd.display_name is not None else None
    user.change_profile(email=new_email, display_name=display_name, at=now)
    return Changed(user_id=user.id, version=user.version, notification_id=await uow.commit())


async def change_preferences(cmd: ChangePreferences, uow: UnitOfWork, services: UserServices) -> Changed:
    preferences = Preferences.validated(cmd.base_currency, cmd.default_interval, cmd.timezone, cmd.theme)
    user = await _active_user(uow, cmd.user_id)
    user.set_preferences(preferences, at=services.clock.now())
    return Changed(user_id=user.id, version=user.version, notification_id=await uow.commit())


async def delete_user(cmd: DeleteUser, uow: UnitOfWork, services: UserServices) -> Changed:
    user = await _active_user(uow, cmd.user_id)
    now = services.clock.now()
    claim = await uow.get_or_new(EmailClaim, services.fingerprints.stream_id(user.email))
    claim.release(user.id, at=now)
    sessions = list(user.sessions)
    user.delete(at=now)
    notification_id = await uow.commit()
    await services.revocations.revoke(sessions)
    # Only after the deletion is recorded: shredding first could leave a live account unreadable.
    await services.vault.shred(user.id)
    return Changed(user_id=user.id, version=user.version, notification_id=notification_id)


async def _existing_user(uow: UnitOfWork, user_id: uuid.UUID) -> User:
    user = await uow.get(User, user_id)
    if user is None or user.deleted:
        raise InvalidRefreshToken()
    return user


async def _active_user(uow: UnitOfWork, user_id: uuid.UUID) -> User:
    user = await uow.get(User, user_id)
    if user is None or user.deleted:
        raise UserNotFound()
    return user


def _refresh_expiry(services: UserServices) -> datetime:
    return services.clock.now() + timedelta(seconds=services.tokens.refresh_lifetime_seconds)
