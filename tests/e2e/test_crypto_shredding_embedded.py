"""Deleting an account in the embedded mode leaves its personal data in no file of the data folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import TestClient

from bootstrap.app import build_app
from bootstrap.settings import Settings

from .helpers import eventually, signed_up, unique_email, unique_name

pytestmark = pytest.mark.e2e


def _files_mentioning(folder: Path, *needles: str) -> list[str]:
    """Every file under `folder` (databases, their write-ahead logs, anything) holding a needle's bytes."""
    encoded = [needle.encode() for needle in needles]
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and any(needle in path.read_bytes() for needle in encoded)
    )


def test_no_file_of_the_data_folder_holds_a_deleted_users_email_or_name(embedded_settings: Settings) -> None:
    folder = Path(embedded_settings.data_dir)
    with TestClient(app=build_app(embedded_settings)) as client:
        account = signed_up(client, unique_email("shred"), unique_name("Shredded"))
        # The scan does see the data while the account lives: the later "nowhere" is no blind spot.
        assert _files_mentioning(folder, account.email), "the live account's email should be on disk"

        assert client.delete("/api/v1/users/me", headers=account.headers).status_code == 204

        eventually(
            lambda: not _files_mentioning(folder, account.email, account.display_name) or None,
            within=10,
            what=f"no file mentioning the deleted user (now: {_files_mentioning(folder, account.email)})",
        )
        assert (
            client.post(
                "/api/v1/auth/register",
                json={"email": account.email, "password": "another long passphrase", "display_name": "Again"},
            ).status_code
            == 201
        )
