"""The dependency-injector container: every adapter chosen by the runtime mode, built once."""

from __future__ import annotations

from dependency_injector import containers, providers
from redis.asyncio import Redis

from adapters.eventsourcing.key_vaults import PostgresKeyVault, SqliteKeyVault
from adapters.eventsourcing.mapper import EventMapper
from adapters.eventsourcing.recorders import postgres_recorder, sqlite_recorder
from adapters.eventsourcing.store import RecorderEventStore
from adapters.feeds.observer import MetricsFeedObserver
from adapters.kafka.publisher import KafkaPublisher
from adapters.kafka.record_source import KafkaRecordSource
from adapters.memory.bus import InProcessBus
from adapters.memory.live_fanout import MemoryLiveFanout
from adapters.memory.prices import MemoryPriceStore
from adapters.memory.rate_limiter import MemoryRateLimiter
from adapters.memory.record_source import BusRecordSource
from adapters.memory.result_cache import MemoryResultCache
from adapters.memory.session_revocations import MemorySessionRevocations
from adapters.redis.live_fanout import RedisLiveFanout
from adapters.redis.prices import RedisPriceStore
from adapters.redis.rate_limiter import RedisRateLimiter
from adapters.redis.result_cache import RedisResultCache
from adapters.redis.session_revocations import RedisSessionRevocations
from adapters.security.field_cipher import FieldCipher
from adapters.security.fingerprints import HmacEmailFingerprints
from adapters.security.passwords import Argon2PasswordHasher
from adapters.security.tokens import JwtTokenService
from adapters.sqlalchemy.candles import SqlCandleStore
from adapters.sqlalchemy.engine import create_views_engine
from adapters.sqlalchemy.instruments_view import InstrumentsProjection, SqlListedInstruments
from adapters.sqlalchemy.positions import SqlPositionStore
from adapters.sqlalchemy.users_view import SqlUserReadModel, UsersProjection
from adapters.sqlite.users_view_reader import SqliteUserReadModel
from adapters.system.clock import SystemClock, epoch_ms
from application.analytics.caching import CachedResults
from application.analytics.invalidation import CacheInvalidator
from application.analytics.live import LiveIndicators
from application.market.candle_worker import CandleWorker
from application.market.catalog import Catalog
from application.market.messages import CANDLES_TOPIC, INPUT_TOPICS
from application.market.services import MarketServices
from application.messagebus import CommandBus, QueryBus
from application.projections import Projections
from application.relay import Relay
from application.users.authentication import Authenticator
from application.users.erasure import ErasurePolicy
from application.users.integration import USERS_TOPIC, users_route
from application.users.services import LoginLimits, UserServices
from bootstrap.feeds import build_ingestors
from bootstrap.handlers import all_command_handlers, command_guards, query_handlers
from bootstrap.observability import create_metrics, create_tracing
from bootstrap.secrets import load_secrets
from bootstrap.settings import Settings
from domain.market.events import MARKET_EVENTS
from domain.users.events import USER_EVENTS
from entrypoints.workers.follower import WakeSignal
from entrypoints.ws.hub import LiveHub


def _events_db(settings: Settings) -> str:
    settings.data_path.mkdir(parents=True, exist_ok=True)
    return str(settings.data_path / "events.sqlite")


def _views_path(settings: Settings) -> str:
    settings.data_path.mkdir(parents=True, exist_ok=True)
    return str(settings.data_path / "views.sqlite")


def _views_url(settings: Settings) -> str:
    if settings.mode == "full":
        return settings.postgres_dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"sqlite+aiosqlite:///{_views_path(settings)}"


def _market_url(settings: Settings) -> str:
    # Embedded: its own file, so the busy candle writer never waits for SQLite's lock behind a projection.
    settings.data_path.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{settings.data_path / 'market.sqlite'}"


