"""The whole way of a partner initiative in chat: a representative proposes it, staff ask a
question, the representative answers, staff approve, open an event with a shift, a volunteer
sees the partner's name and joins, and the partner's representatives are told (issue 15
items 2 and 4)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import initiatives as svc
from bot.settings import Settings
from storage.db import Database
from storage.models_events import Event, Shift
from storage.models_partners import APPROVED, INFO, SUBMITTED
from tests.conftest import Clock
from tests.events.support import volunteers
from tests.families.support import staff, user_id
from tests.initiatives.support import (
    PARTNER_AR,
    audit_actions,
    initiatives,
    outbox_for,
    propose,
    representative,
)
from tests.support import Chat, plain, text_of


async def test_propose_review_answer_approve_event_join_notice(
    engine: Engine, db: Database, clock: Clock, catalogs: Catalogs, settings: Settings
) -> None:
    boss = await staff(engine)
    rep = await representative(engine, db)
    await rep.send("/start")
    assert rep.offers("ini") and rep.offers("inm")
    await propose(rep)
    assert "أُرسلت المبادرة رقم" in rep.text
    [initiative] = await initiatives(db)
    assert initiative.status == SUBMITTED
    assert (initiative.start_date, initiative.end_date) == (date(2026, 12, 10), date(2026, 12, 12))
    assert initiative.volunteers_wanted == 25 and initiative.district == "shuhada_shamaliya"
    assert initiative.category == "environment"

    # Staff are told, and open it from the notice's button; or from the staff panel.
    [new] = await outbox_for(db, "boss")
    assert new.payload["key"] == "ini.stn.proposed"
    assert new.payload["params"]["link"].endswith(f"/initiatives/{initiative.id}")
    await boss.press_id(new.payload["choices"][0]["id"])
    assert "حملة تشجير حي الشهداء" in boss.text and PARTNER_AR in boss.text
    await boss.send("/staff")
    await boss.press("irv")
    assert "حملة تشجير حي الشهداء" in boss.text
    await boss.press(f"i{initiative.id}")
    await boss.press("in")
    await boss.send("كم عدد الشتلات؟")
    assert (await initiatives(db))[0].status == INFO
    [asked] = await outbox_for(db, "rep")
    assert asked.payload["key"] == "ini.n.needs_info"
    assert asked.payload["params"]["question"] == "كم عدد الشتلات؟"

    # The representative answers from the notice's button; staff see the answer.
    [button] = asked.payload["choices"]
    await rep.press_id(button["id"])
    assert "كم عدد الشتلات؟" in rep.text
    await rep.send("مئة شتلة")
    assert "وصل ردّك" in rep.text
    assert (await initiatives(db))[0].status == SUBMITTED
    assert (await outbox_for(db, "boss"))[-1].payload["key"] == "ini.stn.answered"
    await boss.send("/staff")
    await boss.press("irv")
    await boss.press(f"i{initiative.id}")
    assert "مئة شتلة" in boss.text
    await boss.press("ap")
    assert (await initiatives(db))[0].status == APPROVED
    keys = [m.payload["key"] for m in await outbox_for(db, "rep")]
    assert keys == ["ini.n.needs_info", "ini.n.approved"]
    assert {"initiative.proposed", "initiative.info", "initiative.answered"} <= set(
        await audit_actions(db)
    )
    assert "initiative.approved" in await audit_actions(db)
    # "My initiatives" shows the status.
    await rep.send("/start")
    await rep.press("inm")
    assert "معتمدة" in rep.text

    # Staff open an event with one shift for it.
    boss_id = await user_id(db, "boss")
    async with db.transaction() as session:
        unit = Unit(session, Actor.person(boss_id, "admin"), clock.now, catalogs, settings)
        start = clock.now + timedelta(days=15)
        event = await svc.open_event_for_initiative(
            unit,
            initiative.id,
            place="حديقة الشهداء",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            capacity=5,
        )
        event_id = event.id
    async with db.sessions() as session:
        stored = await session.get(Event, event_id)
        assert stored is not None and stored.initiative_id == initiative.id
        shift_id = (
            await session.execute(select(Shift.id).where(Shift.event_id == event_id))
        ).scalar_one()

    # A volunteer sees the partner's name on the event and joins.
    [vol] = await volunteers(engine, "v1")
    await vol.send("/events")
    await vol.press(f"e{event_id}")
    assert f"بالشراكة مع: {PARTNER_AR}" in vol.text
    await vol.press(f"s{shift_id}")
    joined = (await outbox_for(db, "rep"))[-1]
    assert joined.payload["key"] == "ini.n.volunteer_joined"
    assert joined.payload["n"] == 1
    # Nothing about the volunteer but the count.
    assert set(joined.payload["params"]) == {"event"}
    assert "محمد" not in str(joined.payload)


async def test_every_confirmed_representative_is_told_in_their_language(
    engine: Engine, db: Database
) -> None:
    rep = await representative(engine, db, "rep", locale="en")
    await propose(rep)
    assert "was sent to the team" in rep.text
    [initiative] = await initiatives(db)
    boss = await staff(engine)
    await boss.send("/staff")
    await boss.press("irv")
    await boss.press(f"i{initiative.id}")
    await boss.press("rj")
    await boss.send("المكان غير مناسب")
    [told] = await outbox_for(db, "rep")
    assert told.payload["key"] == "ini.n.rejected"
    assert told.payload["params"]["note"] == "المكان غير مناسب"
    await rep.send("/start")
    await rep.press("inm")
    assert "Rejected" in rep.text and "المكان غير مناسب" in rep.text


async def test_a_pending_or_stranger_cannot_propose(engine: Engine, db: Database) -> None:
    stranger = Chat(engine, user="s1")
    await stranger.onboard()
    assert not stranger.offers("ini")
    await stranger.send("/initiative")
    assert "ممثلي الجهات الشريكة المعتمدين" in stranger.text
    pending = await representative(engine, db, "p1", member_status="pending")
    await pending.send("/start")
    assert not pending.offers("ini")
    await pending.send("/initiative")
    assert "ممثلي الجهات الشريكة المعتمدين" in pending.text
    # A confirmed member of a partner not (yet) approved neither.
    unapproved = await representative(engine, db, "p2", status="submitted")
    await unapproved.send("/initiative")
    assert "ممثلي الجهات الشريكة المعتمدين" in unapproved.text
    assert await initiatives(db) == []


async def test_a_forged_staff_button_does_not_open_the_review(engine: Engine, db: Database) -> None:
    rep = await representative(engine, db)
    await propose(rep)
    [initiative] = await initiatives(db)
    await rep.press_id(f"iro:o:{initiative.id}")
    assert plain(text_of("ar", "staff.only")) in plain(rep.text)
    assert not rep.offers("ap")
    assert (await initiatives(db))[0].status == SUBMITTED
