"""argon2id password hashing (argon2-cffi), run on worker threads because each hash costs real CPU."""

from __future__ import annotations

from anyio import to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2PasswordHasher:
    def __init__(self, time_cost: int = 2, memory_cost_kib: int = 19_456, parallelism: int = 1) -> None:
        # The defaults follow OWASP's argon2id floor (19 MiB, 2 passes), which costs ~20 ms here.
        self._argon = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=parallelism, type=Type.ID
        )
        self._decoy = self._argon.hash("decoy password that matches nobody")

    async def hash(self, password: str) -> str:
        return await to_thread.run_sync(self._argon.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await to_thread.run_sync(self._verify, password_hash, password)

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
