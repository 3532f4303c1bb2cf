from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.shared.errors import Conflict, DomainError
from domain.users.errors import InvalidRefreshToken
from domain.users.events import (
    LoginFailed,
    LoginSucceeded,
    PasswordRehashed,
    PreferencesChanged,
    ProfileChanged,
    SessionRefreshed,
    SessionRevoked,
    UserDeleted,
    UserRegistered,
)
from domain.users.model import Role, Rotation, User
from domain.users.preferences import Preferences

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=5)
EXPIRES = T0 + timedelta(days=7)


def _user() -> User:
    user = User.register(
        uuid4(), email="ann@example.com", display_name="Ann", password_hash="hash-1", role=Role.USER, at=T0
    )
    user.collect_events()
    return user


def _user_with_session(token_hash: str = "h1") -> tuple[User, UUID]:
    user = _user()
    family = uuid4()
    user.start_session(family, token_hash=token_hash, expires_at=EXPIRES, at=T0)
    user.collect_events()
    return user, family


def _new_events(user: User) -> list[type]:
    return [type(event) for event in user.collect_events()]


class TestRegistration:
    def test_registering_records_the_account(self) -> None:
        user_id = uuid4()
        user = User.register(
            user_id, email="ann@example.com", display_name="Ann", password_hash="h", role=Role.ADMIN, at=T0
        )
        [event] = user.pending_events
        assert isinstance(event, UserRegistered)
        assert (event.stream_id, event.version, event.email, event.role) == (user_id, 1, "ann@example.com", "admin")
        assert (user.email, user.display_name, user.role, user.registered_at) == (
            "ann@example.com",
            "Ann",
            Role.ADMIN,
            T0,
        )

    def test_a_user_that_was_never_registered_accepts_no_command(self) -> None:
        with pytest.raises(DomainError, match="not been registered"):
            User(uuid4()).change_profile(display_name="Bob", at=T0)

    def test_replay_rebuilds_the_user_from_its_events(self) -> None:
        user = User.register(
            uuid4(), email="ann@example.com", display_name="Ann", password_hash="h", role=Role.ADMIN, at=T0
        )
        user.change_profile(email="ann@example.org", display_name="Ann B.", at=LATER)
        user.record_login(succeeded=True, client_address="203.0.113.7", at=LATER)
        user.set_preferences(Preferences(base_currency="EUR"), at=LATER)

        rebuilt = User.replay(user.id, user.collect_events())

        assert (rebuilt.email, rebuilt.display_name, rebuilt.role) == ("ann@example.org", "Ann B.", Role.ADMIN)
        assert (rebuilt.last_login_at, rebuilt.preferences.base_currency) == (LATER, "EUR")
        assert (rebuilt.version, rebuilt.pending_events) == (4, [])


class TestProfile:
    def test_changes_only_the_fields_that_differ(self) -> None:
        user = _user()
        user.change_profile(email="ann@example.com", display_name="Ann B.", at=LATER)
        [event] = user.collect_events()
        assert isinstance(event, ProfileChanged)
        assert (event.email, event.display_name) == (None, "Ann B.")
        assert (user.email, user.display_name) == ("ann@example.com", "Ann B.")

    def test_an_unchanged_profile_records_nothing(self) -> None:
        user = _user()
        user.change_profile(email="ann@example.com", display_name="Ann", at=LATER)
        user.change_profile(at=LATER)
        assert user.pending_events == []
        assert user.version == 1

    def test_a_new_email_is_recorded(self) -> None:
        user = _user()
        user.change_profile(email="ann@example.org", at=LATER)
        assert user.email == "ann@example.org"
        assert _new_events(user) == [ProfileChanged]


