"""What bench.signup_bench prints beyond its headline: where the engine's time goes, by area of
the code (--profile) and by step of the sign-up script.

The conversations run in step, so the p99 of the latency is set by the slowest step's wave:
eight updates of that step one after the other behind SQLite's single writer. The table of
steps shows which step that is and what one update of it costs inside `engine.handle`.
"""

from __future__ import annotations

import cProfile
import io
import pstats
from array import array
from collections.abc import Mapping, Sequence
from statistics import fmean
from typing import Any

from bench.common import own_time_by_area

# Where the engine's time goes (--profile): the storage floor does the SQLite and driver part
# too; the rest is what the engine adds on top of it.
PROFILE_AREAS = (
    ("/sqlalchemy/orm/", "SQLAlchemy ORM (session, identity map, loading)"),
    ("/sqlalchemy/", "SQLAlchemy Core (compile cache, execution, results)"),
    ("/storage/inline_sqlite", "driver (storage/inline_sqlite.py)"),
    ("/storage/", "our storage layer (queries)"),
    ("/bot/core/", "our engine, forms, i18n, validation (bot/core)"),
    ("/bot/handlers/", "our flows (bot/handlers)"),
    ("/bot/services/", "our services (bot/services)"),
    ("/bot/", "our other code (metrics, logs)"),
    ("/babel/", "Babel"),
    ("/asyncio/", "asyncio event loop"),
    ("/logging/", "logging"),
    ("/bench/", "the bench's own driver"),
)
PROFILE_BUILTINS = (
    ("switch", "greenlet switches (SQLAlchemy's async bridge)"),
    ("sqlite3", "SQLite itself (C)"),
    ("execute", "SQLite itself (C)"),
    ("commit", "SQLite itself (C)"),
    ("fetch", "SQLite itself (C)"),
)


def print_profile(profiler: cProfile.Profile, updates: int, lines: int) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    areas = own_time_by_area(stats, PROFILE_AREAS, PROFILE_BUILTINS)
    total = sum(seconds for _, seconds in areas) or 1.0
    out.write(f"own time by area (total {total:.2f} s, {total / max(1, updates) * 1e3:.3f}")
    out.write(" ms an update under the profiler):\n")
    for area, seconds in areas:
        out.write(f"  {area:<44} {seconds:7.2f} s  {100 * seconds / total:5.1f}%\n")
    stats = stats.strip_dirs()
    stats.sort_stats("tottime").print_stats(lines)
    stats.sort_stats("cumulative").print_stats(lines)
    print(out.getvalue())


def print_slowest_steps(
    by_step: Mapping[int, array[float]], script: Sequence[tuple[str, Any]], count: int = 3
) -> None:
    """The `count` steps of the script with the highest mean time inside `engine.handle`."""
    means = sorted(((fmean(times), step) for step, times in by_step.items() if times), reverse=True)
    shown = ", ".join(
        f"#{step} {_label(script[step])} {mean * 1000:.2f} ms" for mean, step in means[:count]
    )
    others = [mean for mean, _ in means[count:]]
    rest = f"; the other steps {fmean(others) * 1000:.2f} ms on average" if others else ""
    print(f"          slowest steps inside engine.handle (mean): {shown}{rest}")


def _label(step: tuple[str, Any]) -> str:
    how, value = step
    return f"{how} {value!r}" if isinstance(value, str) and len(value) <= 12 else how
