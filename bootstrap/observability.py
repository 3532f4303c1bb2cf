"""Logs (structlog JSON), traces (OpenTelemetry, exporter from settings) and Prometheus metrics."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from dataclasses import dataclass

import structlog
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bootstrap.settings import Settings

# The request (and trace) id of the request being served, added to every log record made meanwhile.
# One ContextVar set per request is far cheaper than structlog's bind_contextvars.
LOG_CONTEXT: ContextVar[dict[str, str] | None] = ContextVar("cap_log_context", default=None)


def _add_log_context(_logger: object, _method: str, event_dict: structlog.types.EventDict) -> structlog.types.EventDict:
    context = LOG_CONTEXT.get()
    if context:
        for key, value in context.items():
            event_dict.setdefault(key, value)
    return event_dict


def configure_logging(settings: Settings) -> None:
    """Route stdlib and structlog records through one JSON (or console) renderer on stderr."""
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    renderer = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        _add_log_context,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Uvicorn's access log repeats what our request log says, without the request id.
    logging.getLogger("uvicorn.access").disabled = True


@dataclass
class Tracing:
    provider: TracerProvider
    tracer: trace.Tracer
    memory_exporter: InMemorySpanExporter | None

    def shutdown(self) -> None:
        self.provider.shutdown()


def create_tracing(settings: Settings) -> Tracing:
    provider = TracerProvider(resource=Resource.create({"service.name": "crypto-analytics-platform"}))
    memory: InMemorySpanExporter | None = None
    exporter: SpanExporter | None = None
    if settings.otel_exporter == "memory":
        memory = exporter = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif settings.otel_exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif settings.otel_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otel_endpoint or "http://127.0.0.1:4318/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    # With no exporter nobody receives spans: a no-op tracer saves ~30 us a request.
    tracer = trace.NoOpTracer() if settings.otel_exporter == "none" else provider.get_tracer("cap")
    return Tracing(provider, tracer, memory)


@dataclass
class Metrics:
    registry: CollectorRegistry
    http_requests: Counter
    http_duration: Histogram
    events_appended: Counter
    consumer_position: Gauge
    consumer_lag: Gauge
    logins: Counter
    feed_malformed: Counter
    feed_reconnects: Counter
    feed_gaps: Counter
    feed_backfilled: Counter
    ingest_received: Gauge
    ingest_published: Gauge
    ingest_dropped: Gauge
    ingest_buffered: Gauge
    ingest_publish_lag: Gauge
    candle_trades: Gauge
    candle_late_trades: Gauge
    candle_malformed: Gauge
    candle_consumer_lag: Gauge
    live_clients: Gauge
    live_dropped: Counter
    analytics_cache: Counter


def create_metrics() -> Metrics:
    registry = CollectorRegistry()
    return Metrics(
        registry=registry,
        http_requests=Counter(
            "cap_http_requests", "HTTP requests served", ["method", "route", "status"], registry=registry
        ),
        http_duration=Histogram(
            "cap_http_request_duration_seconds",
            "HTTP request duration",
            ["method", "route"],
            registry=registry,
        ),
        events_appended=Counter("cap_events_appended", "Events appended to the event store", registry=registry),
        consumer_position=Gauge(
            "cap_consumer_position",
            "Notification id applied by each projection or relay",
            ["consumer"],
            registry=registry,
        ),
        consumer_lag=Gauge(
            "cap_consumer_lag",
            "Notifications not yet applied by each projection or relay",
            ["consumer"],
            registry=registry,
        ),
        logins=Counter("cap_logins", "Login attempts by outcome", ["outcome"], registry=registry),
        feed_malformed=Counter(
            "cap_feed_malformed_frames", "Exchange frames skipped as malformed", ["exchange"], registry=registry
        ),
        feed_reconnects=Counter("cap_feed_reconnects", "Exchange feed reconnects", ["exchange"], registry=registry),
        feed_gaps=Counter(
            "cap_feed_sequence_gaps", "Messages missed in feed sequences", ["exchange"], registry=registry
        ),
        feed_backfilled=Counter(
            "cap_feed_backfilled_candles",
            "Candles fetched over REST after a reconnect",
            ["exchange"],
            registry=registry,
        ),
        # Ingest and candle figures are counted by the workers themselves and copied here as gauges.
        ingest_received=Gauge("cap_ingest_received", "Feed events received", ["exchange"], registry=registry),
        ingest_published=Gauge("cap_ingest_published", "Feed events published", ["exchange"], registry=registry),
        ingest_dropped=Gauge(
            "cap_ingest_dropped", "Feed events dropped from a full ingest buffer", ["exchange"], registry=registry
        ),
        ingest_buffered=Gauge(
            "cap_ingest_buffered", "Feed events waiting to be published", ["exchange"], registry=registry
        ),
        ingest_publish_lag=Gauge(
            "cap_ingest_publish_lag_seconds",
            "Time from receipt to acknowledgement of the latest published batch",
            ["exchange"],
            registry=registry,
        ),
        candle_trades=Gauge("cap_candle_trades", "Trades applied to candles", registry=registry),
        candle_late_trades=Gauge(
            "cap_candle_late_trades", "Trades too late for the candles still open", registry=registry
        ),
        candle_malformed=Gauge(
            "cap_candle_malformed_records", "Market records skipped as malformed", registry=registry
        ),
        candle_consumer_lag=Gauge(
            "cap_candle_consumer_lag", "Market records not yet read by the candle worker", registry=registry
        ),
        live_clients=Gauge("cap_live_clients", "WebSocket clients connected to /ws/prices", registry=registry),
        analytics_cache=Counter(
            "cap_analytics_cache", "Analytics cache lookups by kind and outcome", ["kind", "outcome"], registry=registry
        ),
        live_dropped=Counter(
            "cap_live_dropped_messages", "Live messages dropped for clients that read too slowly", registry=registry
        ),
    )
