from __future__ import annotations

import pytest

from adapters.security.passwords import Argon2PasswordHasher


@pytest.fixture(scope="module")
def cheap() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(time_cost=1, memory_cost_kib=1024)


async def test_a_hash_verifies_its_own_password(cheap: Argon2PasswordHasher) -> None:
    password_hash = await cheap.hash("violet-orbit-lantern-42")
    assert password_hash.startswith("$argon2id$")
    assert await cheap.verify(password_hash, "violet-orbit-lantern-42")


async def test_a_hash_does_not_verify_another_password(cheap: Argon2PasswordHasher) -> None:
    password_hash = await cheap.hash("violet-orbit-lantern-42")
    assert not await cheap.verify(password_hash, "violet-orbit-lantern-43")


async def test_the_same_password_hashes_differently_each_time(cheap: Argon2PasswordHasher) -> None:
    assert await cheap.hash("violet-orbit-lantern-42") != await cheap.hash("violet-orbit-lantern-42")


async def test_a_garbage_hash_verifies_nothing_and_needs_a_rehash(cheap: Argon2PasswordHasher) -> None:
    assert not await cheap.verify("not-an-argon2-hash", "violet-orbit-lantern-42")
    assert cheap.needs_rehash("not-an-argon2-hash")


async def test_a_hash_made_with_the_current_parameters_needs_no_rehash(cheap: Argon2PasswordHasher) -> None:
    assert not cheap.needs_rehash(await cheap.hash("violet-orbit-lantern-42"))


@pytest.mark.parametrize(("time_cost", "memory_cost_kib"), [(2, 1024), (1, 2048)])
async def test_a_hash_made_with_other_parameters_needs_a_rehash(
    cheap: Argon2PasswordHasher, time_cost: int, memory_cost_kib: int
) -> None:
    upgraded = Argon2PasswordHasher(time_cost=time_cost, memory_cost_kib=memory_cost_kib)
    old_hash = await cheap.hash("violet-orbit-lantern-42")
    assert upgraded.needs_rehash(old_hash)
    assert await upgraded.verify(old_hash, "violet-orbit-lantern-42")
    assert not upgraded.needs_rehash(await upgraded.hash("violet-orbit-lantern-42"))


async def test_burning_a_password_spends_one_full_verification(
    cheap: Argon2PasswordHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[tuple[str, str]] = []
    real_verify = cheap._verify

    def counting_verify(password_hash: str, password: str) -> bool:
        verified.append((password_hash, password))
        return real_verify(password_hash, password)

    monkeypatch.setattr(cheap, "_verify", counting_verify)
    await cheap.burn("violet-orbit-lantern-42")

    # An unknown email costs what a wrong password costs: one argon2 verification, which fails.
    assert len(verified) == 1
    decoy_hash, password = verified[0]
    assert password == "violet-orbit-lantern-42"
    assert decoy_hash.startswith("$argon2id$")
    assert not real_verify(decoy_hash, password)
