"""The live hub: updates reach the clients subscribed to their symbol, within a bounded queue each."""

from __future__ import annotations

import asyncio

from adapters.memory.live_fanout import MemoryLiveFanout
from application.ports.market import LiveUpdate
from entrypoints.ws.hub import LiveHub, channel_key

from .fakes import wait_until


def prices(symbol: str) -> str:
    return channel_key("prices", symbol)


def update(symbol: str, n: int) -> LiveUpdate:
    return LiveUpdate(kind="price", symbol=symbol, payload=f'{{"symbol":"{symbol}","n":{n}}}'.encode())


async def started_hub(queue_size: int = 100, dropped: list[int] | None = None) -> tuple[LiveHub, MemoryLiveFanout]:
    fanout = MemoryLiveFanout()
    hub = LiveHub(fanout, queue_size, on_drop=(dropped.append if dropped is not None else lambda n: None))
    await hub.start()
    # The hub listens once its task has run: publish a probe until it is delivered.
    probe = hub.connect()
    hub.subscribe(probe, [prices("PROBE-USDT")])
    for _ in range(100):
        await fanout.publish([update("PROBE-USDT", 0)])
        await asyncio.sleep(0.005)
        if probe.queued:
            break
    hub.disconnect(probe)
    return hub, fanout


async def test_each_client_gets_only_the_symbols_it_subscribed_to():
    hub, fanout = await started_hub()
    btc, eth = hub.connect(), hub.connect()
    hub.subscribe(btc, [prices("BTC-USDT")])
    hub.subscribe(eth, [prices("ETH-USDT")])
    await fanout.publish([update("BTC-USDT", 1), update("ETH-USDT", 2), update("SOL-USDT", 3)])
    async with asyncio.timeout(2):
        assert await btc.take() == [b'{"symbol":"BTC-USDT","n":1}']
        assert await eth.take() == [b'{"symbol":"ETH-USDT","n":2}']
    await hub.stop()


async def test_a_slow_client_loses_its_oldest_messages_and_is_told_how_many():
    dropped: list[int] = []
    hub, fanout = await started_hub(queue_size=3, dropped=dropped)
    slow, fast = hub.connect(), hub.connect()
    hub.subscribe(slow, [prices("BTC-USDT")])
    hub.subscribe(fast, [prices("BTC-USDT")])
    received: list[bytes] = []
    for n in range(5):
        await fanout.publish([update("BTC-USDT", n)])
        await wait_until(lambda: bool(fast.queued))
        received += await fast.take()
    assert len(received) == 5
    assert await slow.take() == [f'{{"symbol":"BTC-USDT","n":{n}}}'.encode() for n in (2, 3, 4)]
    assert slow.take_dropped() == 2
    assert slow.take_dropped() == 0
    assert sum(dropped) == 2
    await hub.stop()


async def test_messages_queued_for_a_symbol_are_not_sent_after_it_is_unsubscribed():
    hub, fanout = await started_hub()
    client = hub.connect()
    hub.subscribe(client, [prices("BTC-USDT"), prices("ETH-USDT")])
    await fanout.publish([update("BTC-USDT", 1), update("ETH-USDT", 2)])
    await wait_until(lambda: client.queued == 2)
    hub.unsubscribe(client, [prices("BTC-USDT")])
    assert await client.take() == [b'{"symbol":"ETH-USDT","n":2}']
    await hub.stop()


async def test_indicator_summaries_reach_only_the_clients_of_the_indicators_channel():
    hub, fanout = await started_hub()
    priced, summarised = hub.connect(), hub.connect()
    hub.subscribe(priced, [prices("BTC-USDT")])
    hub.subscribe(summarised, [channel_key("indicators", "BTC-USDT")])
    await fanout.publish([LiveUpdate(kind="indicators", symbol="BTC-USDT", payload=b"summary"), update("BTC-USDT", 1)])
    await wait_until(lambda: priced.queued == 1 and summarised.queued == 1)
    assert await summarised.take() == [b"summary"]
    assert await priced.take() == [b'{"symbol":"BTC-USDT","n":1}']
    await hub.stop()


async def test_a_disconnected_client_is_forgotten():
    hub, fanout = await started_hub()
    client = hub.connect()
    hub.subscribe(client, [prices("BTC-USDT")])
    hub.disconnect(client)
    assert hub.clients == 0
    await fanout.publish([update("BTC-USDT", 1)])
    await asyncio.sleep(0.01)
    assert client.queued == 0
    await hub.stop()
