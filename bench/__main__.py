"""`python -m bench` (`make bench`): every benchmark in turn, one line per figure, then a summary.

Targets are ratios against a baseline measured in the same run. A missed target prints MISS and still
exits 0 (benchmarks are not tests); a benchmark that crashes makes the exit code 1.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable

from bench import (
    analytics_handwritten,
    analytics_http,
    analytics_indicators,
    eventstore,
    http_users_me,
    market_latency,
    market_pipeline,
    profile_users_me,
    ws_fanout,
)
from bench._common import LIMITS, RESULTS, note, python_info, say, verdict


def main() -> int:
    say(f"# benchmarks ({python_info()}); speed as ours/bare ratios measured in this run; peak RSS beside each")
    started = time.monotonic()
    crashed: list[str] = []
    benchmarks: list[tuple[str, Callable[[], object]]] = [
        ("eventstore", eventstore.main),
        ("http.users_me", http_users_me.main),
        ("market.pipeline", market_pipeline.main),
        ("market.latency", market_latency.main),
        ("ws.fanout", ws_fanout.main),
        ("analytics.indicators", analytics_indicators.main),
        ("analytics.handwritten", analytics_handwritten.main),
        ("analytics.http", analytics_http.main),
    ]
    for name, run in benchmarks:
        say()
        try:
            run()
        except Exception:
            crashed.append(name)
            say(f"{name}: CRASHED")
            traceback.print_exc(file=sys.stdout)
    if any(name.startswith("http.") and ratio < target for name, ratio, target in RESULTS):
        say()
        note("http.users_me missed its target: where our per-request time goes (python -m bench.profile_users_me)")
        try:
            profile_users_me.attribution()
        except Exception:
            crashed.append("profile_users_me")
            traceback.print_exc(file=sys.stdout)
    say()
    say(f"== summary ({time.monotonic() - started:.0f} s) ==")
    for name, ratio, target in RESULTS:
        say(f"{name:<36} ratio={ratio:.2f} (target >= {target:.2f}) {verdict(ratio, target)}")
    for name, value, limit, unit in LIMITS:
        say(f"{name:<36} {value:,.1f} {unit} (limit <= {limit:,.0f} {unit}) {'PASS' if value <= limit else 'MISS <<<'}")
    missed = sum(ratio < target for _name, ratio, target in RESULTS) + sum(v > lim for _n, v, lim, _u in LIMITS)
    total = len(RESULTS) + len(LIMITS)
    say(f"{total - missed} PASS, {missed} MISS" + (f", CRASHED: {', '.join(crashed)}" if crashed else ""))
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