def _mode(settings: Settings) -> str:
    return settings.mode


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    mode = providers.Callable(_mode, settings)
    # A revoked session must be remembered while an access token of it can still be valid.
    _revocation_ttl = providers.Callable(lambda s: s.access_token_ttl + 60, settings)

    secrets = providers.Singleton(load_secrets, settings)
    tracing = providers.Singleton(create_tracing, settings)
    tracer = providers.Callable(lambda tracing: tracing.tracer, tracing)
    metrics = providers.Singleton(create_metrics)
    clock = providers.Singleton(SystemClock)

    # --- write side ---------------------------------------------------------------------------
    key_vault = providers.Selector(
        mode,
        embedded=providers.Singleton(
            SqliteKeyVault, providers.Callable(_events_db, settings), secrets.provided.key_vault_master_key
        ),
        full=providers.Singleton(
            PostgresKeyVault, settings.provided.postgres_dsn, secrets.provided.key_vault_master_key
        ),
    )
    recorder = providers.Selector(
        mode,
        embedded=providers.Singleton(sqlite_recorder, providers.Callable(_events_db, settings)),
        full=providers.Singleton(postgres_recorder, settings.provided.postgres_dsn, settings.provided.db_pool_size),
    )
    mapper = providers.Singleton(
        EventMapper, providers.Object(USER_EVENTS.merged(MARKET_EVENTS)), providers.Singleton(FieldCipher, key_vault)
    )
    event_store = providers.Singleton(
        RecorderEventStore,
        recorder,
        mapper,
        threads=settings.provided.db_pool_size,
        tracer=tracer,
        on_appended=metrics.provided.events_appended.inc,
        inline=providers.Callable(lambda mode: mode == "embedded", mode),
    )

    # --- read side ----------------------------------------------------------------------------
    views_engine = providers.Singleton(
        create_views_engine, providers.Callable(_views_url, settings), settings.provided.db_pool_size
    )
    users_projection = providers.Singleton(UsersProjection, views_engine, tracer=tracer)
    user_read_model = providers.Selector(
        mode,
        embedded=providers.Singleton(SqliteUserReadModel, providers.Callable(_views_path, settings)),
        full=providers.Singleton(SqlUserReadModel, views_engine),
    )
    positions = providers.Singleton(SqlPositionStore, views_engine)
    erasure = providers.Singleton(ErasurePolicy, key_vault, positions)
    instruments_projection = providers.Singleton(InstrumentsProjection, views_engine, tracer=tracer)
    projections = providers.Singleton(
        Projections, event_store, providers.List(users_projection, erasure, instruments_projection)
    )
    listed_instruments = providers.Singleton(SqlListedInstruments, views_engine)
    catalog = providers.Singleton(Catalog, listed_instruments, settings.provided.market_quote)

    # --- market data --------------------------------------------------------------------------
    market_engine = providers.Selector(
        mode,
        embedded=providers.Singleton(create_views_engine, providers.Callable(_market_url, settings), 1),
        full=views_engine,
    )
    candle_store = providers.Singleton(SqlCandleStore, market_engine)

    # --- integration --------------------------------------------------------------------------
    redis = providers.Singleton(Redis.from_url, settings.provided.redis_url)
    in_process_bus = providers.Singleton(InProcessBus)
    publisher = providers.Selector(
        mode,
        embedded=in_process_bus,
        full=providers.Singleton(
            KafkaPublisher,
            settings.provided.kafka_bootstrap,
            tracer=tracer,
            topic_prefix=settings.provided.kafka_topic_prefix,
        ),
    )
    relay = providers.Singleton(
        Relay,
        f"relay:{USERS_TOPIC}",
        event_store,
        publisher,
        positions,
        providers.List(providers.Object(users_route)),
    )
    wake_followers = providers.Singleton(WakeSignal)
    price_store = providers.Selector(
        mode,
        embedded=providers.Singleton(MemoryPriceStore),
        full=providers.Singleton(
            RedisPriceStore, redis, providers.Callable(lambda s: f"{s.redis_prefix}price:", settings)
        ),
    )
    live_fanout = providers.Selector(
        mode,
        embedded=providers.Singleton(MemoryLiveFanout),
        full=providers.Singleton(
            RedisLiveFanout, redis, providers.Callable(lambda s: f"{s.redis_prefix}live", settings)
        ),
    )
    candle_source = providers.Selector(
        mode,
        embedded=providers.Singleton(BusRecordSource, in_process_bus, providers.Object(INPUT_TOPICS)),
        full=providers.Singleton(
            KafkaRecordSource,
            settings.provided.kafka_bootstrap,
            providers.Callable(lambda s: f"{s.kafka_topic_prefix}cap-candles", settings),
            topic_prefix=settings.provided.kafka_topic_prefix,
        ),
    )
    now_ms = providers.Object(epoch_ms)
    candle_worker = providers.Singleton(
        CandleWorker,
        candle_store,
        price_store,
        publisher,
        live_fanout,
        now_ms,
        grace_ms=settings.provided.candle_grace_ms,
        # Positions belong to the topics they count in: another prefix means other topics.
        consumer=providers.Callable(lambda s: f"{s.kafka_topic_prefix}candles", settings),
    )
    feed_observer = providers.Singleton(
        MetricsFeedObserver,
        metrics.provided.feed_malformed,
        metrics.provided.feed_reconnects,
        metrics.provided.feed_gaps,
        metrics.provided.feed_backfilled,
    )
    ingestors = providers.Singleton(build_ingestors, settings, publisher, feed_observer)
    live_hub = providers.Singleton(
        LiveHub,
        live_fanout,
        settings.provided.live_queue_size,
        metrics.provided.live_dropped.inc,
        settings.provided.live_heartbeat_seconds,
    )
    result_cache = providers.Selector(
        mode,
        embedded=providers.Singleton(MemoryResultCache),
        full=providers.Singleton(
            RedisResultCache, redis, providers.Callable(lambda s: f"{s.redis_prefix}analytics:", settings)
        ),
    )
    cached_results = providers.Singleton(
        CachedResults,
        result_cache,
        providers.Callable(
            lambda metrics: lambda kind, hit: metrics.analytics_cache.labels(kind, "hit" if hit else "miss").inc(),
            metrics,
        ),
    )
    cache_invalidator = providers.Singleton(CacheInvalidator, result_cache)
    live_indicators = providers.Singleton(LiveIndicators, cache_invalidator, candle_store, live_fanout, now_ms)
    invalidation_source = providers.Selector(
        mode,
        embedded=providers.Singleton(BusRecordSource, in_process_bus, providers.Object((CANDLES_TOPIC,))),
        full=providers.Singleton(
            KafkaRecordSource,
            settings.provided.kafka_bootstrap,
            providers.Callable(lambda s: f"{s.kafka_topic_prefix}cap-analytics", settings),
            topic_prefix=settings.provided.kafka_topic_prefix,
            start_at="latest",
        ),
    )
    market_services = providers.Singleton(
        MarketServices,
        catalog=catalog,
        candles=candle_store,
        prices=price_store,
        publisher=publisher,
        now_ms=now_ms,
        default_exchange=settings.provided.default_exchange,
    )

    # --- use cases ----------------------------------------------------------------------------
    rate_limiter = providers.Selector(
        mode,
        embedded=providers.Singleton(MemoryRateLimiter),
        full=providers.Singleton(
            RedisRateLimiter, redis, providers.Callable(lambda s: f"{s.redis_prefix}ratelimit:", settings)
        ),
    )
    password_hasher = providers.Singleton(
        Argon2PasswordHasher,
        time_cost=settings.provided.argon2_time_cost,
        memory_cost_kib=settings.provided.argon2_memory_kib,
    )
    tokens = providers.Singleton(
        JwtTokenService,
        signing_key=secrets.provided.jwt_signing_key,
        issuer=settings.provided.jwt_issuer,
        audience=settings.provided.jwt_audience,
        access_lifetime_seconds=settings.provided.access_token_ttl,
        refresh_lifetime_seconds=settings.provided.refresh_token_ttl,
    )
    session_revocations = providers.Selector(
        mode,
        embedded=providers.Singleton(MemorySessionRevocations, _revocation_ttl),
        full=providers.Singleton(
            RedisSessionRevocations,
            redis,
            _revocation_ttl,
            providers.Callable(lambda s: f"{s.redis_prefix}revoked:", settings),
        ),
    )
    user_services = providers.Singleton(
        UserServices,
        hasher=password_hasher,
        tokens=tokens,
        fingerprints=providers.Singleton(HmacEmailFingerprints, secrets.provided.email_fingerprint_key),
        vault=key_vault,
        limiter=rate_limiter,
        clock=clock,
        revocations=session_revocations,
        login_limits=providers.Singleton(LoginLimits, settings.provided.login_attempts, settings.provided.login_window),
    )
    command_bus = providers.Singleton(
        CommandBus,
        event_store,
        providers.Callable(all_command_handlers, user_services, catalog, clock),
        on_committed=wake_followers.provided.notify,
        guards=providers.Callable(command_guards, user_services),
    )
    query_bus = providers.Singleton(QueryBus, providers.Callable(query_handlers, user_read_model))
    authenticator = providers.Singleton(Authenticator, tokens, session_revocations, user_read_model)


def create_container(settings: Settings) -> Container:
    container = Container(settings=settings)
    return container
