"""Settings from `CAP_*` environment variables: the only place that reads the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import msgspec


class SettingsError(ValueError):
    """The environment describes an impossible configuration."""


FEEDS = ("simulated", "binance", "coinbase", "replay")


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: str = ".data"
    postgres_dsn: str = ""
    redis_url: str = ""
    redis_prefix: str = "cap:"
    kafka_bootstrap: str = ""
    kafka_topic_prefix: str = ""
    kafka_partitions: int = 3
    secret_key: str = ""
    jwt_issuer: str = "crypto-analytics-platform"
    jwt_audience: str = "cap-api"
    access_token_ttl: int = 900
    refresh_token_ttl: int = 7 * 24 * 3600
    login_attempts: int = 5
    login_window: int = 60
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19_456
    cors_origins: tuple[str, ...] = ()
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    otel_exporter: Literal["none", "console", "otlp", "memory"] = "none"
    otel_endpoint: str = ""
    workers_in_process: bool = True
    forwarded_allow_ips: str = ""
    db_pool_size: int = 10
    # --- market data ---
    market_feeds: tuple[str, ...] = ("simulated",)
    market_quote: str = "USDT"
    simulated_seed: int = 7
    simulated_trades_per_second: float = 20.0
    # Days of 1m candles the simulated exchange makes up for instruments with none yet (0: none).
    simulated_history_days: int = 3
    replay_file: str = ""
    replay_speed: float = 1.0
    replay_loop: bool = True
    # Which exchange's frames a recorded capture holds (binance or coinbase); candle CSVs need the symbol.
    replay_exchange: str = "binance"
    replay_symbol: str = ""
    replay_interval: str = "1m"
    binance_ws_url: str = "wss://stream.binance.com:9443"
    binance_rest_url: str = "https://api.binance.com"
    coinbase_ws_url: str = "wss://advanced-trade-ws.coinbase.com"
    coinbase_rest_url: str = "https://api.coinbase.com"
    feed_silence_seconds: float = 30.0
    ingest_buffer_size: int = 100_000
    candle_grace_ms: int = 2_000
    live_queue_size: int = 1_000
    live_heartbeat_seconds: float = 15.0

    @property
    def mode(self) -> Literal["embedded", "full"]:
        return "full" if self.postgres_dsn else "embedded"

    @property
    def default_exchange(self) -> str:
        """Whose candles queries return when they name no exchange: the first feed's."""
        first = self.market_feeds[0]
        return self.replay_exchange if first == "replay" else first

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    def validate(self) -> Settings:
        servers = {
            "CAP_POSTGRES_DSN": self.postgres_dsn,
            "CAP_REDIS_URL": self.redis_url,
            "CAP_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
        }
        missing = [name for name, value in servers.items() if not value]
        if 0 < len(missing) < len(servers):
            raise SettingsError("full mode needs PostgreSQL, Redis and Kafka together; missing: " + ", ".join(missing))
        if self.mode == "full" and len(self.secret_key) < 32:
            raise SettingsError("full mode needs CAP_SECRET_KEY of at least 32 characters (shared by replicas)")
        unknown_feeds = set(self.market_feeds) - set(FEEDS)
        if unknown_feeds or not self.market_feeds:
            raise SettingsError(f"CAP_MARKET_FEEDS must name one or more of {', '.join(FEEDS)}")
        if "replay" in self.market_feeds and not self.replay_file:
            raise SettingsError("the replay feed needs CAP_REPLAY_FILE")
        if self.replay_exchange not in ("binance", "coinbase"):
            raise SettingsError("CAP_REPLAY_EXCHANGE must be binance or coinbase (whose frames the capture holds)")
        if not 1 <= self.port <= 65535:
            raise SettingsError("CAP_PORT must be a TCP port (1-65535)")
        return self


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Read `CAP_<FIELD>` variables (comma-separated for lists), then apply explicit overrides."""
    environ = os.environ if environ is None else environ
    raw: dict[str, object] = {}
    for field in msgspec.structs.fields(Settings):
        value = environ.get(f"CAP_{field.name.upper()}")
        if value is None:
            continue
        if field.name in ("cors_origins", "market_feeds"):
            raw[field.name] = [origin.strip() for origin in value.split(",") if origin.strip()]
        else:
            raw[field.name] = value
    raw.update(overrides)
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as error:
        raise SettingsError(f"invalid setting: {error}") from None
    return settings.validate()
