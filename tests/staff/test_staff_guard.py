"""Staff screens are guarded by the engine: every flow marked `staff_only` is shown and handled
for staff only, whatever arrives, and losing the role closes the screen (issue 11, item 7).

The flows are taken from the assembled app, so a new staff flow is covered without a change
here. Two ways a role goes: `staff remove` (the repository function the CLI calls, which also
resets the conversation) and an admin taken out of ADMIN_IDS (nothing in the database changes:
only the engine's guard stands between them and the screen they had open).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.core.choice_ids import ChoiceRef
from bot.core.engine import Engine
from bot.core.flow import BotApp, Command, Context
from bot.core.i18n import Catalogs
from bot.handlers import build_app
from bot.settings import Settings, load_settings
from storage import repositories as repo
from storage.db import Database
from storage.models import AuditLog, Conversation
from tests.conftest import Clock, DatabaseFactory
from tests.events.support import register, seed_event
from tests.families.support import APPLICANT, FAMILY_NAME, submitted
from tests.support import ADULT_ANSWERS, Chat, plain, text_of

VOLUNTEER = str(ADULT_ANSWERS[0][1])
PHONE = "512345678"  # the volunteer's and the family's mobile, however it is written
# What staff screens show about people; none of it may reach someone who is not staff.
PERSONAL = (VOLUNTEER, FAMILY_NAME, APPLICANT, PHONE)
SECRET = "staff action done"
# Every staff tool the app has today; a new one is covered by being marked, not by this list.
KNOWN_STAFF_FLOWS = {"staff", "bc", "bcl", "eva", "evf", "esf", "fsa", "fsf", "frv"}
EVERYONES_FLOWS = {"menu", "lang", "pv", "vol", "md", "ev", "evm"}
EVERYONES_FLOWS |= {"fam", "fm", "fsp", "fsr", "fmy", "fia"}  # productive families
BIDI = dict.fromkeys(map(ord, "\u200e\u200f\u2066\u2067\u2068\u2069"))


def guarded_app() -> BotApp:
    """The real app plus doors a test needs: `/enter <flow>` puts staff straight on any staff
    flow's first screen; `/open <flow>` does the same without a role check of its own (so only
    the engine's flow guard can refuse it); "tsx:…" is a staff button in a notification;
    `/boom` is a bug (the failed update is rolled back and the current step shown again)."""
    app = build_app()

    async def enter(ctx: Context) -> None:
        await ctx.goto(ctx.inbound.args.strip())

    async def staff_button(ctx: Context, ref: ChoiceRef) -> None:
        ctx.reply(SECRET)
        await ctx.show_current()

    async def boom(ctx: Context) -> None:
        raise RuntimeError("a bug")

    app.add_command(Command("enter", enter, "cmd.staff", staff_only=True))
    app.add_command(Command("boom", boom, "cmd.help"))
    app.add_command(Command("open", enter, "cmd.staff"))
    app.add_global_choice("tsx", staff_button, staff_only=True)
    return app


STAFF_FLOWS = sorted(guarded_app().staff_flows)


@dataclass
class World:
    db: Database
    staff: Engine  # "console:boss" is an admin (ADMIN_IDS)
    plain: Engine  # the same database, with ADMIN_IDS empty
    event_id: int
    shift_id: int
    request_id: int


@pytest.fixture
async def world(db: Database, catalogs: Catalogs, settings: Settings, clock: Clock) -> World:
    app = guarded_app()
    staff = Engine(app, db, catalogs, settings, clock=clock)
    no_admins = load_settings(**{**settings.model_dump(), "admin_ids": []})
    plain_engine = Engine(app, db, catalogs, no_admins, clock=clock)
    seeded = await seed_event(db, clock.now)
    volunteer = Chat(staff, user="v")
    await volunteer.signup()
    await register(volunteer, seeded.event_id, seeded.shift_ids[0])
    request_id = await submitted(staff, db, "f", seed=1)
    return World(db, staff, plain_engine, seeded.event_id, seeded.shift_ids[0], request_id)


def visible(chat: Chat) -> str:
    """Everything the last replies show: texts and button labels, without direction marks."""
    parts = [o.text for o in chat.last] + [c.label for o in chat.last for c in o.choices]
    return "\n".join(parts).translate(BIDI)


def leaked(chat: Chat) -> list[str]:
    shown = visible(chat)
    return [p for p in PERSONAL if p in shown]


async def open_screen(chat: Chat, flow: str, w: World) -> list[str]:
    """Put a staff member on a screen of `flow` (the one with people's data where the flow
    has one); returns the ids of the buttons it offers."""
    await chat.send("/menu")
    if flow == "eva":
        await chat.send("/staff")
        await chat.press("eva")
        await chat.press(f"e{w.event_id}")
        await chat.press(f"s{w.shift_id}")
        await chat.press("rg")
        assert VOLUNTEER in visible(chat)
    elif flow == "frv":
        await chat.send("/staff")
        await chat.press("frv")
        await chat.press(f"r{w.request_id}")
        assert {APPLICANT, FAMILY_NAME, PHONE} <= {p for p in PERSONAL if p in visible(chat)}
    else:
        await chat.send(f"/enter {flow}")
    ids = [cid for cid, _ in chat.choices]
    assert ids and all(cid.startswith(f"{flow}:") for cid in ids), (flow, ids)
    return ids


async def audit_rows(db: Database) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.count(AuditLog.id)))).scalar_one())


async def conversation_of(db: Database, user: str) -> Conversation | None:
    async with db.sessions() as session:
        found = await repo.find_identity(session, "console", user)
        assert found is not None
        return await repo.get_conversation(session, found[1].id)


async def set_role(db: Database, user: str, role: str) -> None:
    async with db.transaction() as session:
        await repo.set_role(session, "console", user, role)


def on_main_menu(chat: Chat) -> bool:
    return bool(chat.choices) and all(cid.startswith("menu:main:") for cid, _ in chat.choices)


def no_staff_trace(chat: Chat, staff_flows: list[str]) -> None:
    assert not leaked(chat), (leaked(chat), chat.text)
    offered = [c.id for o in chat.last for c in o.choices]
    assert not [cid for cid in offered if cid.split(":", 1)[0] in staff_flows], offered
    assert on_main_menu(chat), chat.choices


Input = Callable[[Chat, list[str]], Awaitable[object]]
INPUTS: list[tuple[str, Input]] = [
    ("stale_button", lambda chat, ids: chat.press_id(ids[0])),
    ("text", lambda chat, ids: chat.send("نعم")),
    ("help", lambda chat, ids: chat.send("/help")),
    ("stop", lambda chat, ids: chat.send("/stop")),
    ("unknown_command", lambda chat, ids: chat.send("/foo")),
    ("number", lambda chat, ids: chat.send("١")),
]


@pytest.mark.parametrize("how", ["staff_remove", "admin_ids"])
@pytest.mark.parametrize("flow", STAFF_FLOWS)
async def test_a_removed_role_closes_every_staff_screen(world: World, flow: str, how: str) -> None:
    w = world
    user = "s" if how == "staff_remove" else "boss"
    before_engine = w.staff
    after_engine = w.plain if how == "admin_ids" else w.staff
    await Chat(before_engine, user=user).onboard()
    failed: dict[str, str] = {}  # every input is tried, so a failure names all that leak
    for name, send in INPUTS:
        if how == "staff_remove":
            await set_role(w.db, user, "staff")
        ids = await open_screen(Chat(before_engine, user=user), flow, w)
        if how == "staff_remove":
            await set_role(w.db, user, "user")
        audits = await audit_rows(w.db)

        chat = Chat(after_engine, user=user)
        await send(chat, ids)
        try:
            no_staff_trace(chat, STAFF_FLOWS)
            if name == "stop":  # the command itself still did its work
                assert plain(text_of("ar", "announce.stopped")) in plain(chat.text)
            assert await audit_rows(w.db) == audits  # nothing a staff button does happened
            conversation = await conversation_of(w.db, user)
            assert conversation is not None and conversation.flow == "menu"
            assert not set((conversation.data or {}).get("drafts") or {}) & set(STAFF_FLOWS)
        except AssertionError as err:
            failed[name] = str(err)[:300]
            await Chat(before_engine, user=user).send("/menu")  # a clean start for the next
    assert not failed, f"leaked after {sorted(failed)}: {failed}"


async def test_drafts_of_staff_forms_go_with_the_role(world: World) -> None:
    """A half-written broadcast kept as a draft is dropped once its author is not staff."""
    boss = Chat(world.staff, user="boss")
    await boss.onboard()
    await boss.send("/broadcast")
    await boss.press("all")
    await boss.send("إعلان لم يكتمل")
    await open_screen(boss, "frv", world)
    conversation = await conversation_of(world.db, "boss")
    assert conversation is not None and "bc" in (conversation.data or {}).get("drafts", {})
    former = Chat(world.plain, user="boss")
    await former.send("/menu")
    conversation = await conversation_of(world.db, "boss")
    assert conversation is not None and not (conversation.data or {}).get("drafts")
    assert "إعلان لم يكتمل" not in str(conversation.data)


@pytest.mark.parametrize("flow", ["eva", "frv"])
async def test_the_sorry_after_a_failure_does_not_reshow_a_closed_staff_screen(
    world: World, flow: str, caplog: pytest.LogCaptureFixture
) -> None:
    boss = Chat(world.staff, user="boss")
    await boss.onboard()
    await open_screen(boss, flow, world)
    former = Chat(world.plain, user="boss")
    await former.send("/boom")
    assert plain(text_of("ar", "err.internal")) in plain(former.text)
    no_staff_trace(former, STAFF_FLOWS)
    assert "a bug" in caplog.text


async def test_every_staff_tool_is_marked_staff_only() -> None:
    app = build_app()
    assert set(app.staff_flows) >= KNOWN_STAFF_FLOWS
    assert set(app.flows) >= EVERYONES_FLOWS
    assert not EVERYONES_FLOWS & set(app.staff_flows)
    # The notification buttons of the real app are all for their recipients (a family's
    # offer, a volunteer's event or rating): none is a staff action today.
    assert app.staff_choices == set()


@pytest.mark.parametrize("flow", STAFF_FLOWS)
async def test_a_forged_button_does_not_enter_a_staff_flow(world: World, flow: str) -> None:
    w = world
    boss = Chat(w.staff, user="boss")
    await boss.onboard()
    ids = await open_screen(boss, flow, w)
    visitor = Chat(w.staff, user="p")
    await visitor.onboard()
    audits = await audit_rows(w.db)
    for forged in [*ids, f"{flow}:~:x", f"{flow}:main:back"]:
        await visitor.press_id(forged)
        no_staff_trace(visitor, STAFF_FLOWS)
    # A door that forgets to check the role is still refused by the flow's mark.
    await visitor.send(f"/open {flow}")
    assert plain(text_of("ar", "staff.only")) in plain(visitor.text)
    no_staff_trace(visitor, STAFF_FLOWS)
    assert await audit_rows(w.db) == audits
    conversation = await conversation_of(w.db, "p")
    assert conversation is not None and conversation.flow == "menu"


async def test_a_staff_button_in_a_notification_is_for_staff_only(world: World) -> None:
    visitor = Chat(world.staff, user="p")
    await visitor.onboard()
    await visitor.press_id("tsx:a:1")
    assert SECRET not in visitor.text
    assert plain(text_of("ar", "staff.only")) in plain(visitor.text)
    assert on_main_menu(visitor)
    boss = Chat(world.staff, user="boss")
    await boss.onboard()
    await boss.press_id("tsx:a:1")
    assert SECRET in boss.text
    # An admin taken out of ADMIN_IDS presses the button still in their chat.
    former = Chat(world.plain, user="boss")
    await former.press_id("tsx:a:1")
    assert SECRET not in former.text
    assert plain(text_of("ar", "staff.only")) in plain(former.text)


async def test_losing_the_role_resets_the_conversation(world: World) -> None:
    w = world
    chat = Chat(w.staff, user="s")
    await chat.onboard()
    await set_role(w.db, "s", "staff")
    await chat.send("/broadcast")
    await chat.press("all")
    await chat.send("إعلان لم يكتمل")  # a half-written broadcast, kept as a draft below
    await open_screen(chat, "frv", w)
    # Becoming admin is not losing the role: the screen stays.
    await set_role(w.db, "s", "admin")
    assert (await conversation_of(w.db, "s")) is not None
    await set_role(w.db, "s", "user")
    assert await conversation_of(w.db, "s") is None
    await chat.send("/menu")
    assert on_main_menu(chat) and not leaked(chat)
    # Staff again: the old draft and screen are gone for good.
    await set_role(w.db, "s", "staff")
    await chat.send("/broadcast")
    assert plain(text_of("ar", "form.resumed")) not in plain(chat.text)
    # A plain user made "user" again keeps where they are.
    visitor = Chat(w.staff, user="p")
    await visitor.start_signup()
    await set_role(w.db, "p", "user")
    conversation = await conversation_of(w.db, "p")
    assert conversation is not None and conversation.flow == "vol"


async def test_staff_remove_on_the_command_line_resets_the_conversation(
    world: World,
    db_factory: DatabaseFactory,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    if db_factory.backend != "sqlite":
        pytest.skip("the command line reaches the test database by URL: SQLite only")
    w = world
    monkeypatch.chdir(tmp_path)  # no .env of the caller's
    monkeypatch.setenv("DATABASE_URL", db_factory.url)
    monkeypatch.setenv("ADMIN_IDS", "")
    chat = Chat(w.staff, user="s")
    await chat.onboard()
    assert await asyncio.wait_for(asyncio.to_thread(main, ["staff", "add", "console:s"]), 30) == 0
    await open_screen(chat, "frv", w)
    code = await asyncio.wait_for(asyncio.to_thread(main, ["staff", "remove", "console:s"]), 30)
    assert code == 0
    assert await conversation_of(w.db, "s") is None
    async with w.db.sessions() as session:
        found = await repo.find_identity(session, "console", "s")
    assert found is not None and found[1].role == "user"
    await chat.press_id(chat.choices[0][0])
    no_staff_trace(chat, STAFF_FLOWS)
