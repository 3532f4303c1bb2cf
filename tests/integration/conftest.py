"""Fixtures shared by the integration contract suites."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def master_key() -> bytes:
    return os.urandom(32)
