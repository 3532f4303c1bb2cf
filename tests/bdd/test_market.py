"""Acceptance features of the market context: every scenario under features/market.

The steps live in the market_steps modules; importing them here is what makes pytest-bdd find them.
"""

from pytest_bdd import scenarios

from .market_steps import *  # noqa: F403
from .market_steps_candles import *  # noqa: F403
from .market_steps_live import *  # noqa: F403

scenarios("market")
