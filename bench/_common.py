"""Shared helpers: peak memory (RSS), interleaved best-of rounds, and the one-line-per-figure report.

Speed figures are ratios of ours against a baseline measured in the same run, never absolute timings:
absolute numbers depend on the machine, the ratio much less. Rounds alternate which side goes first
and the best of each side is kept, so a noisy moment hurts both equally.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROUNDS = 5

# Every figure printed in this process, as (name, ratio, target): the summary at the end reads it.
RESULTS: list[tuple[str, float, float]] = []


def peak_rss_mib(pid: int | None = None) -> float:
    """Peak resident set size (VmHWM) of a process, this one by default, in MiB."""
    status = Path(f"/proc/{pid or 'self'}/status")
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return float("nan")


def rss_mib(pid: int | None = None) -> float:
    """Current resident set size (VmRSS) of a process, this one by default, in MiB."""
    try:
        for line in Path(f"/proc/{pid or 'self'}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def reset_peak_rss() -> bool:
    """Reset this process's peak RSS to its current RSS (Linux: clear_refs 5), so each figure has its own peak.

    Returns False where that is not possible; the peak is then the process's peak so far.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def best_of_interleaved(
    ours: Callable[[], float],
    bare: Callable[[], float],
    rounds: int = ROUNDS,
) -> tuple[float, float]:
    """Run both sides `rounds` times, alternating which goes first; each call returns a rate. Best of each."""
    best_ours = best_bare = 0.0
    for index in range(rounds):
        if index % 2 == 0:
            best_ours = max(best_ours, ours())
            best_bare = max(best_bare, bare())
        else:
            best_bare = max(best_bare, bare())
            best_ours = max(best_ours, ours())
    return best_ours, best_bare


def timed_rate(count: int, run: Callable[[], object]) -> float:
    """`count` operations done by `run`, per second."""
    started = time.perf_counter()
    run()
    return count / (time.perf_counter() - started)


def calibrate(rate: float, seconds: float, minimum: int, maximum: int) -> int:
    """How many operations take about `seconds` at `rate` operations per second, within bounds."""
    return max(minimum, min(maximum, int(rate * seconds)))


def verdict(ratio: float, target: float) -> str:
    return "PASS" if ratio >= target else "MISS <<<"


def figure(
    name: str,
    ours: float,
    bare: float,
    unit: str,
    target: float,
    memory: str,
    extra: str = "",
) -> bool:
    """Print one figure line; returns whether the target was met."""
    ratio = ours / bare if bare else float("nan")
    line = (
        f"{name:<36} ours={ours:,.0f} {unit}  bare={bare:,.0f} {unit}  "
        f"ratio={ratio:.2f} (target >= {target:.2f}) {verdict(ratio, target)}  {memory}"
    )
    if extra:
        line += f"  {extra}"
    say(line)
    RESULTS.append((name, ratio, target))
    return ratio >= target


def say(text: str = "") -> None:
    print(text, flush=True)


def note(text: str) -> None:
    say(f"  # {text}")


def python_info() -> str:
    return f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"


# Figures with an absolute limit set by an issue (latency budgets), as (name, value, limit, unit).
LIMITS: list[tuple[str, float, float, str]] = []


def within_limit(name: str, value: float, limit: float, unit: str, detail: str = "") -> bool:
    """Print one figure that must stay at or under `limit`; returns whether it did."""
    met = value <= limit
    say(f"{name:<36} {value:,.1f} {unit} (limit <= {limit:,.0f} {unit}) {'PASS' if met else 'MISS <<<'}  {detail}")
    LIMITS.append((name, value, limit, unit))
    return met


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")