class TestLoginsAndPasswords:
    def test_a_successful_login_sets_the_last_login(self) -> None:
        user = _user()
        user.record_login(succeeded=True, client_address="203.0.113.7", at=LATER)
        [event] = user.collect_events()
        assert isinstance(event, LoginSucceeded)
        assert event.client_address == "203.0.113.7"
        assert user.last_login_at == LATER

    def test_a_failed_login_is_recorded_but_is_no_login(self) -> None:
        user = _user()
        user.record_login(succeeded=False, client_address="198.51.100.1", at=LATER)
        [event] = user.collect_events()
        assert isinstance(event, LoginFailed)
        assert event.client_address == "198.51.100.1"
        assert user.last_login_at is None

    def test_rehashing_replaces_the_password_hash(self) -> None:
        user = _user()
        user.rehash_password("hash-2", at=LATER)
        assert user.password_hash == "hash-2"
        assert _new_events(user) == [PasswordRehashed]


class TestSessions:
    def test_starting_a_session_keeps_only_the_token_hash(self) -> None:
        user, family = _user_with_session("h1")
        assert user.sessions[family].current_hash == "h1"
        assert user.sessions[family].expires_at == EXPIRES

    def test_rotating_the_live_token_replaces_it(self) -> None:
        user, family = _user_with_session("h1")
        outcome = user.rotate_refresh_token(family, presented_hash="h1", new_hash="h2", expires_at=EXPIRES, at=LATER)
        assert outcome is Rotation.ROTATED
        assert user.sessions[family].current_hash == "h2"
        assert _new_events(user) == [SessionRefreshed]

    def test_a_rotated_out_token_coming_back_revokes_the_family(self) -> None:
        user, family = _user_with_session("h1")
        user.rotate_refresh_token(family, presented_hash="h1", new_hash="h2", expires_at=EXPIRES, at=LATER)
        user.rotate_refresh_token(family, presented_hash="h2", new_hash="h3", expires_at=EXPIRES, at=LATER)
        user.collect_events()

        outcome = user.rotate_refresh_token(family, presented_hash="h1", new_hash="h4", expires_at=EXPIRES, at=LATER)

        assert outcome is Rotation.REUSE_DETECTED
        [event] = user.collect_events()
        assert isinstance(event, SessionRevoked)
        assert (event.family_id, event.reason) == (family, "refresh token reused")
        assert family not in user.sessions
        with pytest.raises(InvalidRefreshToken):
            user.rotate_refresh_token(family, presented_hash="h3", new_hash="h5", expires_at=EXPIRES, at=LATER)

    def test_reuse_revokes_only_the_family_it_belongs_to(self) -> None:
        user, family = _user_with_session("h1")
        other = uuid4()
        user.start_session(other, token_hash="o1", expires_at=EXPIRES, at=T0)
        user.rotate_refresh_token(family, presented_hash="h1", new_hash="h2", expires_at=EXPIRES, at=LATER)
        user.rotate_refresh_token(family, presented_hash="h1", new_hash="h3", expires_at=EXPIRES, at=LATER)
        assert list(user.sessions) == [other]

    def test_an_unknown_family_is_an_invalid_token(self) -> None:
        user, _ = _user_with_session("h1")
        with pytest.raises(InvalidRefreshToken):
            user.rotate_refresh_token(uuid4(), presented_hash="h1", new_hash="h2", expires_at=EXPIRES, at=LATER)
        assert user.pending_events == []

    def test_a_hash_the_family_never_issued_is_an_invalid_token(self) -> None:
        user, family = _user_with_session("h1")
        with pytest.raises(InvalidRefreshToken):
            user.rotate_refresh_token(family, presented_hash="forged", new_hash="h2", expires_at=EXPIRES, at=LATER)
        assert family in user.sessions
        assert user.pending_events == []

    def test_an_expired_token_is_an_invalid_token(self) -> None:
        user, family = _user_with_session("h1")
        with pytest.raises(InvalidRefreshToken):
            user.rotate_refresh_token(family, presented_hash="h1", new_hash="h2", expires_at=EXPIRES, at=EXPIRES)
        assert user.pending_events == []

    def test_revoking_a_session_ends_the_family(self) -> None:
        user, family = _user_with_session("h1")
        user.revoke_session(family, presented_hash="h1", reason="logout", at=LATER)
        [event] = user.collect_events()
        assert isinstance(event, SessionRevoked)
        assert event.reason == "logout"
        assert user.sessions == {}

    def test_revoking_needs_a_token_of_that_family(self) -> None:
        user, family = _user_with_session("h1")
        with pytest.raises(InvalidRefreshToken):
            user.revoke_session(family, presented_hash="forged", reason="logout", at=LATER)
        with pytest.raises(InvalidRefreshToken):
            user.revoke_session(uuid4(), presented_hash="h1", reason="logout", at=LATER)
        assert family in user.sessions

    def test_sessions_survive_replay(self) -> None:
        user = User.register(
            uuid4(), email="ann@example.com", display_name="Ann", password_hash="h", role=Role.USER, at=T0
        )
        family = uuid4()
        user.start_session(family, token_hash="h1", expires_at=EXPIRES, at=T0)
        user.rotate_refresh_token(family, presented_hash="h1", new_hash="h2", expires_at=EXPIRES, at=LATER)
        rebuilt = User.replay(user.id, user.collect_events())
        assert rebuilt.sessions[family].current_hash == "h2"
        assert rebuilt.sessions[family].used_hashes == {"h1"}


