"""Historical candles from CSV: Binance's 12-column kline files and plain `time,open,high,low,close,volume`.

Pure parsing over lines the caller reads (a file, an upload). Every row is checked; every bad row is
reported by its line number, and one bad row rejects the whole file, so an import stores all or nothing.

The format is told by the first non-empty line: the header `time,open,high,low,close,volume`, Binance's
own header (`open_time,...`, in some of its archives), or a 12-column Binance row without a header.
Binance's spot archives switched their timestamps from milliseconds to microseconds in 2025; each row's
unit is told by its magnitude. Plain times are epoch seconds, milliseconds or microseconds (again by
magnitude) or an ISO 8601 / RFC 3339 date-time (UTC when it has no offset).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.market.intervals import INTERVAL_MS, INTERVALS
from domain.market.values import Candle
from domain.shared.errors import FieldError, InvalidInput

MAX_REPORTED_ERRORS = 50
PROGRESS_EVERY_LINES = 10_000
PLAIN_HEADER = ("time", "open", "high", "low", "close", "volume")
BINANCE_COLUMNS = 12

# Epoch numbers below 1e11 are seconds (until the year 5138), below 1e14 milliseconds, above microseconds.
_SECONDS_BELOW = 10**11
_MILLISECONDS_BELOW = 10**14
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_ZERO = Decimal(0)

Row = tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal, int]  # open time (ms), o, h, l, c, v, trades


class _BadRow(Exception):
    """A row that cannot be checked further (wrong shape); the message says why."""


def parse_candle_csv(
    lines: Iterable[str],
    *,
    exchange: str,
    symbol: str,
    interval: str,
    on_progress: Callable[[int], None] | None = None,
) -> list[Candle]:
    """Sealed, final candles sorted by open time; `InvalidInput` listing bad lines (nothing partial) otherwise.

    `on_progress` is called with the number of lines read so far, every 10,000 lines and at the end.
    """
    interval_ms = INTERVAL_MS.get(interval)
    if interval_ms is None:
        raise InvalidInput.field("interval", f"must be one of {', '.join(INTERVALS)}")
    reader = csv.reader(lines)
    rows = _rows(reader)
    parse_row: Callable[[list[str], int], Row] | None = None
    candles: list[Candle] = []
    first_line: dict[int, int] = {}
    errors: list[FieldError] = []
    bad_lines = 0
    next_progress = PROGRESS_EVERY_LINES

    for line_no, row, failure in rows:
        if on_progress is not None and line_no >= next_progress:
            on_progress(line_no)
            next_progress = line_no + PROGRESS_EVERY_LINES
        try:
            if failure is not None:
                raise _BadRow(failure)
            if parse_row is None:
                detected = _detect(row)
                if detected is None:
                    raise InvalidInput.field(
                        f"line {line_no}",
                        "unrecognised format: expected Binance's 12-column kline CSV (no header) "
                        "or a CSV with the header time,open,high,low,close,volume",
                    )
                parse_row, is_header = detected
                if is_header:
                    continue
            open_time, open_, high, low, close, volume, trades = parse_row(row, interval_ms)
            seen_at = first_line.get(open_time)
            if seen_at is not None:
                raise _BadRow(f"duplicate open time {_iso(open_time)} (first at line {seen_at})")
            first_line[open_time] = line_no
        except _BadRow as bad:
            bad_lines += 1
            if len(errors) < MAX_REPORTED_ERRORS:
                errors.append(FieldError(f"line {line_no}", str(bad)))
            continue
        if not bad_lines:
            candles.append(
                Candle(
                    exchange=exchange,
                    symbol=symbol,
                    interval=interval,
                    open_time=open_time,
                    open=open_,
                    high=high,
                    low=low,
                    close=close,
                    volume=volume,
                    trades=trades,
                    final=True,
                    sealed=True,
                )
            )

    if on_progress is not None:
        on_progress(reader.line_num)
    if bad_lines:
        if bad_lines > MAX_REPORTED_ERRORS:
            errors.append(FieldError("file", f"{bad_lines - MAX_REPORTED_ERRORS} more bad lines not listed"))
        raise InvalidInput(errors, detail=f"{bad_lines} bad line{'s' if bad_lines > 1 else ''}; the file was rejected.")
    if not candles:
        raise InvalidInput.field("file", "the file holds no candles" if parse_row else "the file is empty")
    candles.sort(key=_open_time)
    return candles


def _open_time(candle: Candle) -> int:
    return candle.open_time


def _rows(reader: Any) -> Iterator[tuple[int, list[str], str | None]]:
    """Non-blank rows of a csv reader with their 1-based line numbers; rows it cannot read come with the reason."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield reader.line_num, [], f"unreadable CSV: {error}"
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        yield reader.line_num, row, None


