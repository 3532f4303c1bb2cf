from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.feeds.errors import MalformedFrame
from adapters.replay.feed import ReplayError, ReplayFeed
from domain.market.instruments import Instrument
from domain.market.values import Candle, MarketEvent, Trade
from domain.shared.errors import InvalidInput

BTC, ETH = Instrument("BTC", "USDT"), Instrument("ETH", "USDT")
T0 = 1_735_689_600.0  # 2025-01-01T00:00:00Z, epoch seconds as captures record `ts`
STREAMS = "btcusdt@aggTrade/ethusdt@aggTrade/btcusdt@depth@100ms"


def agg_trade(symbol: str, trade_id: int, price: str, quantity: str, time_ms: int, buyer_is_maker: bool) -> str:
    return json.dumps(
        {
            "stream": f"{symbol.lower()}@aggTrade",
            "data": {"e": "aggTrade", "E": time_ms + 3, "s": symbol, "a": trade_id, "p": price, "q": quantity,
                     "f": trade_id * 10, "l": trade_id * 10, "T": time_ms, "m": buyer_is_maker, "M": True},
        },
        separators=(",", ":"),
    )  # fmt: skip


DEPTH = json.dumps(
    {"stream": "btcusdt@depth@100ms", "data": {"e": "depthUpdate", "E": 1735689600100, "s": "BTCUSDT", "U": 1,
                                               "u": 2, "b": [["93500.10000000", "0.5"]], "a": []}},
    separators=(",", ":"),
)  # fmt: skip

FRAMES = [
    (T0 + 0.50, agg_trade("BTCUSDT", 3_300_000, "93500.10000000", "0.01200000", 1735689600497, False)),
    (T0 + 0.60, DEPTH),
    (T0 + 1.25, agg_trade("ETHUSDT", 900_000, "3350.55000000", "0.25000000", 1735689601248, True)),
    (T0 + 3.00, agg_trade("BTCUSDT", 3_300_001, "93501.00000000", "0.00050000", 1735689602998, True)),
]


def capture_records(frames: Sequence[tuple[float, str]] = FRAMES, kind: str = "recv") -> list[dict[str, object]]:
    """A capture in the documented format: header, REST response, connect, subscribe sent, frames received."""
    return [
        {"t": "header", "format": 2, "exchange": "BINANCE", "config": {"trades": ["BTC-USDT", "ETH-USDT"]},
         "candle_interval": None, "recorded": T0, "converted_from": 1},
        {"t": "http", "conn": "BINANCE.http.sync", "ts": T0 + 0.1, "url": "https://api.binance.com/api/v3/exchangeInfo",
         "data": json.dumps({"timezone": "UTC", "serverTime": 1735689600098, "symbols": []})},
        {"t": "connect", "conn": "BINANCE.ws.1", "ts": T0 + 0.2,
         "addr": f"wss://stream.binance.com:9443/stream?streams={STREAMS}"},
        {"t": "send", "conn": "BINANCE.ws.1", "ts": T0 + 0.3, "addr": "wss://stream.binance.com:9443",
         "data": json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 1})},
        *({"t": kind, "conn": "BINANCE.ws.1", "ts": ts, "data": data} for ts, data in frames),
    ]  # fmt: skip


