"""The events pages over HTTP (issue 13 §3): the list, create / edit / duplicate / cancel an
event, shifts added one or over days, a shift's registrations with approval, check-in and
check-out with undo, refusals shown as messages, CSRF, and the XLSX export."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from hijridate import Gregorian
from openpyxl import load_workbook
from sqlalchemy import select

from bot.core.dates import fmt_datetime, local_day
from bot.core.i18n import Catalogs
from bot.core.text import isolate
from bot.core.unit import Actor, Unit
from bot.services import registrations
from bot.settings import Settings
from storage.db import Database
from storage.models import AuditLog
from storage.models_events import Event, Shift, ShiftRegistration
from tests.conftest import Clock
from tests.events.support import World, seed_event
from tests.web.rig import csrf_of, link_for, sign_in, staff_user

Client = TestClient[Any, Any]


async def _staff(
    client: Client, db: Database, catalogs: Catalogs, s: Settings, clock: Clock
) -> str:
    """Sign a staff member in; the CSRF token of their session."""
    user_id = await staff_user(db, "staff", external="900")
    await sign_in(client, await link_for(db, catalogs, s, clock(), user_id))
    return csrf_of(await (await client.get("/events")).text())


async def _audits(db: Database, action: str) -> list[AuditLog]:
    async with db.sessions() as s:
        stmt = select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
        return list((await s.execute(stmt)).scalars())


async def _rows(db: Database, model: Any, *where: Any) -> list[Any]:
    async with db.sessions() as s:
        return list((await s.execute(select(model).where(*where).order_by(model.id))).scalars())


def _flash(html: str) -> str:
    found = re.search(r'<p class="flash (?:info|error)">(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


EVENT_FORM = {
    "title_ar": "حملة نظافة <الحي>",
    "title_en": "Clean-up",
    "description_ar": "وصف",
    "type": "cleaning",
    "place": "حديقة الفيصلية",
    "start_day": "2026-12-10",
    "start_time": "08:00",
    "end_day": "2026-12-10",
    "end_time": "12:00",
}


async def test_staff_create_an_event_and_see_it_listed(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    token = await _staff(client, db, catalogs, web_settings, clock)
    form = await client.get("/events/new")
    assert form.status == 200 and 'for="title_ar"' in await form.text()
    done = await client.post("/events/new", data={"csrf": token, **EVENT_FORM})
    html = await done.text()
    assert done.status == 200 and "نُشرت الفعالية." in html
    [event] = await _rows(db, Event)
    assert done.url.path == f"/events/{event.id}"
    assert event.title_ar == "حملة نظافة <الحي>" and event.type == "cleaning"
    assert "حملة نظافة &lt;الحي&gt;" in html  # the typed text is escaped
    # 08:00 in Riyadh (UTC+3) is 05:00 UTC
    assert (event.starts_at.hour, event.ends_at.hour) == (5, 9)
    assert [a.target for a in await _audits(db, "event.created")] == [f"event:{event.id}"]
    listed = await (await client.get("/events?type=cleaning")).text()
    assert f'href="/events/{event.id}"' in listed
    other = await (await client.get("/events?type=national")).text()
    assert f'href="/events/{event.id}"' not in other


async def test_a_refused_event_is_shown_with_the_input_and_nothing_is_written(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    token = await _staff(client, db, catalogs, web_settings, clock)
    wrong = {**EVENT_FORM, "end_time": "07:00"}
    done = await client.post("/events/new", data={"csrf": token, **wrong})
    html = await done.text()
    assert catalogs.translator("ar").t("evf.err.end_before_start") in _flash(html)
    assert 'value="حديقة الفيصلية"' in html
    assert await _rows(db, Event) == []
    missing = await client.post("/events/new", data={"csrf": token, **EVENT_FORM, "place": ""})
    assert catalogs.translator("ar").t("web.ev.err.required") in _flash(await missing.text())
    assert await _rows(db, Event) == []


async def test_post_without_csrf_is_refused(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    await _staff(client, db, catalogs, web_settings, clock)
    done = await client.post("/events/new", data=EVENT_FORM)
    assert done.status == 403
    assert await _rows(db, Event) == []


async def test_edit_duplicate_and_cancel_an_event(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    seeded = await seed_event(db, clock(), days_ahead=5)
    token = await _staff(client, db, catalogs, web_settings, clock)
    edit = await (await client.get(f"/events/{seeded.event_id}/edit")).text()
    assert 'value="منتزه الردف"' in edit
    form = {**EVENT_FORM, "start_day": "2026-11-30", "end_day": "2026-11-30"}
    saved = await client.post(f"/events/{seeded.event_id}/edit", data={"csrf": token, **form})
    assert "تم الحفظ." in _flash(await saved.text())
    assert (await _rows(db, Event))[0].place_name == "حديقة الفيصلية"
    copy = await client.post(
        f"/events/{seeded.event_id}/duplicate",
        data={"csrf": token, "start_day": "2026-12-20", "start_time": "09:00"},
    )
    assert "نُشرت نسخة" in _flash(await copy.text())
    events = await _rows(db, Event)
    assert len(events) == 2 and events[1].title_ar == events[0].title_ar
    assert len(await _rows(db, Shift, Shift.event_id == events[1].id)) == 1
    [dup] = await _audits(db, "event.duplicated")
    assert dup.details == {"source": seeded.event_id}
    cancelled = await client.post(f"/events/{events[1].id}/cancel", data={"csrf": token})
    assert "أُلغيت الفعالية" in _flash(await cancelled.text())
    assert (await _rows(db, Event, Event.id == events[1].id))[0].status == "cancelled"


async def test_shifts_added_over_days_or_refused(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    seeded = await seed_event(db, clock(), days_ahead=5)
    token = await _staff(client, db, catalogs, web_settings, clock)
    shift = {"day": "2026-12-01", "start": "16:00", "end": "20:00", "capacity": "5"}
    done = await client.post(
        f"/events/{seeded.event_id}/shifts",
        data={"csrf": token, **shift, "days": "3", "gender": "f", "approval": "staff"},
    )
    assert "أُضيفت 3 ورديات." in _flash(await done.text())
    made = await _rows(
        db, Shift, Shift.event_id == seeded.event_id, Shift.id != seeded.shift_ids[0]
    )
    assert [s.starts_at.day for s in made] == [1, 2, 3]
    assert all(s.gender == "f" and not s.auto_confirm and s.capacity == 5 for s in made)
    refused = await client.post(
        f"/events/{seeded.event_id}/shifts", data={"csrf": token, **shift, "days": "40"}
    )
    assert catalogs.translator("ar").t("web.ev.err.days", max=31) in _flash(await refused.text())
    past = await client.post(
        f"/events/{seeded.event_id}/shifts",
        data={"csrf": token, **shift, "day": "2026-11-01", "days": "2"},
    )
    assert catalogs.translator("ar").t("err.datetime.past") in _flash(await past.text())
    backwards = await client.post(
        f"/events/{seeded.event_id}/shifts",
        data={"csrf": token, **shift, "end": "15:00", "days": "1"},
    )
    refusal = catalogs.translator("ar").t("evf.err.end_before_start")
    assert refusal in _flash(await backwards.text())  # never moved to the next day
    assert len(await _rows(db, Shift, Shift.event_id == seeded.event_id)) == 4


async def _register(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock, world: World, shift: int
) -> int:
    person = await world.person()
    async with db.transaction() as s:
        unit = Unit(s, Actor.person(person), clock(), catalogs, settings)
        done = await registrations.register_for_shift(unit, shift, waitlist_ok=True)
        return done.registration.id


async def test_approve_check_in_out_and_undo_on_a_shift_page(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    seeded = await seed_event(
        db, clock(), days_ahead=1, shifts=[{"start": 0, "hours": 3, "capacity": 2, "auto": False}]
    )
    world = World(db, catalogs, web_settings, clock())
    shift_id = seeded.shift_ids[0]
    first = await _register(db, catalogs, web_settings, clock, world, shift_id)
    second = await _register(db, catalogs, web_settings, clock, world, shift_id)
    third = await _register(db, catalogs, web_settings, clock, world, shift_id)
    assert (await world.registration(third)).status == "waitlisted"
    token = await _staff(client, db, catalogs, web_settings, clock)
    base = f"/events/{seeded.event_id}/shifts/{shift_id}"
    page = await (await client.get(base)).text()
    assert "متطوع 1" in page and "1••••••" in page and "1000000001" not in page
    assert '<tr><td class="num">1</td><td>متطوع 3</td>' in page  # first on the waitlist

    async def act(reg: int, what: str) -> str:
        done = await client.post(f"{base}/registrations/{reg}/{what}", data={"csrf": token})
        assert done.url.path == base
        return _flash(await done.text())

    tr = catalogs.translator("ar")
    assert await act(first, "approve") == "تم تأكيد متطوع 1."
    assert await act(second, "reject") == "رُفض طلب متطوع 2."
    # rejected, so no longer pending: refused, and nothing changes
    assert await act(second, "approve") == tr.t("eva.err.not_pending", name="متطوع 2")
    assert (await world.registration(second)).status == "cancelled"
    opens = (await world.shift(shift_id)).starts_at - timedelta(minutes=30)  # the default
    when = fmt_datetime(tr, opens, web_settings.timezone)
    assert await act(first, "in") == tr.t("eva.err.too_early", when=when)
    assert (await world.registration(first)).checked_in_at is None
    for _ in range(4):  # a day later, in steps shorter than the session's idle expiry
        clock.now += timedelta(hours=6)
        assert (await client.get(base)).url.path == base
    assert "سُجّل حضور متطوع 1." in await act(first, "in")
    assert "أُلغي تسجيل حضور" in await act(first, "undo-in")
    assert (await world.registration(first)).checked_in_at is None
    await act(first, "in")
    clock.now += timedelta(hours=2)
    assert "سُجّل انصراف متطوع 1: ساعتان." in await act(first, "out")
    page = await (await client.get(base)).text()
    assert "<dd>ساعتان</dd>" in page  # the shift's hours
    assert "أُلغي تسجيل انصراف" in await act(first, "undo-out")
    reg = await world.registration(first)
    assert reg.checked_in_at is not None and reg.checked_out_at is None
    actions = [a.action for a in await _rows(db, AuditLog) if a.action.startswith("attendance")]
    assert actions == [
        "attendance.check_in",
        "attendance.undo_check_in",
        "attendance.check_in",
        "attendance.check_out",
        "attendance.undo_check_out",
    ]
    assert (
        await client.post(f"{base}/registrations/{first}/nope", data={"csrf": token})
    ).status == 404


async def test_the_export_is_an_xlsx_of_the_registrations(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    seeded = await seed_event(db, clock(), days_ahead=1)
    world = World(db, catalogs, web_settings, clock())
    await _register(db, catalogs, web_settings, clock, world, seeded.shift_ids[0])
    await _staff(client, db, catalogs, web_settings, clock)
    done = await client.get(f"/events/{seeded.event_id}/export")
    assert done.status == 200 and "spreadsheetml" in done.headers["Content-Type"]
    sheet = load_workbook(io.BytesIO(await done.read())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "متطوع 1"
    [audit] = await _audits(db, "event.exported")
    assert audit.details == {"rows": 1}
    assert await _rows(db, ShiftRegistration)


def _typed(day: date, *, hijri: bool = False, arabic_digits: bool = False) -> str:
    """A day as staff type it in a filter: d/m/yyyy Gregorian or Hijri (Umm al-Qura)."""
    if hijri:
        h = Gregorian(day.year, day.month, day.day).to_hijri()
        text = f"{h.day}/{h.month}/{h.year}"
    else:
        text = f"{day.day}/{day.month}/{day.year}"
    return text.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")) if arabic_digits else text


async def test_the_events_list_filters_by_a_typed_date_range(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    now = clock()
    soon = await seed_event(db, now, title="قريبة", title_en=None, days_ahead=3)
    later = await seed_event(db, now, title="لاحقة", title_en=None, days_ahead=10)
    old = await seed_event(db, now, title="قديمة", title_en=None, days_ahead=-40)
    await _staff(client, db, catalogs, web_settings, clock)
    zone = web_settings.timezone

    def day(seeded_days: int) -> date:
        return local_day(now + timedelta(days=seeded_days), zone)

    async def listed(**query: str) -> set[int]:
        html = await (await client.get("/events", params=query)).text()
        assert "web.filter" not in html  # every text is translated
        return {int(i) for i in re.findall(r'href="/events/(\d+)"', html)}

    ids = {soon.event_id, later.event_id, old.event_id}
    assert await listed() == ids - {old.event_id}  # the list alone reaches back 30 days
    # Gregorian in ASCII digits, one day: the day's event only.
    assert await listed(**{"from": _typed(day(3)), "to": _typed(day(3))}) == {soon.event_id}
    # Hijri in Arabic-Indic digits, from a day on: the later one.
    hijri = _typed(day(4), hijri=True, arabic_digits=True)
    assert await listed(**{"from": hijri}) == {later.event_id}
    # Up to a day (Gregorian, Arabic-Indic digits); an old event is found by its date.
    upto = _typed(day(3), arabic_digits=True)
    assert await listed(**{"to": upto}) == {soon.event_id}
    assert await listed(**{"from": _typed(day(-41)), "to": _typed(day(-39))}) == {old.event_id}
    # The two days in either order, as the chat takes a range.
    assert await listed(**{"from": _typed(day(10)), "to": _typed(day(3))}) == {
        soon.event_id,
        later.event_id,
    }
    # A date it cannot read is said, and left out (the other filter still applies).
    html = await (
        await client.get("/events", params={"from": "<b>31/31</b>", "to": _typed(day(3))})
    ).text()
    tr = catalogs.translator("ar")
    said = tr.t("web.filter.bad_day", text=isolate("<b>31/31</b>"))
    assert said in html and "<b>31/31" not in html
    assert {int(i) for i in re.findall(r'href="/events/(\d+)"', html)} == {soon.event_id}


async def test_an_events_page_shows_its_date_in_hijri_and_gregorian_in_both_languages(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    seeded = await seed_event(db, clock(), days_ahead=5)
    await _staff(client, db, catalogs, web_settings, clock)
    day = local_day(clock() + timedelta(days=5), web_settings.timezone)
    hijri = Gregorian(day.year, day.month, day.day).to_hijri()
    gregorian = {"ar": "نوفمبر", "en": "November"}
    for locale in ("ar", "en"):
        await client.get(f"/lang/{locale}?next=/", allow_redirects=False)
        html = await (await client.get(f"/events/{seeded.event_id}")).text()
        assert f'lang="{locale}"' in html
        assert f"{hijri.day} {hijri.month_name(locale)} {hijri.year}" in html, locale
        assert f"{day.day} {gregorian[locale]} {day.year}" in html, locale
