"""One clock for the programme: aware UTC instants and the programme's local date.

Every local-date rule (an incident "in the future", a raise's date, ``submitted_from``/``submitted_to``,
periods, working-day calendars, help-first deadlines) reads ``local_today()`` in the programme's time zone
(setting ``TIME_ZONE``, default ``Asia/Shanghai``), never the host's zone: a UTC container between 00:00
and 08:00 China time is already on China's next day. Tests freeze it with ``frozen(...)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Asia/Shanghai"


def _system_now() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system_now
_zone_name: str | None = None


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_name() -> str:
    """The programme's zone: set by the app from the service settings, else ``TIME_ZONE``, else Shanghai."""
    return (
        _zone_name
        or os.environ.get("ASSISTANCE_TIME_ZONE")
        or os.environ.get("TIME_ZONE")
        or DEFAULT_TIME_ZONE
    )


def zone() -> ZoneInfo:
    return _zone(zone_name())


def set_zone(name: str | None) -> None:
    """Configure the programme's zone (validated: an unknown zone raises at start-up, not at noon)."""
    global _zone_name
    if name is not None:
        _zone(name)
    _zone_name = name


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return _source().astimezone(UTC)


def local_now() -> datetime:
    return now().astimezone(zone())


def local_today() -> date:
    """Today's date in the programme's zone."""
    return local_now().date()


def local_date(moment: datetime) -> date:
    """The programme's calendar date of an aware instant."""
    return moment.astimezone(zone()).date()


def start_of(day: date) -> datetime:
    """The first instant of a local calendar day (for ``from`` filters)."""
    return datetime.combine(day, time.min, tzinfo=zone())


def end_of(day: date) -> datetime:
    """The first instant of the next local day (exclusive bound for inclusive ``to`` filters)."""
    return start_of(day + timedelta(days=1))


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    """Tests: the clock reads ``moment`` (aware) until the block ends."""
    global _source
    if moment.tzinfo is None:
        raise ValueError("freeze the clock at an aware instant")
    previous, _source = _source, (lambda: moment)
    try:
        yield
    finally:
        _source = previous
