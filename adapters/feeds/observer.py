"""Reports what feeds say about themselves as Prometheus counters and log lines."""

from __future__ import annotations

import structlog
from prometheus_client import Counter

log = structlog.get_logger(__name__)


class MetricsFeedObserver:
    def __init__(self, malformed: Counter, reconnects: Counter, gaps: Counter, backfilled: Counter) -> None:
        self._malformed = malformed
        self._reconnects = reconnects
        self._gaps = gaps
        self._backfilled = backfilled

    def malformed(self, exchange: str, reason: str) -> None:
        self._malformed.labels(exchange).inc()
        log.warning("malformed frame skipped", exchange=exchange, reason=reason[:200])

    def reconnecting(self, exchange: str, reason: str, delay_seconds: float) -> None:
        self._reconnects.labels(exchange).inc()
        log.info("feed reconnecting", exchange=exchange, reason=reason[:200], delay_seconds=round(delay_seconds, 3))

    def gap(self, exchange: str, missing: int) -> None:
        self._gaps.labels(exchange).inc(missing)
        log.warning("feed sequence gap", exchange=exchange, missing=missing)

    def backfilled(self, exchange: str, candles: int) -> None:
        self._backfilled.labels(exchange).inc(candles)
        log.info("candles backfilled over REST", exchange=exchange, candles=candles)
