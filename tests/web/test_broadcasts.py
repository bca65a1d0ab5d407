"""Broadcast pages over HTTP: the history, composing (count, preview, refusals, send, schedule,
quiet hours), a broadcast's progress (page and JSON), stop and cancel, CSRF. Every action goes
through bot.services.broadcasts; these tests read what it wrote."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.core.i18n import Catalogs
from bot.core.text import isolate
from bot.settings import Settings
from fakes.telegram_api import FakeTelegramServer
from storage.db import Database
from storage.models import AuditLog, Broadcast, OutboxMessage
from tests.conftest import Clock
from tests.delivery.support import drain_once, known_recipients, seed_recipients
from tests.web.rig import csrf_of, link_for, sign_in, staff_user

Client = TestClient[Any, Any]


async def _signed_in(
    client: Client, db: Database, catalogs: Catalogs, s: Settings, c: Clock
) -> str:
    user_id = await staff_user(db, "staff")
    await sign_in(client, await link_for(db, catalogs, s, c(), user_id))
    page = await client.get("/broadcasts/new")
    assert page.status == 200
    return csrf_of(await page.text())


async def _count(db: Database, model: Any, *where: Any) -> int:
    async with db.sessions() as s:
        return int(
            (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()
        )


async def test_compose_count_preview_and_send(
    client: Client,
    db: Database,
    catalogs: Catalogs,
    web_settings: Settings,
    clock: Clock,
    fake: FakeTelegramServer,
) -> None:
    await known_recipients(db, fake, 3)
    token = await _signed_in(client, db, catalogs, web_settings, clock)
    form = {"csrf": token, "kind": "all", "text_ar": "مرحبا <بالجميع>", "text_en": "Hello"}
    counted = await client.post("/broadcasts/new", data={**form, "do": "count"})
    html = await counted.text()
    assert counted.status == 200 and catalogs.translator("ar").tn("bc.recipients", 3) in html
    assert "مرحبا &lt;بالجميع&gt;" in html  # what was typed comes back, escaped
    shown = await client.post("/broadcasts/new", data={**form, "do": "preview"})
    assert 'class="bubble"' in await shown.text()
    assert await _count(db, Broadcast) == 0  # count and preview write nothing
    sent = await client.post("/broadcasts/new", data={**form, "do": "send"}, allow_redirects=False)
    assert sent.status == 303 and sent.headers["Location"].startswith("/broadcasts/")
    async with db.sessions() as s:
        broadcast = (await s.execute(select(Broadcast))).scalar_one()
        assert broadcast.status == "sending" and broadcast.recipients == 3
        audit = (
            await s.execute(select(AuditLog).where(AuditLog.action == "broadcast.created"))
        ).scalar_one()
        assert audit.target == f"broadcast:{broadcast.id}"
    assert await _count(db, OutboxMessage, OutboxMessage.broadcast_id == broadcast.id) == 3
    page = await client.get(f"/broadcasts/{broadcast.id}")
    text = await page.text()
    assert "0%" in text or "0٪" in text
    progress = await (await client.get(f"/broadcasts/{broadcast.id}/progress.json")).json()
    assert progress == {**progress, "done": 0, "total": 3, "percent": 0, "live": True}
    await drain_once(db, catalogs, fake)
    progress = await (await client.get(f"/broadcasts/{broadcast.id}/progress.json")).json()
    assert progress["percent"] == 100 and progress["counts"]["sent"] == 3
    history = await (await client.get("/broadcasts")).text()
    assert f'href="/broadcasts/{broadcast.id}"' in history


async def test_a_refused_draft_is_shown_on_the_form_and_nothing_is_written(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    token = await _signed_in(client, db, catalogs, web_settings, clock)
    tr = catalogs.translator("ar")
    empty = await client.post(
        "/broadcasts/new", data={"csrf": token, "kind": "all", "text_ar": " ", "do": "send"}
    )
    assert empty.status == 422 and tr.t("err.empty") in await empty.text()
    past = (clock() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    late = await client.post(
        "/broadcasts/new",
        data={"csrf": token, "kind": "all", "text_ar": "نص", "at": past, "do": "send"},
    )
    assert late.status == 422 and tr.t("err.datetime.past") in await late.text()
    event = await client.post(
        "/broadcasts/new",
        data={"csrf": token, "kind": "event", "event": "999", "text_ar": "نص", "do": "send"},
    )
    assert event.status == 422 and tr.t("bc.err.event_unknown") in await event.text()
    # Nobody has accepted announcements yet: an announcement to nobody cannot be sent.
    nobody = await client.post(
        "/broadcasts/new", data={"csrf": token, "kind": "all", "text_ar": "نص", "do": "send"}
    )
    assert nobody.status == 422 and tr.t("bc.err.nobody") in await nobody.text()
    assert await _count(db, Broadcast) == 0
    assert await _count(db, AuditLog, AuditLog.action == "broadcast.created") == 0


async def test_schedule_warns_in_quiet_hours_and_cancel(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    await seed_recipients(db, 1)
    token = await _signed_in(client, db, catalogs, web_settings, clock)
    # 23:30 in Riyadh on the test's day: inside the default quiet hours 22:00-08:00.
    at = "2026-11-25T23:30"
    form = {"csrf": token, "kind": "all", "text_ar": "نص", "at": at}
    preview = await client.post("/broadcasts/new", data={**form, "do": "preview"})
    tr = catalogs.translator("ar")
    # the hours keep their left-to-right order inside Arabic text, on one line (no break
    # at the hyphen)
    hours = isolate(web_settings.quiet_hours.replace("-", "\u2011"))
    warning = tr.t("web.bc.quiet", hours=hours)
    assert warning in await preview.text()
    done = await client.post("/broadcasts/new", data={**form, "do": "send"})
    page = await done.text()
    assert warning in page and tr.t("web.bc.cancel") in page
    async with db.sessions() as s:
        broadcast = (await s.execute(select(Broadcast))).scalar_one()
    assert broadcast.status == "scheduled"
    cancel = await client.post(
        f"/broadcasts/{broadcast.id}/cancel", data={"csrf": csrf_of(page)}, allow_redirects=False
    )
    assert cancel.status == 303
    async with db.sessions() as s:
        assert (await s.get(Broadcast, broadcast.id)).status == "cancelled"  # type: ignore[union-attr]
    # Cancelling again is refused with the chat's message, shown on the page.
    again = await client.post(f"/broadcasts/{broadcast.id}/cancel", data={"csrf": csrf_of(page)})
    assert tr.t("staff.cancel_too_late", id=broadcast.id) in await again.text()


async def test_stop_while_sending(
    client: Client,
    db: Database,
    catalogs: Catalogs,
    web_settings: Settings,
    clock: Clock,
    fake: FakeTelegramServer,
) -> None:
    await known_recipients(db, fake, 2)
    token = await _signed_in(client, db, catalogs, web_settings, clock)
    await client.post(
        "/broadcasts/new", data={"csrf": token, "kind": "all", "text_ar": "نص", "do": "send"}
    )
    async with db.sessions() as s:
        broadcast = (await s.execute(select(Broadcast))).scalar_one()
    stop = await client.post(f"/broadcasts/{broadcast.id}/stop", data={"csrf": token})
    tr = catalogs.translator("ar")
    assert "أُوقف الإرسال قبل إرسال أي رسالة؛ عدد ما لن يُرسل: 2." in await stop.text()
    assert await _count(db, AuditLog, AuditLog.action == "broadcast.stopped") == 1
    again = await client.post(f"/broadcasts/{broadcast.id}/stop", data={"csrf": token})
    assert tr.t("staff.stop_too_late", id=broadcast.id) in await again.text()


async def test_posts_without_csrf_are_refused_and_unknown_broadcasts_said(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    await _signed_in(client, db, catalogs, web_settings, clock)
    for path in ("/broadcasts/new", "/broadcasts/1/stop", "/broadcasts/1/cancel"):
        refused = await client.post(path, data={"kind": "all", "text_ar": "x", "do": "send"})
        assert refused.status == 403, path
    assert await _count(db, Broadcast) == 0
    missing = await client.get("/broadcasts/42")
    assert catalogs.translator("ar").t("web.bc.unknown", id=42) in await missing.text()


async def test_live_count_endpoint(
    client: Client,
    db: Database,
    catalogs: Catalogs,
    web_settings: Settings,
    clock: Clock,
    fake: FakeTelegramServer,
) -> None:
    await known_recipients(db, fake, 2)
    await _signed_in(client, db, catalogs, web_settings, clock)
    data = await (await client.get("/broadcasts/count.json?kind=all")).json()
    assert data["count"] == 2
    data = await (await client.get("/broadcasts/count.json?kind=district")).json()
    assert data["count"] is None  # a district audience needs its district
