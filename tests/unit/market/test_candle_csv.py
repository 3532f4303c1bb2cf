from __future__ import annotations

from decimal import Decimal

import pytest

from application.market.candle_csv import parse_candle_csv
from domain.market.values import Candle
from domain.shared.errors import InvalidInput

JAN_1_2025_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
MINUTE = 60_000
PLAIN_HEADER = "time,open,high,low,close,volume\n"


def binance_line(
    open_ms: int,
    o: str = "100.00",
    h: str = "110.00",
    low: str = "90.00",
    c: str = "105.00",
    v: str = "12.5",
    *,
    trades: str = "42",
    close_time: int | None = None,
    micros: bool = False,
    interval_ms: int = MINUTE,
) -> str:
    scale = 1000 if micros else 1
    open_raw = open_ms * scale
    close_raw = close_time if close_time is not None else open_raw + interval_ms * scale - 1
    return f"{open_raw},{o},{h},{low},{c},{v},{close_raw},1312.5,{trades},6.1,640.5,0\n"


def parse(lines: list[str], interval: str = "1m", **kwargs: object) -> list[Candle]:
    return parse_candle_csv(lines, exchange="binance", symbol="BTC-USDT", interval=interval, **kwargs)  # type: ignore[arg-type]


def rejection(lines: list[str], interval: str = "1m") -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse(lines, interval)
    return caught.value


def messages_by_field(error: InvalidInput) -> dict[str, str]:
    return {e.field: e.message for e in error.errors}


class TestBinanceKlines:
    def test_reads_rows_into_sealed_final_candles(self) -> None:
        lines = [
            binance_line(JAN_1_2025_MS, "93576.00000000", "93610.93000000", "93537.50000000", "93610.93000000",
                         "8.21827000", trades="2151"),
            binance_line(JAN_1_2025_MS + MINUTE, "93610.93", "93652.00", "93606.15", "93650.00", "11.1"),
        ]  # fmt: skip

        candles = parse(lines)

        assert candles[0] == Candle(
            exchange="binance",
            symbol="BTC-USDT",
            interval="1m",
            open_time=JAN_1_2025_MS,
            open=Decimal("93576.00000000"),
            high=Decimal("93610.93000000"),
            low=Decimal("93537.50000000"),
            close=Decimal("93610.93000000"),
            volume=Decimal("8.21827000"),
            trades=2151,
            final=True,
            sealed=True,
        )
        assert [c.open_time for c in candles] == [JAN_1_2025_MS, JAN_1_2025_MS + MINUTE]

    def test_reads_microsecond_timestamps_of_the_2025_archives_as_milliseconds(self) -> None:
        in_micros = parse([binance_line(JAN_1_2025_MS, micros=True), binance_line(JAN_1_2025_MS + MINUTE, micros=True)])
        in_millis = parse([binance_line(JAN_1_2025_MS), binance_line(JAN_1_2025_MS + MINUTE)])

        assert in_micros == in_millis
        assert [c.open_time for c in in_micros] == [JAN_1_2025_MS, JAN_1_2025_MS + MINUTE]

    def test_tells_the_unit_row_by_row_across_the_switch_to_microseconds(self) -> None:
        lines = [binance_line(JAN_1_2025_MS - MINUTE), binance_line(JAN_1_2025_MS, micros=True)]

        assert [c.open_time for c in parse(lines)] == [JAN_1_2025_MS - MINUTE, JAN_1_2025_MS]

    def test_skips_binance_own_header_line(self) -> None:
        header = (
            "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
            "taker_buy_volume,taker_buy_quote_volume,ignore\n"
        )

        candles = parse([header, binance_line(JAN_1_2025_MS)])

        assert [c.open_time for c in candles] == [JAN_1_2025_MS]

    def test_checks_close_time_against_the_interval(self) -> None:
        five_minutes = 5 * MINUTE
        good = binance_line(JAN_1_2025_MS, interval_ms=five_minutes)
        one_minute_close = binance_line(JAN_1_2025_MS + five_minutes, close_time=JAN_1_2025_MS + five_minutes + 59_999)

        assert parse([good], "5m")[0].interval == "5m"
        assert "close time" in messages_by_field(rejection([good, one_minute_close], "5m"))["line 2"]

    def test_rejects_a_negative_number_of_trades(self) -> None:
        error = rejection([binance_line(JAN_1_2025_MS, trades="-3")])

        assert "number of trades -3 is negative" in messages_by_field(error)["line 1"]

    def test_rejects_a_row_with_the_wrong_number_of_columns(self) -> None:
        short = ",".join(binance_line(JAN_1_2025_MS + MINUTE).split(",")[:11]) + "\n"

        error = rejection([binance_line(JAN_1_2025_MS), short])

        assert messages_by_field(error) == {"line 2": "expected 12 columns, found 11"}

    def test_accepts_windows_line_endings(self) -> None:
        lines = [binance_line(JAN_1_2025_MS).replace("\n", "\r\n"), binance_line(JAN_1_2025_MS + MINUTE)]

        assert len(parse(lines)) == 2


