"""The rendering benchmark runs and prints its figures (on tiny data; no timing asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import web_bench

pytestmark = pytest.mark.timeout(120)


async def test_the_web_bench_runs_on_a_tiny_dataset(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    lines = await web_bench.measure(url, volunteers=30, requests=10, rounds=2)
    report = "\n".join(lines)
    assert "seeded 30 volunteers, 10 stall requests" in report
    for page in ("baseline /signin", "volunteers directory", "an event", "a shift"):
        assert page in report
    assert "p95/200ms" in report
