"""Acceptance features of the users context: every scenario under features/users."""

from pytest_bdd import scenarios

scenarios("users")