def _detect(row: list[str]) -> tuple[Callable[[list[str], int], Row], bool] | None:
    """The row parser of the file whose first non-empty row this is, and whether that row is a header."""
    cells = [cell.strip().lower() for cell in row]
    cells[0] = cells[0].lstrip("\ufeff")
    if tuple(cells) == PLAIN_HEADER:
        return _plain_row, True
    if cells[0] == "open_time" and len(cells) == BINANCE_COLUMNS:
        return _binance_row, True
    if len(cells) == BINANCE_COLUMNS and cells[0].isascii() and cells[0].isdigit():
        return _binance_row, False
    return None


def _binance_row(row: list[str], interval_ms: int) -> Row:
    """open time, open, high, low, close, volume, close time, quote volume, trades, taker base, taker quote, ignore."""
    # Fast path for good rows; any doubt goes to the careful path that names every problem.
    try:
        if len(row) == BINANCE_COLUMNS:
            open_raw = int(row[0])
            unit = 1 if open_raw < _MILLISECONDS_BELOW else 1000
            open_time, sub_ms = divmod(open_raw, unit)
            open_, high, low, close, volume = (Decimal(row[1]), Decimal(row[2]), Decimal(row[3]), Decimal(row[4]),
                                               Decimal(row[5]))  # fmt: skip
            trades = int(row[8])
            if (
                open_raw >= 0
                and not sub_ms
                and not open_time % interval_ms
                and int(row[6]) == open_raw + interval_ms * unit - 1
                and trades >= 0
                and _ZERO < low <= open_ <= high
                and low <= close <= high
                and high.is_finite()
                and volume >= _ZERO
                and volume.is_finite()
            ):
                return (open_time, open_, high, low, close, volume, trades)
    except (ValueError, ArithmeticError):
        pass
    return _explain_binance_row(row, interval_ms)


def _explain_binance_row(row: list[str], interval_ms: int) -> Row:
    if len(row) != BINANCE_COLUMNS:
        raise _BadRow(f"expected {BINANCE_COLUMNS} columns, found {len(row)}")
    problems: list[str] = []
    open_raw = _integer(row[0], "open time", problems)
    close_raw = _integer(row[6], "close time", problems)
    trades = _integer(row[8], "number of trades", problems)
    open_time = 0
    if open_raw is not None:
        unit = 1 if open_raw < _MILLISECONDS_BELOW else 1000  # milliseconds or (since 2025) microseconds
        open_time, sub_ms = divmod(open_raw, unit)
        if open_raw < 0:
            problems.append(f"open time {row[0].strip()} is before 1970")
        elif sub_ms or open_time % interval_ms:
            problems.append(f"open time {row[0].strip()} is not aligned to the {_interval_name(interval_ms)} interval")
        elif close_raw is not None and close_raw != open_raw + interval_ms * unit - 1:
            problems.append(
                f"close time {row[6].strip()} does not end the {_interval_name(interval_ms)} interval "
                f"opened at {row[0].strip()} (expected {open_raw + interval_ms * unit - 1})"
            )
    if trades is not None and trades < 0:
        problems.append(f"number of trades {trades} is negative")
    prices = _check_prices(row[1], row[2], row[3], row[4], row[5], problems)
    if problems or prices is None:
        raise _BadRow("; ".join(problems))
    return (open_time, *prices, trades or 0)


