"""Failed authentication is limited per source address and per partner key (issue 13 §6): after the
configured number of failures within the window the caller is locked out, answered 429 with Retry-After,
and even a valid credential waits until the lockout ends. Other callers are not affected."""

from __future__ import annotations

import itertools
import uuid

import httpx
import pytest

from shared.ratelimit import FailureLimiter
from shared.settings import ServiceSettings
from tests.factories import ALL_STAFF, auth, partner_body, token

_hosts = (f"10.13.2.{n}" for n in itertools.count(1))
DEFAULTS = ServiceSettings()


def client_at(standalone, host: str | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=standalone.app, client=(host or next(_hosts), 40000)),
        base_url="http://standalone",
    )


def forged() -> dict[str, str]:
    good = token("mallory", *ALL_STAFF)
    return {"Authorization": f"Bearer {good[:-6]}{'AAAAAA' if not good.endswith('AAAAAA') else 'BBBBBB'}"}


def assert_locked_out(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    wait = int(r.headers["retry-after"])
    assert 0 < wait <= DEFAULTS.auth_lockout_seconds
    assert r.json()["retry_after"] == wait


def test_the_limit_is_on_by_default_and_configurable(monkeypatch):
    assert DEFAULTS.auth_failure_attempts == 10
    assert DEFAULTS.auth_failure_window_seconds == 300 and DEFAULTS.auth_lockout_seconds == 900
    monkeypatch.setenv("ASSISTANCE_AUTH_FAILURE_ATTEMPTS", "3")
    monkeypatch.setenv("ASSISTANCE_AUTH_LOCKOUT_SECONDS", "60")
    configured = ServiceSettings()
    assert configured.auth_failure_attempts == 3 and configured.auth_lockout_seconds == 60


async def test_a_source_sending_bad_tokens_is_locked_out_with_retry_after(standalone):
    async with client_at(standalone) as mallory, client_at(standalone) as bystander:
        for _ in range(DEFAULTS.auth_failure_attempts):
            assert (await mallory.get("/approval/v1/cases", headers=forged())).status_code == 401
        assert_locked_out(await mallory.get("/approval/v1/cases", headers=forged()))
        # locked out: even a valid token from that address waits
        valid = auth("mallory-again", "auditor")
        assert_locked_out(await mallory.get("/approval/v1/cases", headers=valid))
        assert (await bystander.get("/approval/v1/cases", headers=valid)).status_code == 200


async def test_requests_without_a_token_are_not_counted_as_guesses(standalone):
    async with client_at(standalone) as client:
        for _ in range(DEFAULTS.auth_failure_attempts + 2):
            assert (await client.get("/approval/v1/cases")).status_code == 401
        assert (await client.get("/approval/v1/cases", headers=auth("ok", "auditor"))).status_code == 200


async def test_guessing_a_partners_key_locks_that_partner_key_out_from_every_source(standalone):
    made = [await standalone.post("/referral/v1/partners", json=partner_body()) for _ in range(2)]
    assert all(r.status_code == 201 for r in made), made[0].text
    target, other = (r.json() for r in made)

    def feed(partner: dict) -> str:
        return f"/referral/v1/partners/{partner['id']}/feed"

    def key(partner: dict) -> dict[str, str]:
        return {"Authorization": f"Bearer {partner['api_key']}"}

    try:
        for _ in range(DEFAULTS.auth_failure_attempts):
            async with client_at(standalone) as guesser:  # a new address each time: the per-key limit
                wrong = {"Authorization": f"Bearer rpk_{uuid.uuid4().hex}"}
                assert (await guesser.get(feed(target), headers=wrong)).status_code == 401
        async with client_at(standalone) as elsewhere:
            assert_locked_out(await elsewhere.get(feed(target), headers=key(target)))
            assert (await elsewhere.get(feed(other), headers=key(other))).status_code == 200
    finally:
        for partner in (target, other):
            await standalone.patch(f"/referral/v1/partners/{partner['id']}", json={"status": "suspended"})


async def test_a_source_guessing_partner_keys_is_locked_out(standalone):
    async with client_at(standalone) as guesser:
        for _ in range(DEFAULTS.auth_failure_attempts):
            feed = f"/referral/v1/partners/{uuid.uuid4()}/feed"
            wrong = {"Authorization": f"Bearer rpk_{uuid.uuid4().hex}"}
            assert (await guesser.get(feed, headers=wrong)).status_code == 401
        assert_locked_out(await guesser.get(f"/referral/v1/partners/{uuid.uuid4()}/feed", headers=wrong))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_outside_the_window_do_not_add_up():
    clock = Clock()
    limiter = FailureLimiter(attempts=3, window=60, lockout=120, clock=clock)
    for _ in range(2):
        limiter.failed("k")
    clock.now += 61
    limiter.failed("k")
    assert limiter.retry_after("k") is None


def test_a_lockout_ends_after_its_time_and_counting_starts_again():
    clock = Clock()
    limiter = FailureLimiter(attempts=3, window=60, lockout=120, clock=clock)
    for _ in range(3):
        limiter.failed("k")
    assert limiter.retry_after("k") == 120
    clock.now += 119.5
    assert limiter.retry_after("k") == 1
    clock.now += 1
    assert limiter.retry_after("k") is None
    limiter.failed("k")
    assert limiter.retry_after("k") is None


def test_the_limiter_keeps_a_bounded_number_of_keys():
    limiter = FailureLimiter(attempts=5, window=60, lockout=60, max_keys=100)
    for n in range(1000):
        limiter.failed(f"k{n}")
    assert len(limiter._failures) <= 100


@pytest.mark.parametrize("attempts", [1, 4])
def test_the_number_of_attempts_is_what_is_configured(attempts):
    limiter = FailureLimiter(attempts=attempts, window=60, lockout=60)
    for _ in range(attempts - 1):
        limiter.failed("k")
    assert limiter.retry_after("k") is None
    limiter.failed("k")
    assert limiter.retry_after("k") is not None
