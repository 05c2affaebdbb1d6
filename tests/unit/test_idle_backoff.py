"""Background loops rest longer while idle and wake at once for new work (issue 16: idle burn)."""

from __future__ import annotations

import asyncio

from shared.runtime import IdleBackoff


async def test_an_idle_loop_doubles_its_rest_up_to_ten_polls() -> None:
    idle = IdleBackoff(asyncio.Event(), 0.001)
    delays = []
    for _ in range(6):
        idle.looking()
        await idle.rest(0)
        delays.append(round(idle.delay, 6))
    assert delays == [0.002, 0.004, 0.008, 0.01, 0.01, 0.01]


async def test_work_found_or_a_consumed_event_brings_the_rest_back_to_one_poll() -> None:
    watcher = asyncio.Event()
    idle = IdleBackoff(watcher, 0.001)
    for _ in range(3):
        idle.looking()
        await idle.rest(0)
    assert idle.delay == 0.008
    idle.looking()
    watcher.set()  # a commit of a consumed event while the loop looked for work
    await idle.rest(0)
    assert idle.delay == 0.001
    idle.delay = 0.008
    idle.looking()
    await idle.rest(3)
    assert idle.delay == 0.002  # found work: rested one poll, then doubled


async def test_a_wake_during_the_rest_ends_it_at_once() -> None:
    watcher = asyncio.Event()
    idle = IdleBackoff(watcher, 30.0)
    idle.looking()
    loop = asyncio.get_running_loop()
    loop.call_later(0.01, watcher.set)
    started = loop.time()
    await idle.rest(0)
    assert loop.time() - started < 5  # woke long before the 30 s rest


async def test_wake_ups_in_quick_succession_share_one_look() -> None:
    """Under load every consumed event wakes the loop: looks are at least half a poll apart, so the
    wake-ups of that span cost one transaction, not one each (issue 16: commits per case)."""
    watcher = asyncio.Event()
    idle = IdleBackoff(watcher, 0.2)
    looks = 0
    waking = True

    async def background_loop() -> None:
        nonlocal looks
        while waking:
            idle.looking()
            looks += 1
            await idle.rest(1)

    task = asyncio.create_task(background_loop())
    for _ in range(30):  # 30 wake-ups over about 0.3 s
        watcher.set()
        await asyncio.sleep(0.01)
    waking = False
    await task
    assert 2 <= looks <= 6  # one look per gap (0.1 s), not one per wake-up


async def test_a_commit_during_the_gap_is_seen_by_the_next_look() -> None:
    watcher = asyncio.Event()
    idle = IdleBackoff(watcher, 0.2)
    idle.looking()
    watcher.set()  # woken at once
    asyncio.get_running_loop().call_later(0.05, watcher.set)  # a commit during the gap
    await idle.rest(0)
    assert watcher.is_set()  # still set when the loop looks again: looking() clears it before the look
    assert idle.delay == idle.poll
