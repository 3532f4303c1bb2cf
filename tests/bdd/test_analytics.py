"""Acceptance features of the analytics context: every scenario under features/analytics.

The steps live in analytics_steps; the market steps are imported too, for the refusals they check.
"""

from pytest_bdd import scenarios

from .analytics_steps import *  # noqa: F403
from .market_steps import *  # noqa: F403

scenarios("analytics")