def _plain_row(row: list[str], interval_ms: int) -> Row:
    """time, open, high, low, close, volume."""
    try:
        if len(row) == len(PLAIN_HEADER):
            problems: list[str] = []
            open_time = _plain_time(row[0], interval_ms, problems)
            open_, high, low, close, volume = (Decimal(row[1]), Decimal(row[2]), Decimal(row[3]), Decimal(row[4]),
                                               Decimal(row[5]))  # fmt: skip
            if (
                open_time is not None
                and _ZERO < low <= open_ <= high
                and low <= close <= high
                and high.is_finite()
                and volume >= _ZERO
                and volume.is_finite()
            ):
                return (open_time, open_, high, low, close, volume, 0)
    except (ValueError, ArithmeticError):
        pass
    return _explain_plain_row(row, interval_ms)


def _explain_plain_row(row: list[str], interval_ms: int) -> Row:
    if len(row) != len(PLAIN_HEADER):
        raise _BadRow(f"expected {len(PLAIN_HEADER)} columns, found {len(row)}")
    problems: list[str] = []
    open_time = _plain_time(row[0], interval_ms, problems)
    prices = _check_prices(row[1], row[2], row[3], row[4], row[5], problems)
    if problems or prices is None or open_time is None:
        raise _BadRow("; ".join(problems))
    return (open_time, *prices, 0)


def _plain_time(text: str, interval_ms: int, problems: list[str]) -> int | None:
    """Epoch ms of a time given as epoch s/ms/µs or ISO 8601; a problem is noted when it is bad or misaligned."""
    value = text.strip()
    micros: int | None = None
    number = int(value) if value.isascii() and value.isdigit() else _whole_number(value)
    if number is not None:
        if number < _SECONDS_BELOW:
            micros = number * 1_000_000
        elif number < _MILLISECONDS_BELOW:
            micros = number * 1000
        else:
            micros = number
    else:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            problems.append(f"time {value[:40]!r} is neither epoch seconds/milliseconds nor an ISO 8601 date-time")
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        micros = (moment - _EPOCH) // _MICROSECOND
    if micros < 0:
        problems.append(f"time {value} is before 1970")
        return None
    open_time, sub_ms = divmod(micros, 1000)
    if sub_ms or open_time % interval_ms:
        problems.append(f"time {value} is not aligned to the {_interval_name(interval_ms)} interval")
        return None
    return open_time


def _whole_number(text: str) -> int | None:
    """`1700000000.0`, `1.7e9`, `-60` (as some tools write epoch numbers) as an int; None for anything else."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if value.is_finite() and value == value.to_integral_value():
        return int(value)
    return None


def _integer(text: str, name: str, problems: list[str]) -> int | None:
    try:
        return int(text)
    except ValueError:
        problems.append(f"{name} {text.strip()[:40]!r} is not an integer")
        return None


def _decimal(text: str, name: str, problems: list[str]) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        problems.append(f"{name} {text.strip()[:40]!r} is not a number")
        return None
    if not value.is_finite():
        problems.append(f"{name} {text.strip()[:40]!r} is not a finite number")
        return None
    return value


def _check_prices(
    open_text: str, high_text: str, low_text: str, close_text: str, volume_text: str, problems: list[str]
) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal] | None:
    """The five numbers when each is a finite decimal and they make a consistent bar; problems noted otherwise."""
    open_ = _decimal(open_text, "open", problems)
    high = _decimal(high_text, "high", problems)
    low = _decimal(low_text, "low", problems)
    close = _decimal(close_text, "close", problems)
    volume = _decimal(volume_text, "volume", problems)
    if open_ is None or high is None or low is None or close is None or volume is None:
        return None
    for name, price in (("open", open_), ("high", high), ("low", low), ("close", close)):
        if price <= _ZERO:
            problems.append(f"{name} {price} is not above zero")
    if volume < _ZERO:
        problems.append(f"volume {volume} is negative")
    if low > high:
        problems.append(f"low {low} is above high {high}")
    else:
        if high < open_ or high < close:
            problems.append(f"high {high} is below the open or close")
        if low > open_ or low > close:
            problems.append(f"low {low} is above the open or close")
    return None if problems else (open_, high, low, close, volume)


def _interval_name(interval_ms: int) -> str:
    return next(name for name, size in INTERVAL_MS.items() if size == interval_ms)


def _iso(time_ms: int) -> str:
    return (_EPOCH + timedelta(milliseconds=time_ms)).isoformat().replace("+00:00", "Z")