class TestPreferences:
    def test_new_preferences_are_recorded(self) -> None:
        user = _user()
        preferences = Preferences(base_currency="EUR", default_interval="4h", timezone="Europe/Berlin", theme="dark")
        user.set_preferences(preferences, at=LATER)
        assert user.preferences == preferences
        assert _new_events(user) == [PreferencesChanged]

    def test_unchanged_preferences_record_nothing(self) -> None:
        user = _user()
        user.set_preferences(Preferences(), at=LATER)
        assert user.pending_events == []


class TestDeletion:
    def test_deleting_revokes_every_session_then_records_the_deletion(self) -> None:
        user, first = _user_with_session("h1")
        second = uuid4()
        user.start_session(second, token_hash="o1", expires_at=EXPIRES, at=T0)
        user.collect_events()

        user.delete(at=LATER)

        events = user.collect_events()
        assert [type(e) for e in events] == [SessionRevoked, SessionRevoked, UserDeleted]
        assert {e.family_id for e in events[:2]} == {first, second}
        assert {e.reason for e in events[:2]} == {"account deleted"}
        assert user.deleted
        assert user.sessions == {}

    @pytest.mark.parametrize(
        "command",
        [
            lambda u: u.change_profile(display_name="Zed", at=LATER),
            lambda u: u.record_login(succeeded=True, client_address="203.0.113.7", at=LATER),
            lambda u: u.rehash_password("h", at=LATER),
            lambda u: u.start_session(uuid4(), token_hash="x", expires_at=EXPIRES, at=LATER),
            lambda u: u.set_preferences(Preferences(theme="dark"), at=LATER),
            lambda u: u.delete(at=LATER),
        ],
        ids=["change_profile", "record_login", "rehash_password", "start_session", "set_preferences", "delete"],
    )
    def test_a_deleted_user_refuses_further_commands(self, command: Callable[[User], None]) -> None:
        user = _user()
        user.delete(at=LATER)
        user.collect_events()
        with pytest.raises(Conflict):
            command(user)
        assert user.pending_events == []

    def test_a_deleted_users_tokens_are_invalid(self) -> None:
        user, family = _user_with_session("h1")
        user.delete(at=LATER)
        user.collect_events()
        with pytest.raises(InvalidRefreshToken):
            user.rotate_refresh_token(family, presented_hash="h1", new_hash="h2", expires_at=EXPIRES, at=LATER)
        with pytest.raises(InvalidRefreshToken):
            user.revoke_session(family, presented_hash="h1", reason="logout", at=LATER)

    def test_deletion_survives_replay(self) -> None:
        user = User.register(
            uuid4(), email="ann@example.com", display_name="Ann", password_hash="h", role=Role.USER, at=T0
        )
        user.delete(at=LATER)
        rebuilt = User.replay(user.id, user.collect_events())
        assert rebuilt.deleted
        with pytest.raises(Conflict):
            rebuilt.change_profile(display_name="Zed", at=LATER)
