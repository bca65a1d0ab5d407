"""The state of a sortable, filterable, paged table, read from the query string, for the
`data_table`, `filter_form` and `pager` macros of templates/macros.html.

    COLUMNS = (Column("name", "web.col.name"), Column("created", "web.col.created"))

    table = Table.read(view, COLUMNS, sort="created", descending=True, filters=("q", "site"))
    total = await count_things(view.work, **table.filters)
    page = table.page(total)                    # bot.core.pager.Page: offset, size, pages
    rows = await list_things(view.work, table.sort, table.descending, page.offset, page.size)
    return view.render("things.html", table=table, page=page, rows=rows)

Every link the macros draw keeps the other parameters (filters, sort) and so works without
JavaScript; an unknown sort column or a bad page number falls back to the defaults.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bot.core.pager import Page
from bot.web.page import View

PAGE_SIZE = 25


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the sort value in the address (?sort=key)
    label: str  # its heading's msgid
    sortable: bool = True
    numeric: bool = False  # aligned to the end, tabular figures
    moment: bool = False  # a date (Hijri and Gregorian): kept wide enough to read at 360 px


@dataclass(frozen=True)
class Table:
    path: str
    columns: tuple[Column, ...]
    sort: str
    descending: bool
    number: int  # the requested page, from 0
    size: int
    filters: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(
        cls,
        view: View,
        columns: Iterable[Column],
        *,
        sort: str,
        descending: bool = False,
        filters: Iterable[str] = (),
        size: int = PAGE_SIZE,
    ) -> Table:
        query = view.request.query
        cols = tuple(columns)
        sortable = {c.key for c in cols if c.sortable}
        chosen = query.get("sort", sort)
        if chosen not in sortable:
            chosen = sort
        order = query.get("order")
        desc = descending if order not in ("asc", "desc") else order == "desc"
        try:
            number = max(0, int(query.get("page", "1")) - 1)
        except ValueError:
            number = 0
        # Filters are plain text; a page validates them as its service needs.
        found = {name: query.get(name, "").strip()[:100] for name in filters}
        return cls(view.request.path, cols, chosen, desc, number, size, found)

    def page(self, total: int) -> Page:
        return Page.of(total, self.number, self.size)

    def href(self, **changes: str | int | None) -> str:
        """This table's address with some parameters changed (None removes one)."""
        params: dict[str, str] = {k: v for k, v in self.filters.items() if v}
        params["sort"] = self.sort
        params["order"] = "desc" if self.descending else "asc"
        for key, value in changes.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = str(value)
        return f"{self.path}?{urlencode(params)}"

    def sort_href(self, column: Column) -> str:
        """Sorting by a column: ascending first, the other way when it is already sorted so."""
        flip = column.key == self.sort and not self.descending
        return self.href(sort=column.key, order="desc" if flip else "asc", page=None)

    def aria_sort(self, column: Column) -> str:
        if column.key != self.sort:
            return "none"
        return "descending" if self.descending else "ascending"

    def page_href(self, page: Page, number: int) -> str:
        return self.href(page=min(max(number, 0), page.pages - 1) + 1)
