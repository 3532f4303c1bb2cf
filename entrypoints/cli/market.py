"""`cap market import FILE --symbol BTC-USDT --interval 1m`: historical candles from a CSV file."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from application.market.candle_csv import parse_candle_csv
from application.market.importing import import_candles
from application.market.times import to_rfc3339
from bootstrap.settings import Settings
from domain.market.intervals import check_interval
from domain.market.values import Candle
from domain.shared.errors import DomainError, InvalidInput
from entrypoints.cli.context import cli_container


def _read_candles(path: Path, progress: Progress, *, exchange: str, symbol: str, interval: str) -> list[Candle]:
    """Parse and validate the whole file (in a worker thread: large files take a while)."""
    with path.open("rb") as file:
        total = sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))
    task = progress.add_task(f"reading {path.name}", total=max(total, 1))
    with path.open(encoding="utf-8-sig") as lines:
        candles = parse_candle_csv(
            lines,
            exchange=exchange,
            symbol=symbol,
            interval=interval,
            on_progress=lambda done: progress.update(task, completed=done),
        )
    progress.update(task, description="storing", completed=total)
    return candles


async def import_file(settings: Settings, args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not await asyncio.to_thread(path.is_file):
        print(f"cap: no such file: {path}", file=sys.stderr)
        return 2
    async with cli_container(settings) as container:
        market = container.market_services()
        exchange = args.exchange or market.default_exchange
        try:
            check_interval(args.interval)
            (instrument,) = await market.catalog.require([args.symbol])
            columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
            with Progress(*columns, disable=args.quiet) as progress:
                candles = await asyncio.to_thread(
                    _read_candles, path, progress, exchange=exchange, symbol=instrument.symbol, interval=args.interval
                )
                result = await import_candles(
                    candles,
                    store=market.candles,
                    publisher=market.publisher,
                    exchange=exchange,
                    symbol=instrument.symbol,
                    interval=args.interval,
                    now_ms=market.now_ms,
                )
        except InvalidInput as error:
            print(f"cap: {error.detail} Nothing was imported.", file=sys.stderr)
            for field_error in error.errors:
                print(f"  {field_error.field}: {field_error.message}", file=sys.stderr)
            return 1
        except DomainError as error:
            print(f"cap: {error.detail}", file=sys.stderr)
            return 1
    span = ""
    if result.first_open_time is not None and result.last_open_time is not None:
        span = f" from {to_rfc3339(result.first_open_time)} to {to_rfc3339(result.last_open_time)}"
    print(
        f"imported {result.imported} {result.interval} candles of {result.symbol} ({result.exchange}){span}; "
        f"{result.rolled_up} higher-interval candles rolled up"
    )
    return 0
