"""The per-client limit of public look-ups (bot.core.throttle), on a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.throttle import Throttle

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_each_client_has_its_own_window() -> None:
    limit = Throttle(3, timedelta(minutes=10))
    assert [limit.allow("a", T0 + timedelta(minutes=n)) for n in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    assert limit.allow("b", T0 + timedelta(minutes=3))  # another client is not held up
    # Refused tries are not counted: the first try leaving the window lets one more in.
    assert limit.retry_after("a", T0 + timedelta(minutes=4)) == timedelta(minutes=6)
    assert not limit.allow("a", T0 + timedelta(minutes=9, seconds=59))
    assert limit.allow("a", T0 + timedelta(minutes=10))
    assert not limit.allow("a", T0 + timedelta(minutes=10, seconds=30))
    assert limit.retry_after("b", T0 + timedelta(minutes=4)) == timedelta(0)


def test_memory_keeps_only_clients_active_within_the_window() -> None:
    limit = Throttle(1, timedelta(minutes=1), max_clients=2)
    for n in range(3):
        assert limit.allow(f"c{n}", T0)
    later = T0 + timedelta(minutes=2)
    assert limit.allow("new", later)  # more than max_clients: the stale ones are forgotten
    assert set(limit._tries) == {"new"}
