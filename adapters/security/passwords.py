"""argon2id password hashing (argon2-cffi), run on worker threads because each hash costs real CPU."""

from __future__ import annotations

from anyio import CapacityLimiter, to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2PasswordHasher:
    def __init__(
        self, time_cost: int = 2, memory_cost_kib: int = 19_456, parallelism: int = 1, concurrent_hashes: int = 4
    ) -> None:
        # Each hash holds `memory_cost_kib` while it runs: a bounded number at once keeps a burst of
        # registrations or logins from taking the process's memory (and, past that, more threads
        # than cores only queue for the CPU anyway).
        self._limiter = CapacityLimiter(concurrent_hashes)
        # The defaults follow OWASP's argon2id floor (19 MiB, 2 passes), which costs ~20 ms here.
        self._argon = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=parallelism, type=Type.ID
        )
        self._decoy = self._argon.hash("decoy password that matches nobody")

    async def hash(self, password: str) -> str:
        return await to_thread.run_sync(self._argon.hash, password, limiter=self._limiter)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await to_thread.run_sync(self._verify, password_hash, password, limiter=self._limiter)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._argon.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    async def burn(self, password: str) -> None:
        await self.verify(self._decoy, password)