def write_lines(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def write_capture(path: Path, records: Sequence[dict[str, object]] | None = None) -> Path:
    return write_lines(path, [json.dumps(r) for r in (records if records is not None else capture_records())])


def compress(path: Path) -> Path:
    subprocess.run(["zstd", "-q", "-f", str(path), "-o", f"{path}.zst"], check=True)
    return Path(f"{path}.zst")


class FakeBinanceParser:
    """Reads aggTrade frames of Binance combined streams; other streams give nothing (the real parser is tested
    on its own). Records the frames it was given."""

    SYMBOLS = {"BTCUSDT": "BTC-USDT", "ETHUSDT": "ETH-USDT"}

    def __init__(self) -> None:
        self.frames: list[str] = []

    def __call__(self, frame: str) -> list[MarketEvent]:
        self.frames.append(frame)
        try:
            data = json.loads(frame)["data"]
            if data.get("e") != "aggTrade":
                return []
            return [
                Trade(exchange="binance", symbol=self.SYMBOLS[data["s"]], trade_id=str(data["a"]),
                      price=Decimal(data["p"]), quantity=Decimal(data["q"]), time=data["T"],
                      side="sell" if data["m"] else "buy")
            ]  # fmt: skip
        except (ValueError, KeyError, TypeError) as error:
            raise MalformedFrame(f"not a Binance frame: {error}") from error


class FakeObserver:
    def __init__(self) -> None:
        self.malformed_reasons: list[tuple[str, str]] = []

    def malformed(self, exchange: str, reason: str) -> None:
        self.malformed_reasons.append((exchange, reason))

    def reconnecting(self, exchange: str, reason: str, delay_seconds: float) -> None:
        raise AssertionError("a replay never reconnects")

    def gap(self, exchange: str, missing: int) -> None:
        raise AssertionError("a replay reports no gaps")

    def backfilled(self, exchange: str, candles: int) -> None:
        raise AssertionError("a replay does not backfill")


class FakeClock:
    """Monotonic seconds that move only when the feed sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def replay(path: Path, clock: FakeClock | None = None, **options: object) -> ReplayFeed:
    clock = clock or FakeClock()
    options.setdefault("parse", FakeBinanceParser())
    return ReplayFeed(path, exchange="binance", sleep=clock.sleep, clock=clock.monotonic, **options)  # type: ignore[arg-type]


async def collect(events: AsyncIterator[MarketEvent], limit: int | None = None) -> list[MarketEvent]:
    collected: list[MarketEvent] = []
    async with aclosing(events) as stream:
        async for event in stream:
            collected.append(event)
            if limit is not None and len(collected) == limit:
                break
    return collected


def trade_ids(events: Sequence[MarketEvent]) -> list[str]:
    return [e.trade_id for e in events if isinstance(e, Trade)]


class TestRecordedFrames:
    async def test_plays_the_received_frames_through_the_parser_in_order(self, tmp_path: Path) -> None:
        parser = FakeBinanceParser()
        feed = replay(write_capture(tmp_path / "binance.jsonl"), parse=parser, speed=0)

        events = await collect(feed.stream([BTC, ETH]))

        assert parser.frames == [data for _, data in FRAMES]
        assert events == [
            Trade(exchange="binance", symbol="BTC-USDT", trade_id="3300000", price=Decimal("93500.10000000"),
                  quantity=Decimal("0.01200000"), time=1735689600497, side="buy"),
            Trade(exchange="binance", symbol="ETH-USDT", trade_id="900000", price=Decimal("3350.55000000"),
                  quantity=Decimal("0.25000000"), time=1735689601248, side="sell"),
            Trade(exchange="binance", symbol="BTC-USDT", trade_id="3300001", price=Decimal("93501.00000000"),
                  quantity=Decimal("0.00050000"), time=1735689602998, side="sell"),
        ]  # fmt: skip

    async def test_makes_the_parser_for_the_instruments_streamed(self, tmp_path: Path) -> None:
        asked: list[Sequence[Instrument]] = []

        def parser_for(instruments: Sequence[Instrument]) -> FakeBinanceParser:
            asked.append(instruments)
            return FakeBinanceParser()

        feed = ReplayFeed(write_capture(tmp_path / "c.jsonl"), exchange="binance", parser_for=parser_for, speed=0)

        assert trade_ids(await collect(feed.stream([BTC, ETH]))) == ["3300000", "900000", "3300001"]
        assert asked == [[BTC, ETH]]

    async def test_reads_ws_lines_as_received_frames_too(self, tmp_path: Path) -> None:
        feed = replay(write_capture(tmp_path / "c.jsonl", capture_records(kind="ws")), speed=0)

        assert trade_ids(await collect(feed.stream([BTC, ETH]))) == ["3300000", "900000", "3300001"]

    async def test_plays_only_the_instruments_asked_for(self, tmp_path: Path) -> None:
        feed = replay(write_capture(tmp_path / "c.jsonl"), speed=0)

        assert trade_ids(await collect(feed.stream([ETH]))) == ["900000"]

    async def test_plays_everything_when_no_instrument_is_named(self, tmp_path: Path) -> None:
        feed = replay(write_capture(tmp_path / "c.jsonl"), speed=0)

        assert trade_ids(await collect(feed.stream([]))) == ["3300000", "900000", "3300001"]

    async def test_counts_and_skips_malformed_frames_and_lines(self, tmp_path: Path) -> None:
        observer = FakeObserver()
        records = capture_records(
            [
                FRAMES[0],
                (T0 + 0.7, '{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","s":"BTCUSDT"'),
                (T0 + 0.8, '{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","s":"BTCUSDT"}}'),
                FRAMES[2],
            ]
        )
        records.append({"t": "recv", "conn": "BINANCE.ws.1", "ts": T0 + 2.0})  # no frame data
        lines = [json.dumps(r) for r in records]
        path = write_lines(tmp_path / "c.jsonl", [*lines, '{"t":"recv","conn":"BINANCE.ws.1","ts":17357'])
        feed = replay(path, observer=observer, speed=0)

        events = await collect(feed.stream([BTC, ETH]))

        assert trade_ids(events) == ["3300000", "900000"]
        assert feed.malformed == 4
        assert [exchange for exchange, _ in observer.malformed_reasons] == ["binance"] * 4
        assert "not a Binance frame" in observer.malformed_reasons[0][1]
        assert "line 10" in observer.malformed_reasons[3][1]

    async def test_ends_with_the_file_unless_looping(self, tmp_path: Path) -> None:
        feed = replay(write_capture(tmp_path / "c.jsonl"), speed=0)

        assert len(await collect(feed.stream([BTC, ETH]))) == 3

    async def test_loops_over_the_file_when_asked(self, tmp_path: Path) -> None:
        feed = replay(write_capture(tmp_path / "c.jsonl"), speed=0, loop=True)

        events = await collect(feed.stream([BTC, ETH]), limit=8)

        assert trade_ids(events) == ["3300000", "900000", "3300001"] * 2 + ["3300000", "900000"]

    async def test_a_loop_over_a_file_with_nothing_to_play_ends(self, tmp_path: Path) -> None:
        feed = replay(write_capture(tmp_path / "c.jsonl"), speed=0, loop=True)

        assert await collect(feed.stream([Instrument("SOL", "USDT")])) == []

    async def test_rejects_a_missing_file_when_streaming(self, tmp_path: Path) -> None:
        feed = replay(tmp_path / "absent.jsonl")

        with pytest.raises(FileNotFoundError):
            await collect(feed.stream([BTC]))


class TestPacing:
    async def test_keeps_the_recorded_pace_at_speed_one(self, tmp_path: Path) -> None:
        clock = FakeClock()
        feed = replay(write_capture(tmp_path / "c.jsonl"), clock, speed=1.0)
        start = clock.now

        moments = []
        async with aclosing(feed.stream([BTC, ETH])) as stream:
            async for _ in stream:
                moments.append(clock.now - start)

        assert moments == pytest.approx([0.0, 0.75, 2.5])

    async def test_plays_faster_at_a_higher_speed(self, tmp_path: Path) -> None:
        clock = FakeClock()
        feed = replay(write_capture(tmp_path / "c.jsonl"), clock, speed=2.5)
        start = clock.now

        moments = []
        async with aclosing(feed.stream([BTC, ETH])) as stream:
            async for _ in stream:
                moments.append(clock.now - start)

        assert moments == pytest.approx([0.0, 0.3, 1.0])

    async def test_does_not_wait_longer_than_the_recording_when_consumers_are_slow(self, tmp_path: Path) -> None:
        clock = FakeClock()
        feed = replay(write_capture(tmp_path / "c.jsonl"), clock, speed=1.0)
        start = clock.now

        moments = []
        async with aclosing(feed.stream([BTC, ETH])) as stream:
            async for _ in stream:
                moments.append(clock.now - start)
                clock.now += 0.5  # the consumer takes half a second per event

        assert moments == pytest.approx([0.0, 0.75, 2.5])

    async def test_plays_as_fast_as_possible_at_speed_zero(self, tmp_path: Path) -> None:
        clock = FakeClock()
        frames = [
            (T0 + n, agg_trade("BTCUSDT", n, "93500.1", "0.1", 1735689600000 + n * 1000, False)) for n in range(2500)
        ]
        feed = replay(write_capture(tmp_path / "c.jsonl", capture_records(frames)), clock, speed=0)

        events = await collect(feed.stream([BTC]))

        assert len(events) == 2500
        assert clock.sleeps == [0, 0]  # only lets other tasks run now and then

    def test_rejects_a_negative_speed(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="speed"):
            replay(write_capture(tmp_path / "c.jsonl"), speed=-1)


class TestCompressedCaptures:
    async def test_plays_a_zstd_compressed_capture(self, tmp_path: Path) -> None:
        path = compress(write_capture(tmp_path / "binance.jsonl"))
        feed = replay(path, speed=0)

        assert trade_ids(await collect(feed.stream([BTC, ETH]))) == ["3300000", "900000", "3300001"]

    async def test_reads_lines_longer_than_a_read_chunk(self, tmp_path: Path) -> None:
        records = capture_records()
        records[1]["data"] = json.dumps({"symbols": [{"symbol": f"S{n}", "status": "TRADING"} for n in range(20_000)]})
        path = compress(write_capture(tmp_path / "binance.jsonl", records))
        assert len(json.dumps(records[1])) > 4 * 65_536
        feed = replay(path, speed=0)

        assert trade_ids(await collect(feed.stream([BTC, ETH]))) == ["3300000", "900000", "3300001"]

    async def test_loops_over_a_compressed_capture(self, tmp_path: Path) -> None:
        feed = replay(compress(write_capture(tmp_path / "c.jsonl")), speed=0, loop=True)

        assert len(await collect(feed.stream([BTC, ETH]), limit=7)) == 7

    async def test_stops_reading_when_the_consumer_stops(self, tmp_path: Path) -> None:
        frames = [(T0 + n, agg_trade("BTCUSDT", n, "93500.1", "0.1", 1735689600000 + n, False)) for n in range(5_000)]
        feed = replay(compress(write_capture(tmp_path / "c.jsonl", capture_records(frames))), speed=0)

        assert trade_ids(await collect(feed.stream([BTC]), limit=2)) == ["0", "1"]

    async def test_reports_a_corrupt_compressed_file(self, tmp_path: Path) -> None:
        path = tmp_path / "broken.jsonl.zst"
        path.write_bytes(compress(write_capture(tmp_path / "c.jsonl")).read_bytes()[:-12] + b"garbage!")
        feed = replay(path, speed=0)

        with pytest.raises(ReplayError, match=r"zstd could not decompress broken\.jsonl\.zst"):
            await collect(feed.stream([BTC, ETH]))

    async def test_reports_a_truncated_compressed_candle_file_as_such(self, tmp_path: Path) -> None:
        rows = [f"{1735689600 + m * 60},1,1,1,1,1" for m in range(20_000)]
        whole = compress(write_lines(tmp_path / "c.csv", ["time,open,high,low,close,volume", *rows])).read_bytes()
        path = tmp_path / "cut.csv.zst"
        path.write_bytes(whole[: len(whole) // 2])
        feed = replay(path, speed=0, symbol="BTC-USDT")

        with pytest.raises(ReplayError, match=r"zstd could not decompress cut\.csv\.zst"):
            await collect(feed.stream([BTC]))

    def test_says_clearly_when_the_zstd_tool_is_missing(self, tmp_path: Path) -> None:
        path = tmp_path / "c.jsonl.zst"
        path.write_bytes(b"")

        with pytest.raises(ReplayError, match="zstd command-line tool"):
            replay(path, zstd_command="no-such-zstd-tool")


class TestCandleFiles:
    CSV = [
        "1735689720000,93610.93,93652.00,93606.15,93650.00,11.1,1735689779999,1038000.1,1800,5.5,514000.0,0",
        "1735689600000,93576.00,93610.93,93537.50,93610.93,8.21827,1735689659999,769000.2,2151,4.1,383000.0,0",
        "1735689660000,93610.93,93620.00,93600.00,93610.93,3.5,1735689719999,327000.3,900,1.2,112000.0,0",
    ]

    async def test_plays_a_candle_file_as_sealed_final_candles_in_time_order(self, tmp_path: Path) -> None:
        feed = replay(write_lines(tmp_path / "BTCUSDT-1m-2025-01.csv", self.CSV), speed=0, symbol="BTC-USDT")

        events = await collect(feed.stream([BTC]))

        assert [e.open_time for e in events if isinstance(e, Candle)] == [1735689600000, 1735689660000, 1735689720000]
        assert events[0] == Candle(
            exchange="binance",
            symbol="BTC-USDT",
            interval="1m",
            open_time=1735689600000,
            open=Decimal("93576.00"),
            high=Decimal("93610.93"),
            low=Decimal("93537.50"),
            close=Decimal("93610.93"),
            volume=Decimal("8.21827"),
            trades=2151,
            final=True,
            sealed=True,
        )

    async def test_takes_the_symbol_from_the_one_instrument_streamed(self, tmp_path: Path) -> None:
        plain = ["time,open,high,low,close,volume", "2025-01-01T00:00:00Z,1.5,2,1,1.75,300"]
        feed = replay(write_lines(tmp_path / "eth.csv", plain), speed=0, interval="1m")

        events = await collect(feed.stream([ETH]))

        assert [(e.symbol, e.open_time) for e in events if isinstance(e, Candle)] == [("ETH-USDT", 1735689600000)]

    async def test_paces_candles_by_their_open_times(self, tmp_path: Path) -> None:
        clock = FakeClock()
        feed = replay(write_lines(tmp_path / "c.csv", self.CSV), clock, speed=60.0, symbol="BTC-USDT")
        start = clock.now

        moments = []
        async with aclosing(feed.stream([BTC])) as stream:
            async for _ in stream:
                moments.append(clock.now - start)

        assert moments == pytest.approx([0.0, 1.0, 2.0])

    async def test_plays_a_compressed_candle_file(self, tmp_path: Path) -> None:
        feed = replay(compress(write_lines(tmp_path / "c.csv", self.CSV)), speed=0, symbol="BTC-USDT")

        assert len(await collect(feed.stream([BTC]))) == 3

    async def test_plays_nothing_for_other_instruments(self, tmp_path: Path) -> None:
        feed = replay(write_lines(tmp_path / "c.csv", self.CSV), speed=0, symbol="BTC-USDT", loop=True)

        assert await collect(feed.stream([ETH])) == []

    async def test_rejects_a_candle_file_with_a_bad_row(self, tmp_path: Path) -> None:
        bad = [*self.CSV, self.CSV[0].replace("93652.00", "1.00")]
        feed = replay(write_lines(tmp_path / "c.csv", bad), speed=0, symbol="BTC-USDT")

        with pytest.raises(InvalidInput) as caught:
            await collect(feed.stream([BTC]))
        assert [e.field for e in caught.value.errors] == ["line 4"]

    async def test_needs_to_know_the_symbol_of_a_candle_file(self, tmp_path: Path) -> None:
        feed = replay(write_lines(tmp_path / "c.csv", self.CSV), speed=0)

        with pytest.raises(ValueError, match="one symbol"):
            await collect(feed.stream([BTC, ETH]))


class TestConstruction:
    def test_rejects_a_file_kind_it_cannot_play(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match=r"expected \.jsonl"):
            replay(tmp_path / "capture.parquet")

    def test_needs_a_frame_parser_for_recorded_frames(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="parser"):
            ReplayFeed(tmp_path / "c.jsonl", parse=None)

    def test_names_its_exchange(self, tmp_path: Path) -> None:
        assert replay(tmp_path / "c.jsonl").exchange == "binance"
