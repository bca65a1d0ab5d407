"""Questions a menu's labels share while it is drawn."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from bot.core.flow import Context

T = TypeVar("T")


async def remembered(ctx: Context, question: str, ask: Callable[[], Awaitable[T]]) -> T:
    """`ask()`, asked once per menu drawn: several entries of the main menu ask the same thing
    (is this a volunteer? which partners do they act for?), a query each. Labels only read;
    outside them (`ctx.label_answers` is None) it is asked every time, as an action may change
    the answer."""
    answers = ctx.label_answers
    if answers is None:
        return await ask()
    if question not in answers:
        answers[question] = await ask()
    return cast(T, answers[question])
