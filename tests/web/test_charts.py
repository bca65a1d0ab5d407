"""The server-drawn charts: in Arabic the time axis runs right to left (the oldest point on
the right), in English left to right; read from the bars' x coordinates in the SVG."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

from bot.core.i18n import Catalogs
from bot.settings import Settings
from bot.web import charts
from storage.db import Database
from tests.conftest import Clock
from tests.events.support import World
from tests.services.test_reports import seed_overview
from tests.web.rig import link_for, sign_in, staff_user

POINTS = [("w1", 1.0), ("w2", 2.0), ("w3", 3.0)]
LABEL = re.compile(r'<text class="label" x="([\d.]+)"[^>]*>([^<]*)</text>')


def _label_order(svg: str) -> list[str]:
    """The labels as they sit on the axis, from left to right."""
    found = [(float(x), label) for x, label in LABEL.findall(svg)]
    return [label for _, label in sorted(found)]


def _bar_xs(svg: str) -> list[float]:
    return [float(x) for x in re.findall(r'<rect class="bar" x="([\d.]+)"', svg)]


def test_a_left_to_right_chart_puts_the_oldest_point_on_the_left() -> None:
    svg = str(charts.bar_chart("t", "d", POINTS))
    assert _label_order(svg) == ["w1", "w2", "w3"]
    xs = _bar_xs(svg)
    assert xs == sorted(xs)


def test_a_right_to_left_chart_puts_the_oldest_point_on_the_right() -> None:
    svg = str(charts.bar_chart("t", "d", POINTS, rtl=True))
    assert _label_order(svg) == ["w3", "w2", "w1"]
    xs = _bar_xs(svg)  # drawn in time order: each bar left of the one before
    assert xs == sorted(xs, reverse=True)
    # The same bars as left to right, mirrored: nothing lost or moved off the axis.
    assert sorted(xs) == sorted(_bar_xs(str(charts.bar_chart("t", "d", POINTS))))


async def test_the_overview_draws_time_right_to_left_in_arabic_only(
    client: TestClient[Any, Any],
    db: Database,
    catalogs: Catalogs,
    web_settings: Settings,
    clock: Clock,
) -> None:
    await seed_overview(World(db, catalogs, web_settings, clock()))
    user_id = await staff_user(db, "staff")
    await sign_in(client, await link_for(db, catalogs, web_settings, clock(), user_id))
    orders = {}
    for locale in ("ar", "en"):
        await client.get(f"/lang/{locale}?next=/", allow_redirects=False)
        html = await (await client.get("/")).text()
        hours_svg = html.split('id="chart-hours"', 1)[1].split("</svg>", 1)[0]
        months = _label_order(hours_svg)  # "mm/yyyy", one per month
        assert len(months) >= 2
        orders[locale] = [tuple(reversed(m.split("/"))) for m in months]
    assert orders["en"] == sorted(orders["en"])  # oldest on the left
    assert orders["ar"] == sorted(orders["ar"], reverse=True)  # oldest on the right
