"""The overview (issue 13 §3): what waits for staff (with links), the next shifts with free
places, broadcasts in progress, and four charts drawn on the server (bot.web.charts), each
with its data table as the accessible alternative."""

from __future__ import annotations

from datetime import date

from aiohttp import web
from markupsafe import Markup

from bot.core.dates import fmt_date
from bot.core.i18n import Translator
from bot.services import reports
from bot.services.broadcasts import OUTCOMES
from bot.web import charts
from bot.web.page import Pages, View

pages = Pages()


def _short(tr: Translator, day: date) -> str:
    """A day as the charts label it: the Gregorian date, short (the table has both calendars)."""
    return day.strftime("%d/%m")


def _chart_data(view: View, o: reports.Overview) -> list[dict[str, object]]:
    """Each chart: its heading, SVG and data table (header and rows of plain cells)."""
    tr = view.tr
    rtl = view.locale == "ar"  # time runs right to left for an Arabic reader
    signups = [(_short(tr, d), n) for d, n in o.signups]
    hours = [(d.strftime("%m/%Y"), h) for d, h in o.hours]
    occupancy = [
        (f"{(name_en if view.locale == 'en' and name_en else name_ar)} {_short(tr, d)}", pct)
        for name_ar, name_en, d, pct in o.occupancy
    ]
    outcome_names = [tr.label(f"web.bc.outcome.{k}") for k in OUTCOMES]
    outcome_rows = [
        (f"#{x.broadcast_id}", [x.counts.get(k, 0) for k in OUTCOMES]) for x in o.outcomes
    ]
    return [
        {
            "id": "signups",
            "title": tr.label("web.ov.signups"),
            "svg": charts.bar_chart(
                tr.label("web.ov.signups"), tr.label("web.ov.signups_desc"), signups, rtl=rtl
            ),
            "head": [tr.label("web.ov.week"), tr.label("web.ov.volunteers")],
            "rows": [[fmt_date(tr, d), n] for d, n in o.signups],
        },
        {
            "id": "hours",
            "title": tr.label("web.ov.hours"),
            "svg": charts.bar_chart(
                tr.label("web.ov.hours"), tr.label("web.ov.hours_desc"), hours, rtl=rtl
            ),
            "head": [tr.label("web.ov.month"), tr.label("web.ov.hours_col")],
            "rows": [[label, h] for (label, _), (_, h) in zip(hours, o.hours, strict=True)],
        },
        {
            "id": "occupancy",
            "title": tr.label("web.ov.occupancy"),
            "svg": charts.bar_chart(
                tr.label("web.ov.occupancy"),
                tr.label("web.ov.occupancy_desc"),
                occupancy,
                suffix="%",
                rtl=rtl,
            ),
            "head": [tr.label("web.ov.site"), tr.label("web.ov.day"), tr.label("web.ov.held")],
            "rows": [
                [name_en if view.locale == "en" and name_en else name_ar, fmt_date(tr, d), f"{p}%"]
                for name_ar, name_en, d, p in o.occupancy
            ],
        },
        {
            "id": "outcomes",
            "title": tr.label("web.ov.outcomes"),
            "svg": charts.stacked_chart(
                tr.label("web.ov.outcomes"),
                tr.label("web.ov.outcomes_desc"),
                outcome_rows,
                OUTCOMES,
                outcome_names,
            ),
            "head": [tr.label("web.bc.col.id"), *outcome_names],
            "rows": [
                [Markup('<a href="/broadcasts/{0}">{1}</a>').format(x.broadcast_id, label), *v]
                for x, (label, v) in zip(o.outcomes, outcome_rows, strict=True)
            ],
        },
    ]


@pages.get("/")
async def overview(view: View) -> web.StreamResponse:
    o = await reports.overview(view.work)
    return view.render("overview.html", o=o, charts=_chart_data(view, o))
