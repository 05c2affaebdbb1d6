"""Failed authentication is limited: after ``attempts`` failures within ``window`` seconds a key (a source
address, a partner's id) is locked out for ``lockout`` seconds, answered 429 with ``Retry-After``.

In-process: each replica counts its own failures, so with N replicas an attacker gets at most N times the
budget before every replica locks them out (acceptable for brute force against 256-bit API keys and signed
tokens; the limit is there to stop hammering, not to make guessing feasible or not). The source address is
``request.client.host``: behind the ingress uvicorn's ``--proxy-headers`` / ``--forwarded-allow-ips`` make
it the caller's address, not the ingress's.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fastapi import Request

from shared.errors import TooManyRequests, Unauthorized


class FailureLimiter:
    """Counts failures per key in a sliding window; memory is bounded by ``max_keys`` (oldest dropped)."""

    def __init__(
        self,
        *,
        attempts: int,
        window: float,
        lockout: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.attempts, self.window, self.lockout = attempts, window, lockout
        self._clock, self._max_keys = clock, max_keys
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}

    def reset(self) -> None:
        """Forget every count and lockout (an operator's unlock; each test starts clean)."""
        self._failures.clear()
        self._locked_until.clear()

    def retry_after(self, key: str) -> int | None:
        """Seconds until ``key`` may try again, or None when it is not locked out."""
        until = self._locked_until.get(key)
        if until is None:
            return None
        left = until - self._clock()
        if left <= 0:
            del self._locked_until[key]
            return None
        return max(1, math.ceil(left))

    def failed(self, key: str) -> None:
        now = self._clock()
        stamps = self._failures.pop(key, None) or deque()
        stamps.append(now)
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if len(stamps) >= self.attempts:
            self._locked_until[key] = now + self.lockout
            stamps.clear()
        else:
            self._failures[key] = stamps  # re-inserted: the dict stays ordered by last failure
        self._trim()

    def _trim(self) -> None:
        for table in (self._failures, self._locked_until):
            while len(table) > self._max_keys:
                del table[next(iter(table))]

    def refuse_if_locked(self, *keys: str) -> None:
        """429 (with Retry-After) when any of ``keys`` is locked out."""
        waits = [w for w in (self.retry_after(k) for k in keys) if w is not None]
        if waits:
            raise TooManyRequests(
                "too many failed authentication attempts; try again later", retry_after=max(waits)
            )


def source_key(request: Request) -> str:
    return "source:" + (request.client.host if request.client else "unknown")


def limiter_of(request: Request) -> FailureLimiter | None:
    return getattr(request.app.state, "auth_limiter", None)


@contextmanager
def failures_counted(request: Request, *keys: str) -> Iterator[None]:
    """Around one authentication: refused (429) while the source or any of ``keys`` is locked out; an
    Unauthorized raised inside counts as one failure of each."""
    limiter = limiter_of(request)
    if limiter is None:
        yield
        return
    counted = (source_key(request), *keys)
    limiter.refuse_if_locked(*counted)
    try:
        yield
    except Unauthorized:
        for key in counted:
            limiter.failed(key)
        raise
