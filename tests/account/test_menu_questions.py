"""The main menu's entries that ask about the person (a volunteer? a partner's representative?)
ask once per menu drawn, in one statement, and only while it is drawn (issue 18)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from bot.core.engine import Engine
from bot.core.labels import remembered
from bot.core.messages import InboundKind
from bot.handlers.account.menu import show_entries
from tests.support import Chat, plain, text_of


def labels(chat: Chat) -> list[str]:
    return [plain(c.label) for out in chat.last for c in out.choices]


async def test_each_question_is_asked_once_per_main_menu(engine: Engine) -> None:
    chat = Chat(engine)
    await chat.send("/start")
    await chat.press("ar")
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sync_engine = engine.db.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        await chat.press("yes")  # the privacy notice accepted: the main menu
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)
    assert text_of("ar", "menu.volunteer") in labels(chat)
    # Both questions are one statement (storage/person_facts.py), asked once for the whole
    # menu; the load's gender subquery is the only other mention of volunteers.
    facts = [s for s in statements if s.startswith("SELECT EXISTS")]
    assert len(facts) == 1
    assert "volunteers" in facts[0] and "partner_members" in facts[0]
    assert not any(s.startswith(("SELECT volunteers.", "SELECT partners.")) for s in statements)


async def test_a_new_volunteer_sees_the_entries_of_volunteers_at_once(engine: Engine) -> None:
    chat = Chat(engine)
    await chat.signup()
    shown = labels(chat)
    assert text_of("ar", "menu.my_profile") in shown
    assert text_of("ar", "menu.certificate") in shown


async def test_answers_are_kept_only_while_a_menu_is_drawn(engine: Engine) -> None:
    chat = Chat(engine)
    await chat.onboard()
    asked = 0

    async def ask() -> int:
        nonlocal asked
        asked += 1
        return asked

    async with engine.db.writing() as conn:
        ctx = await engine._load(conn, chat.inbound(InboundKind.TEXT, "x"))
        assert await remembered(ctx, "q", ask) == 1
        assert await remembered(ctx, "q", ask) == 2, "outside a menu: asked every time"
        await show_entries(ctx, "main", ctx.app.menu)
        assert ctx.label_answers is None, "nothing kept once the menu is drawn"
        assert await remembered(ctx, "q", ask) == 3
