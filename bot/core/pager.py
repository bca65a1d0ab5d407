"""One pager for every long list in chat (events, registrants, the review queue, sites,
scheduled broadcasts): which slice to show, the "page 2 of 5" line, the previous / next buttons,
and what a press of one of them means. The page number lives in the flow's data under a key the
flow chooses, so one screen may page two lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from bot.core.messages import Choice

if TYPE_CHECKING:
    from bot.core.flow import Context

PREV = "_pv"
NEXT = "_nx"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page:
    """Page `number` (from 0) of `pages`, `size` items each, over `total` items."""

    number: int
    size: int
    total: int

    @classmethod
    def of(cls, total: int, requested: int, size: int) -> Page:
        """The requested page, moved back inside the list when it has shrunk meanwhile."""
        pages = max(1, -(-total // size))
        return cls(min(max(requested, 0), pages - 1), size, total)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return self.number * self.size

    @property
    def has_prev(self) -> bool:
        return self.number > 0

    @property
    def has_next(self) -> bool:
        return self.offset + self.size < self.total

    def slice(self, items: Sequence[T]) -> Sequence[T]:
        return items[self.offset : self.offset + self.size]

    def first_number(self) -> int:
        """The running number (from 1) of this page's first item."""
        return self.offset + 1


def page_line(ctx: Context, page: Page) -> str | None:
    """ "Page 2 of 5", or None when everything fits on one page."""
    if page.pages <= 1:
        return None
    return ctx.tr.t("ev.page", page=page.number + 1, pages=page.pages)


def page_choices(ctx: Context, step: str, page: Page) -> list[Choice]:
    """The previous / next buttons a page needs, offered at `step` of the current flow."""
    choices = []
    if page.has_prev:
        choices.append(ctx.choice(step, PREV, "ev.btn.prev"))
    if page.has_next:
        choices.append(ctx.choice(step, NEXT, "ev.btn.next"))
    return choices


def turn(ctx: Context, value: str, key: str = "page") -> bool:
    """If `value` is a previous / next press, move the page kept under `key` in the flow's
    data and say so; the caller then shows the list again (Page.of clamps the end)."""
    if value not in (PREV, NEXT):
        return False
    current = int(ctx.state.data.get(key, 0))
    ctx.state.data[key] = max(current + (1 if value == NEXT else -1), 0)
    return True


def current_page(ctx: Context, total: int, size: int, key: str = "page") -> Page:
    """The page to show now, remembered (clamped) under `key`."""
    page = Page.of(total, int(ctx.state.data.get(key, 0)), size)
    ctx.state.data[key] = page.number
    return page