class TestPlainCsv:
    @pytest.mark.parametrize(
        "time_text",
        [
            "1735689600",
            "1735689600000",
            "1735689600000000",
            "1735689600.0",
            "2025-01-01T00:00:00Z",
            "2025-01-01T00:00:00",
            "2025-01-01 00:00:00",
            "2025-01-01T01:00:00+01:00",
            "2025-01-01T00:00:00.000+00:00",
        ],
    )
    def test_reads_the_time_in_every_supported_form(self, time_text: str) -> None:
        candles = parse([PLAIN_HEADER, f"{time_text},1.5,2,1,1.75,300\n"])

        assert candles == [
            Candle(
                exchange="binance",
                symbol="BTC-USDT",
                interval="1m",
                open_time=JAN_1_2025_MS,
                open=Decimal("1.5"),
                high=Decimal("2"),
                low=Decimal("1"),
                close=Decimal("1.75"),
                volume=Decimal("300"),
                trades=0,
                final=True,
                sealed=True,
            )
        ]

    def test_accepts_a_header_in_any_case_with_spaces_and_a_byte_order_mark(self) -> None:
        candles = parse(["\ufeffTime, Open, High, Low, Close, Volume\n", "1735689600,1,1,1,1,0\n"])

        assert [c.open_time for c in candles] == [JAN_1_2025_MS]

    def test_returns_candles_sorted_by_open_time(self) -> None:
        lines = [PLAIN_HEADER] + [f"{JAN_1_2025_MS + m * MINUTE},1,1,1,1,1\n" for m in (3, 1, 2, 0)]

        assert [c.open_time for c in parse(lines)] == [JAN_1_2025_MS + m * MINUTE for m in range(4)]

    def test_rejects_a_time_it_cannot_read(self) -> None:
        error = rejection([PLAIN_HEADER, "yesterday,1,1,1,1,1\n"])

        assert "time 'yesterday' is neither" in messages_by_field(error)["line 2"]

    def test_rejects_a_time_inside_a_minute(self) -> None:
        error = rejection([PLAIN_HEADER, "2025-01-01T00:00:00.500Z,1,1,1,1,1\n"])

        assert "not aligned to the 1m interval" in messages_by_field(error)["line 2"]

    def test_rejects_a_row_with_the_wrong_number_of_columns(self) -> None:
        error = rejection([PLAIN_HEADER, "1735689600,1,1,1,1\n"])

        assert messages_by_field(error) == {"line 2": "expected 6 columns, found 5"}


