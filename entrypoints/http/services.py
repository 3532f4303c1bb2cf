"""What the HTTP handlers use, held in one concrete object injected as the `api` dependency.

One holder instead of a dependency per port: Litestar type-checks injected values, which a
typing.Protocol cannot pass, and one lookup per request is cheaper than several.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from application.analytics.caching import CachedResults
from application.market.services import MarketServices
from application.messagebus import CommandBus, QueryBus
from application.projections import Projections
from application.users.authentication import Authenticator
from bootstrap.observability import Metrics


@dataclass(frozen=True)
class Api:
    commands: CommandBus
    queries: QueryBus
    authenticator: Authenticator
    projections: Projections
    metrics: Metrics
    readiness_checks: Mapping[str, Callable[[], Awaitable[object]]]
    mode: str
    market: MarketServices
    analytics: CachedResults
