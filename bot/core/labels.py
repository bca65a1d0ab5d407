"""Questions a menu's labels share while it is drawn."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from bot.core.flow import Context
from storage.person_facts import PersonFacts
from storage.person_facts import person_facts as facts_of

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


async def person_facts(ctx: Context) -> PersonFacts:
    """Is this person a volunteer, a partner's representative? One statement on the update's
    connection (storage/person_facts.py), once per menu drawn; what a step changed through
    the session in this update counts, so it is flushed first."""

    async def ask() -> PersonFacts:
        await ctx.flush()
        return await facts_of(ctx.connection, ctx.user.id)

    return await remembered(ctx, "person_facts", ask)
