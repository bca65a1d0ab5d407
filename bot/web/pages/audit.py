"""The audit log on the web (issue 13 §3): its rows with filters (actor, action, target, a date
range), newest first, paged. It shows what the rows hold and nothing more: no name or phone
number is looked up for an actor or a target."""

from __future__ import annotations

import json

from aiohttp import web

from bot.core.dates import fmt_datetime
from bot.services import reports
from bot.web.page import Pages, View
from bot.web.table import Column, Table

pages = Pages()
COLUMNS = (
    Column("id", "web.audit.col.when", moment=True),
    Column("actor", "web.audit.col.actor", sortable=False),
    Column("action", "web.audit.col.action", sortable=False),
    Column("target", "web.audit.col.target", sortable=False),
    Column("details", "web.audit.col.details", sortable=False),
)
FILTERS = ("actor", "action", "target", "since", "until")


@pages.get("/audit")
async def audit(view: View) -> web.StreamResponse:
    table = Table.read(view, COLUMNS, sort="id", descending=True, filters=FILTERS)
    f = table.filters
    wanted = reports.AuditFilter(
        actor=f["actor"],
        action=f["action"],
        target=f["target"],
        since=view.filter_day(f["since"]),
        until=view.filter_day(f["until"]),
    )
    page = table.page(await reports.count_audit(view.work, wanted))
    found = await reports.list_audit(
        view.work, wanted, page.offset, page.size, oldest_first=not table.descending
    )
    tz = view.env.settings.timezone
    rows = [
        [
            fmt_datetime(view.tr, row.created_at, tz),
            row.actor,
            row.action,
            row.target or "",
            json.dumps(row.details, ensure_ascii=False, sort_keys=True) if row.details else "",
        ]
        for row in found
    ]
    return view.render("audit_list.html", table=table, page=page, rows=rows)
