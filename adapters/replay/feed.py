"""A market feed that plays a file: recorded exchange frames, or historical candles.

Frames come in the capture format of `../shared/data/exchange-captures` (one JSON object a line:
`header`, `http`, `connect`, `send`, and `recv`/`ws` lines holding a received frame's text in `data` and
its receipt time in `ts`, epoch seconds). Received frames go through the exchange's frame parser (`parse`,
or one made for the instruments streamed by `parser_for`); a frame it rejects (`MalformedFrame`) is counted
through the observer and skipped. `.jsonl` files are read as they are, `.jsonl.zst` through the `zstd`
command-line tool. Candle files (`.csv`, `.csv.zst`) are read with the historical-import parser and played
as sealed, final candles.

`speed` 1.0 keeps the recorded pace (`ts` deltas, or open-time deltas for candles), 2.0 plays twice as
fast, 0 as fast as possible. `loop` starts over at the end; otherwise the stream ends with the file.
Events keep their recorded times. Lines are read as they are played, so memory stays flat however long
the file (candle files are parsed whole first, as an import would).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import aclosing, contextmanager
from pathlib import Path

import msgspec
import structlog

from adapters.feeds.errors import MalformedFrame
from application.market.candle_csv import parse_candle_csv
from application.ports.market import FeedObserver
from domain.market.instruments import Instrument
from domain.market.intervals import check_interval
from domain.market.values import Candle, MarketEvent

log = structlog.get_logger(__name__)

FrameParser = Callable[[str], Sequence[MarketEvent]]
FrameParserFactory = Callable[[Sequence[Instrument]], FrameParser]  # for parsers that map the followed symbols

RECEIVED = frozenset({"recv", "ws"})
_CHUNK_BYTES = 1 << 16
_YIELD_EVERY = 1_000  # at speed 0, let the event loop run other tasks this often
_LOGGED_MALFORMED = 10  # log the first few malformed frames of a pass, then every thousandth


class ReplayError(RuntimeError):
    """The file cannot be replayed (the zstd tool is missing or fails)."""


class _Line(msgspec.Struct):
    t: str
    ts: float | None = None
    data: str | None = None


class ReplayFeed:
    """A `MarketFeed` playing a capture of exchange frames or a candle CSV file."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        exchange: str = "replay",
        parse: FrameParser | None = None,
        parser_for: FrameParserFactory | None = None,
        observer: FeedObserver | None = None,
        speed: float = 1.0,
        loop: bool = False,
        symbol: str | None = None,
        interval: str = "1m",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        zstd_command: str = "zstd",
    ) -> None:
        self.exchange = exchange
        self._path = Path(path)
        name = self._path.name.lower()
        self._compressed = name.endswith(".zst")
        inner = name.removesuffix(".zst")
        if inner.endswith(".csv"):
            self._candles = True
        elif inner.endswith((".jsonl", ".ndjson", ".json")):
            self._candles = False
        else:
            raise ValueError(f"cannot replay {self._path.name}: expected .jsonl, .jsonl.zst, .csv or .csv.zst")
        if not self._candles and parse is None and parser_for is None:
            raise ValueError("replaying exchange frames needs the exchange's frame parser (parse= or parser_for=)")
        if speed < 0:
            raise ValueError("speed must be >= 0 (0 plays as fast as possible)")
        self._zstd = shutil.which(zstd_command) if self._compressed else None
        if self._compressed and self._zstd is None:
            raise ReplayError(
                f"{self._path.name} is zstd-compressed and the zstd command-line tool ({zstd_command!r}) was not "
                "found on PATH: install it (apt-get install zstd, brew install zstd) or decompress the file first"
            )
        self._parse = parse
        self._parser_for = parser_for
        self._observer = observer
        self._speed = speed
        self._loop = loop
        self._symbol = Instrument.parse(symbol).symbol if symbol else None
        self._interval = check_interval(interval)
        self._sleep = sleep
        self._clock = clock
        self.malformed = 0

    async def stream(
        self, instruments: Sequence[Instrument], resume_from: Mapping[str, int] | None = None
    ) -> AsyncIterator[MarketEvent]:
        """The file's events for these instruments (an empty sequence: every event in the file)."""
        if not self._path.is_file():
            raise FileNotFoundError(f"no file to replay at {self._path}")
        wanted = frozenset(i.symbol for i in instruments)
        candles = await self._load_candles(instruments) if self._candles else None
        while True:
            played = 0
            if candles is not None:
                events = self._play_candles(candles, wanted)
            else:
                events = self._play_frames(self._parser(instruments), wanted)
            async with aclosing(events):
                async for event in events:
                    played += 1
                    yield event
            if not self._loop or not played:
                return

    def _parser(self, instruments: Sequence[Instrument]) -> FrameParser:
        if self._parse is not None:
            return self._parse
        assert self._parser_for is not None
        return self._parser_for(instruments)

    async def _play_frames(self, parse: FrameParser, wanted: frozenset[str]) -> AsyncGenerator[MarketEvent, None]:
        decode = msgspec.json.Decoder(_Line).decode
        pace = _Pace(self._speed, self._sleep, self._clock)
        line_no = 0
        async with aclosing(self._lines()) as lines:
            async for text in lines:
                line_no += 1
                if not text.strip():
                    continue
                try:
                    line = decode(text)
                except msgspec.DecodeError as error:
                    self._report(f"line {line_no} is not a capture record: {error}")
                    continue
                if line.t not in RECEIVED:
                    continue
                if line.data is None:
                    self._report(f"line {line_no} holds no frame data")
                    continue
                try:
                    events = parse(line.data)
                except MalformedFrame as error:
                    self._report(f"line {line_no}: {error}")
                    continue
                if wanted:
                    events = [e for e in events if e.symbol in wanted]
                if not events:
                    continue
                await pace.wait_for(line.ts, len(events))
                for event in events:
                    yield event

    async def _play_candles(self, candles: list[Candle], wanted: frozenset[str]) -> AsyncGenerator[MarketEvent, None]:
        pace = _Pace(self._speed, self._sleep, self._clock)
        for candle in candles:
            if wanted and candle.symbol not in wanted:
                return
            await pace.wait_for(candle.open_time / 1000, 1)
            yield candle

    async def _load_candles(self, instruments: Sequence[Instrument]) -> list[Candle]:
        symbol = self._symbol
        if symbol is None:
            if len(instruments) != 1:
                raise ValueError("a candle file holds one symbol: pass symbol=... or stream exactly one instrument")
            symbol = instruments[0].symbol

        def load() -> list[Candle]:
            with self._read_text() as lines:
                return parse_candle_csv(lines, exchange=self.exchange, symbol=symbol, interval=self._interval)

        return await asyncio.to_thread(load)

    @contextmanager
    def _read_text(self) -> Iterator[Iterator[str]]:
        """The file's lines, blocking (for a worker thread)."""
        if not self._compressed:
            with self._path.open(encoding="utf-8", newline="") as file:
                yield file
            return
        assert self._zstd is not None
        with subprocess.Popen(
            [self._zstd, "-dc", "--", str(self._path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            encoding="utf-8",
        ) as process:
            assert process.stdout is not None
            assert process.stderr is not None
            try:
                yield process.stdout
            except BaseException:
                if process.poll() is None:
                    process.kill()
                elif process.returncode != 0:  # a truncated stream, not bad data, is the cause
                    raise self._zstd_failed(process.stderr.read()) from None
                raise
            error = process.stderr.read()
            if process.wait() != 0:
                raise self._zstd_failed(error)

    async def _lines(self) -> AsyncGenerator[str, None]:
        """The file's lines, read as they are played."""
        if not self._compressed:
            with self._path.open(encoding="utf-8") as file:
                for text in file:
                    yield text
            return
        assert self._zstd is not None
        process = await asyncio.create_subprocess_exec(
            self._zstd, "-dc", "--", str(self._path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        assert process.stdout is not None
        assert process.stderr is not None
        try:
            pending = bytearray()
            while chunk := await process.stdout.read(_CHUNK_BYTES):
                end = chunk.rfind(b"\n")
                if end < 0:
                    pending += chunk
                    continue
                pending += chunk[: end + 1]
                for raw in pending.splitlines():
                    yield raw.decode("utf-8", errors="replace")
                pending = bytearray(chunk[end + 1 :])
            if pending:
                yield pending.decode("utf-8", errors="replace")
            error = await process.stderr.read()
            if await process.wait() != 0:
                raise self._zstd_failed(error.decode(errors="replace"))
        finally:
            if process.returncode is None:
                process.kill()
                # Drain what the killed process left in the pipes first: a pipe whose reading was paused
                # (we stopped consuming) never sees its end of file, and wait() waits for both to close.
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(10):
                        await process.stdout.read()
                        await process.stderr.read()
                        await process.wait()

    def _zstd_failed(self, error: str) -> ReplayError:
        return ReplayError(f"zstd could not decompress {self._path.name}: {error.strip()[:500]}")

    def _report(self, reason: str) -> None:
        self.malformed += 1
        if self.malformed <= _LOGGED_MALFORMED or self.malformed % 1000 == 0:
            log.warning("replay.malformed_frame", exchange=self.exchange, file=self._path.name, reason=reason[:200])
        if self._observer is not None:
            self._observer.malformed(self.exchange, reason)


class _Pace:
    """Waits until an event's recorded time, scaled by the speed, has come on the clock (per pass)."""

    def __init__(self, speed: float, sleep: Callable[[float], Awaitable[None]], clock: Callable[[], float]) -> None:
        self._speed = speed
        self._sleep = sleep
        self._clock = clock
        self._origin: tuple[float, float] | None = None  # (recorded seconds, clock seconds) of the first event
        self._since_pause = 0

    async def wait_for(self, recorded: float | None, events: int) -> None:
        if self._speed == 0 or recorded is None:
            self._since_pause += events
            if self._since_pause >= _YIELD_EVERY:
                self._since_pause = 0
                await self._sleep(0)
            return
        if self._origin is None:
            self._origin = (recorded, self._clock())
            return
        first_recorded, first_clock = self._origin
        delay = first_clock + (recorded - first_recorded) / self._speed - self._clock()
        if delay > 0:
            await self._sleep(delay)