class TestRowValidation:
    @pytest.mark.parametrize(
        ("row", "message"),
        [
            ("1735689600,abc,2,1,1.5,3", "open 'abc' is not a number"),
            ("1735689600,,2,1,1.5,3", "open '' is not a number"),
            ("1735689600,1,NaN,1,1.5,3", "high 'NaN' is not a finite number"),
            ("1735689600,1,Infinity,1,1.5,3", "high 'Infinity' is not a finite number"),
            ("1735689600,1,2,-inf,1.5,3", "low '-inf' is not a finite number"),
            ("1735689600,1,2,1,1.5,nan", "volume 'nan' is not a finite number"),
            ("1735689600,3,2,1,1.5,3", "high 2 is below the open or close"),
            ("1735689600,1.5,2,1,2.5,3", "high 2 is below the open or close"),
            ("1735689600,1,2,1.2,1.5,3", "low 1.2 is above the open or close"),
            ("1735689600,1.5,2,1.2,1.1,3", "low 1.2 is above the open or close"),
            ("1735689600,1.5,1,2,1.5,3", "low 2 is above high 1"),
            ("1735689600,1,2,1,1.5,-0.1", "volume -0.1 is negative"),
            ("1735689600,0,0,0,0,3", "open 0 is not above zero"),
            ("1735689600,1,2,-1,1.5,3", "low -1 is not above zero"),
            ("1735689630,1,2,1,1.5,3", "not aligned to the 1m interval"),
            ("-60,1,2,1,1.5,3", "before 1970"),
        ],
    )
    def test_reports_a_bad_row_by_its_line_number(self, row: str, message: str) -> None:
        error = rejection([PLAIN_HEADER, "1735689660,1,2,1,1.5,3\n", row + "\n"])

        assert list(messages_by_field(error)) == ["line 3"]
        assert message in messages_by_field(error)["line 3"]

    def test_accepts_a_flat_candle_with_no_volume(self) -> None:
        assert parse([PLAIN_HEADER, "1735689600,7,7,7,7,0\n"])[0].volume == 0

    def test_lists_every_problem_of_a_row(self) -> None:
        error = rejection([PLAIN_HEADER, "1735689630,3,2,1,1.5,-1\n"])

        message = messages_by_field(error)["line 2"]
        assert "not aligned" in message
        assert "high 2 is below" in message
        assert "volume -1 is negative" in message

    def test_rejects_a_duplicate_open_time_naming_the_first_line(self) -> None:
        lines = [PLAIN_HEADER, "1735689600,1,1,1,1,1\n", "1735689660,1,1,1,1,1\n", "1735689600000,2,2,2,2,2\n"]

        error = rejection(lines)

        assert messages_by_field(error) == {"line 4": "duplicate open time 2025-01-01T00:00:00Z (first at line 2)"}

    def test_rejects_an_open_time_not_aligned_to_a_larger_interval(self) -> None:
        error = rejection([binance_line(JAN_1_2025_MS + MINUTE, interval_ms=3_600_000)], "1h")

        assert "not aligned to the 1h interval" in messages_by_field(error)["line 1"]

    def test_counts_lines_physically_including_blank_ones(self) -> None:
        lines = [PLAIN_HEADER, "\n", "1735689600,1,1,1,1,1\n", "   \n", "1735689660,1,0.5,1,1,1\n"]

        assert list(messages_by_field(rejection(lines))) == ["line 5"]

    def test_rejects_the_whole_file_reporting_every_bad_line(self) -> None:
        lines = [PLAIN_HEADER] + [f"{1735689600 + m * 60},1,{'0.5' if m in (2, 5) else '1'},1,1,1\n" for m in range(8)]

        error = rejection(lines)

        assert list(messages_by_field(error)) == ["line 4", "line 7"]
        assert "2 bad lines" in error.detail

    def test_reports_at_most_fifty_bad_lines_and_counts_the_rest(self) -> None:
        lines = [PLAIN_HEADER] + [f"{1735689600 + m * 60},1,1,1,1,-1\n" for m in range(120)]

        error = rejection(lines)

        fields = [e.field for e in error.errors]
        assert fields[:50] == [f"line {n}" for n in range(2, 52)]
        assert error.errors[50].message == "70 more bad lines not listed"
        assert len(error.errors) == 51
        assert "120 bad lines" in error.detail


class TestFiles:
    @pytest.mark.parametrize("lines", [[], ["\n", "  \n", "\r\n"]])
    def test_rejects_an_empty_file(self, lines: list[str]) -> None:
        assert messages_by_field(rejection(lines)) == {"file": "the file is empty"}

    def test_rejects_a_file_with_only_a_header(self) -> None:
        assert messages_by_field(rejection([PLAIN_HEADER])) == {"file": "the file holds no candles"}

    @pytest.mark.parametrize(
        "first_line",
        ["date,open,high,low,close,volume\n", "1735689600,1,1,1,1,1\n", "<html><body>Not found</body></html>\n"],
    )
    def test_rejects_a_file_of_another_format_at_its_first_line(self, first_line: str) -> None:
        error = rejection(["\n", first_line, "1735689600,1,1,1,1,1\n"])

        assert list(messages_by_field(error)) == ["line 2"]
        assert "unrecognised format" in error.errors[0].message

    def test_rejects_an_unknown_interval(self) -> None:
        error = rejection([binance_line(JAN_1_2025_MS)], "2m")

        assert list(messages_by_field(error)) == ["interval"]

    def test_reports_progress_in_lines_read(self) -> None:
        seen: list[int] = []
        lines = [binance_line(JAN_1_2025_MS + m * MINUTE) for m in range(25_001)]

        candles = parse(lines, on_progress=seen.append)

        assert seen == [10_000, 20_000, 25_001]
        assert len(candles) == 25_001

    def test_reports_a_line_the_csv_reader_cannot_read_and_goes_on(self) -> None:
        huge = "1" * 200_000
        lines = [
            PLAIN_HEADER,
            "1735689600,1,1,1,1,1\n",
            f"1735689660,1,{huge},1,1,1\n",
            "1735689720,1,1,1,1,-1\n",
        ]

        error = rejection(lines)

        assert "unreadable CSV" in messages_by_field(error)["line 3"]
        assert "volume -1 is negative" in messages_by_field(error)["line 4"]
