"""The scale-out trial (bench/scale_trial.py) as a test, scaled down: three webhook workers, two
senders and one scheduler as real processes on PostgreSQL and Redis, one worker and one sender
killed with SIGKILL and restarted midway. Every property of issue 16 is checked by
`Trial.problems` (every update answered, exactly once but for the ones in flight at the kill;
every recipient reached, at most one duplicate per killed sender, no second over the cap and no
429 storm, each scheduler job once per period).

Skipped without TEST_DATABASE_URL or a Redis at TEST_REDIS_URL (default 127.0.0.1:6379/15).
SCALE_TRIAL_FULL=1 runs the issue's full size (5,000 updates from 500 users, 5,000
recipients); `python -m bench.scale_trial` prints the figures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.scale_trial import run_trial
from tests.conftest import PG_URL
from tests.ops.conftest import REDIS_URL


@pytest.mark.timeout(1200)
async def test_three_workers_two_senders_one_scheduler_survive_a_kill(
    tmp_path: Path, redis_url: str
) -> None:
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    full = os.environ.get("SCALE_TRIAL_FULL") == "1"
    updates, users, recipients = (5000, 500, 5000) if full else (300, 30, 300)
    trial = await run_trial(
        PG_URL, REDIS_URL, tmp_path, updates=updates, users=users, recipients=recipients
    )
    print(trial.figures())
    assert trial.posted == updates
    assert trial.problems() == []
