"""Pieces every benchmark uses: counting logged errors, and cProfile's time by area."""

from __future__ import annotations

import logging
import os
import pstats
from collections import Counter
from collections.abc import Sequence
from typing import Any

Areas = Sequence[tuple[str, str]]  # (fragment, area); the first fragment found wins


class ErrorCounter(logging.Handler):
    """Counts the errors logged during a run (the bot logs and carries on rather than
    raising), and keeps the first one to show."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.first is None:
            self.first = f"{record.name}: {record.getMessage()}"


def own_time_by_area(
    stats: pstats.Stats,
    areas: Areas,
    builtin_areas: Areas = (),
    *,
    other_builtins: str = "built-ins (C)",
    other: str = "other Python code",
) -> list[tuple[str, float]]:
    """cProfile's own time (tottime) summed by library or part of the project, largest first:
    Python functions by a fragment of their file's path, C functions (no file) by their name."""
    totals: Counter[str] = Counter()
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for (filename, _, name), (_, _, tottime, *_rest) in raw.items():
        if filename.startswith("~") or filename == "<built-in>":
            area = next((a for key, a in builtin_areas if key in name), other_builtins)
        else:
            path = filename.replace(os.sep, "/")
            area = next((a for key, a in areas if key in path), other)
        totals[area] += tottime
    # Counter is typed with int counts; these are float seconds.
    return [(area, float(seconds)) for area, seconds in totals.most_common()]
