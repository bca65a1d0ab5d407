"""A sweep over the assembled app (`bot.handlers.build_app`): every choice step reachable by
typing — from the main menu of a staff member who is also a volunteer, with an event, a market
site and a family's request in the database — is answered by typing each option's label in full,
and must take it as that option. Console and WhatsApp have no buttons: typing is all there is.

The walk types labels only (never presses), so each step it reaches was itself reached by typed
labels. To try every option of a step, the conversation row is put back as it was before each
one (the domain changes the options made stay; they only widen what later steps show). Forms are
reached through their summaries (a saved profile, a site, an event …), whose edit menus lead to
every field.

At each step that takes nothing but its choices, an answer that is none of them must get the
one wrong-answer message, listing every choice.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.core.choice_ids import choice_value, is_navigation
from bot.core.engine import Engine
from bot.core.flow import Flow, FlowState
from bot.core.forms import EDIT, SUMMARY, FieldKind, Form
from bot.core.messages import InboundKind
from bot.handlers.common import MY_DATA
from storage.db import Database
from storage.models import ChannelIdentity, Conversation, User
from tests.conftest import Clock
from tests.events.support import register, seed_event
from tests.families.support import add_site, submitted
from tests.support import ADULT_ANSWERS, Chat, plain, text_of

pytestmark = pytest.mark.timeout(300)

# Enough for every screen of the app today; a limit so that a paging bug cannot loop forever.
MAX_STEPS = 400
GARBAGE = "zzqx qqq"


@dataclass(frozen=True)
class Snapshot:
    flow: str
    step: str
    data: dict[str, Any]
    locale: str
    shown: tuple[tuple[str, str], ...]

    @property
    def key(self) -> tuple[str, str]:
        return self.flow, self.step


class Walker:
    def __init__(self, engine: Engine, db: Database, chat: Chat) -> None:
        self.engine, self.db, self.chat = engine, db, chat
        self.problems: list[str] = []
        self.typed = 0
        self.wrong_checked = 0
        self.steps: set[tuple[str, str]] = set()

    async def user_id(self) -> int:
        async with self.db.sessions() as session:
            found = await session.execute(
                select(ChannelIdentity.user_id).where(
                    ChannelIdentity.channel == self.chat.channel,
                    ChannelIdentity.external_id == self.chat.user,
                )
            )
            return int(found.scalar_one())

    async def snapshot(self) -> Snapshot:
        uid = await self.user_id()
        async with self.db.sessions() as session:
            conv = (
                await session.execute(select(Conversation).where(Conversation.user_id == uid))
            ).scalar_one()
            locale = (await session.execute(select(User.locale).where(User.id == uid))).scalar()
        data = dict(conv.data or {})
        shown = tuple((str(cid), str(label)) for cid, label in data.get("shown") or [])
        return Snapshot(conv.flow, conv.step, data, str(locale or "ar"), shown)

    async def restore(self, snap: Snapshot) -> None:
        uid = await self.user_id()
        async with self.db.transaction() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.user_id == uid)
                .values(flow=snap.flow, step=snap.step, data=snap.data)
            )
            await session.execute(update(User).where(User.id == uid).values(locale=snap.locale))

    def _skip(self, snap: Snapshot, cid: str) -> bool:
        # "Yes, delete all my data" would delete the walker itself.
        return snap.flow == MY_DATA and choice_value(cid) == "yes"

    def _choices_only(self, flow: Flow, step: str) -> bool:
        if not flow.reads_input(step):
            return True
        if isinstance(flow, Form):
            if step in (SUMMARY, EDIT):
                return True
            field = next((f for f in flow.fields if f.name == step), None)
            return field is not None and field.kind is FieldKind.CHOICE and field.parse is None
        return False

    async def visit(self, snap: Snapshot) -> list[Snapshot]:
        flow = self.engine.app.flows.get(snap.flow)
        if flow is None or not snap.shown:
            return []
        self.steps.add(snap.key)
        where = f"{snap.flow}:{snap.step} ({snap.locale})"
        state = FlowState(snap.flow, snap.step, shown=[list(s) for s in snap.shown])
        if flow.wants_typed_text(snap.step):
            # Typed text is the answer there (a note, a count); only navigation is typed.
            for cid, label in snap.shown:
                inbound = self.chat.inbound(InboundKind.TEXT, label)
                if (
                    is_navigation(cid)
                    and self.engine.match_typed(state, inbound, flow).unique != cid
                ):
                    self.problems.append(f"{where}: {label!r} is not its button")
            return []
        wrong = plain(text_of(snap.locale, "err.choice.wrong")).split("{")[0].strip()
        ambiguous = plain(text_of(snap.locale, "err.choice.ambiguous")).split("\n")[-1]
        found: list[Snapshot] = []
        for cid, label in snap.shown:
            inbound = self.chat.inbound(InboundKind.TEXT, label)
            match = self.engine.match_typed(state, inbound, flow)
            if match.unique != cid:
                self.problems.append(f"{where}: {label!r} matches {match.ids}, not {cid}")
                continue
            if self._skip(snap, cid):
                continue
            await self.restore(snap)
            await self.chat.send(label)
            self.typed += 1
            reply = plain(self.chat.text)
            if wrong in reply or ambiguous in reply:
                self.problems.append(f"{where}: typed {label!r} was refused:\n{reply}")
            found.append(await self.snapshot())
        if self._choices_only(flow, snap.step):
            await self.restore(snap)
            await self.chat.send(GARBAGE)
            self.wrong_checked += 1
            reply = plain(self.chat.text)
            missing = [label for _, label in snap.shown if escape(label, quote=False) not in reply]
            if wrong not in reply or missing:
                self.problems.append(f"{where}: a wrong answer got {reply!r}")
        return found

    async def walk(self) -> None:
        start = await self.snapshot()
        queue, queued = deque([start]), {start.key}
        while queue and len(queued) < MAX_STEPS:
            for found in await self.visit(queue.popleft()):
                if found.key not in queued:
                    queued.add(found.key)
                    queue.append(found)


async def _world(engine: Engine, db: Database, now: datetime, locale: str) -> Chat:
    """An event with two shifts, a market site with a family's request, and a staff member
    (ADMIN_IDS has console:boss) signed up as a volunteer and registered for a shift, at the
    main menu."""
    event = await seed_event(db, now, shifts=[{"start": 0, "hours": 3}, {"start": 5, "hours": 2}])
    site = await add_site(db)
    await submitted(engine, db, "family1", seed=1, site_id=site)
    boss = Chat(engine, user="boss")
    await boss.onboard(locale)
    await boss.press("vol")
    for how, value in ADULT_ANSWERS:
        await boss.answer(how, value)
    await boss.press("_ok")
    await register(boss, event.event_id, event.shift_ids[0])
    await boss.send("/menu")
    return boss


@pytest.mark.parametrize("locale", ["ar", "en"])
async def test_every_label_typed_in_full_is_its_choice(
    engine: Engine, db: Database, clock: Clock, locale: str
) -> None:
    boss = await _world(engine, db, clock.now, locale)
    walker = Walker(engine, db, boss)
    await walker.walk()
    assert not walker.problems, "\n\n".join(walker.problems)
    # The walk really went through the app: the menus, the staff panel and its tools, forms.
    flows = {flow for flow, _ in walker.steps}
    assert {"menu", "staff", "vol", "ev", "eva", "bc", "fsf", "frv"} <= flows, sorted(walker.steps)
    assert len(walker.steps) >= 70, sorted(walker.steps)
    assert walker.wrong_checked >= 40
