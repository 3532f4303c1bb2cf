"""Epoch milliseconds to and from RFC 3339 UTC text, the API's time format."""

from __future__ import annotations

from datetime import UTC, datetime


def to_rfc3339(time_ms: int) -> str:
    moment = datetime.fromtimestamp(time_ms / 1000, UTC)
    if time_ms % 1000:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{time_ms % 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def from_datetime(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
