"""Latest prices in Redis: one hash per symbol, replaced only by a newer price (checked in Redis itself).

The compare-and-set runs as a Lua script, so two candle workers racing on one symbol (during a
partition hand-over) cannot let an older price overwrite a newer one.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from redis.asyncio import Redis

from domain.market.values import Price

_SET_IF_NEWER = """
for i = 1, #KEYS do
  local base = (i - 1) * 3
  local time = tonumber(ARGV[base + 2])
  local current = tonumber(redis.call('HGET', KEYS[i], 'time'))
  if current == nil or time >= current then
    redis.call('HSET', KEYS[i], 'price', ARGV[base + 1], 'time', ARGV[base + 2], 'source', ARGV[base + 3])
  end
end
return #KEYS
"""


class RedisPriceStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = redis.register_script(_SET_IF_NEWER)

    async def update(self, prices: Sequence[Price]) -> None:
        if not prices:
            return
        keys = [f"{self._prefix}{price.symbol}" for price in prices]
        args: list[str | int] = []
        for price in prices:
            args += [str(price.price), price.time, price.source]
        await self._script(keys=keys, args=args)

    async def get(self, symbols: Sequence[str]) -> dict[str, Price]:
        if not symbols:
            return {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for symbol in symbols:
                pipe.hgetall(f"{self._prefix}{symbol}")
            rows = await pipe.execute()
        found = {}
        for symbol, row in zip(symbols, rows, strict=True):
            if row:
                found[symbol] = Price(
                    symbol=symbol,
                    price=Decimal(row[b"price"].decode()),
                    time=int(row[b"time"]),
                    source=row[b"source"].decode(),
                )
        return found
