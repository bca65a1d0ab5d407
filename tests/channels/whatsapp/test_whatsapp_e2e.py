"""The WhatsApp channel end to end: signed webhooks from a fake Meta, the real adapter and
engine, replies through the fake Graph API."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.channels.whatsapp import labels_for
from bot.channels.whatsapp_client import WhatsAppClient
from bot.channels.whatsapp_transport import WhatsAppTransport
from bot.core.engine import Engine
from bot.core.messages import Attachment, Outbound
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.sender import DeliveryConfig, OutboxSender, fan_out_due
from bot.process.whatsapp import WhatsAppService
from fakes.whatsapp_api import FakeWhatsAppServer
from storage import broadcasts, outbox
from storage import repositories as repo
from storage.db import Database
from storage.models import OutboxMessage, User, Volunteer, utcnow
from storage.models_channels import InboundWork
from tests.channels.whatsapp.support import WhatsAppUser
from tests.conftest import Clock
from tests.delivery.support import add_broadcast
from tests.support import NOTICE_VERSION

WA_ID = "966512345678"


async def test_whole_signup_over_whatsapp(
    fake: FakeWhatsAppServer, whatsapp: tuple[WhatsAppService, str], db: Database
) -> None:
    service, url = whatsapp
    user = WhatsAppUser(fake, service, url, WA_ID)
    await user.text("السلام عليكم")
    assert "اختر لغتك" in user.last().text
    await user.press("ar")  # two reply buttons
    await user.press("yes")
    # The main menu has more than 3 choices: a list.
    assert fake.messages_to(WA_ID)[-1].payload["interactive"]["type"] == "list"
    await user.press("vol")
    await user.text("سارة محمد الحارثي")
    await user.text("1000000008")
    # The sender's number is known: confirmed with a button, never asked for.
    assert "+966512345678" in user.last().text
    await user.press("_me")
    await user.press("f")
    await user.text("15/03/1420")
    await user.press("hawiya")  # from a paged list (20 districts)
    await user.press("environment")
    await user.press("_d")
    await user.press("_s")  # skills
    await user.press("we_evening")
    await user.press("_d")
    await user.press("_s")
    await user.press("no")  # no consent to keep access needs
    await user.press("yes")
    assert "راجعي بيانات التسجيل" in user.last().text
    await user.press("_ok")
    assert any("تم تسجيلكِ متطوعةً" in (m.text or "") for m in fake.messages_to(WA_ID)[-3:])
    async with db.sessions() as session:
        volunteer = (await session.execute(select(Volunteer))).scalar_one()
    assert volunteer.mobile == "+966512345678" and volunteer.district == "hawiya"
    # WhatsApp's limits were respected everywhere (the fake refuses anything else).
    assert all(call.ok for call in fake.calls())


async def test_a_long_menu_pages_through_its_choices(
    fake: FakeWhatsAppServer, whatsapp: tuple[WhatsAppService, str], db: Database
) -> None:
    service, url = whatsapp
    user = WhatsAppUser(fake, service, url, WA_ID)
    await user.text("مرحبا")
    await user.press("ar")
    await user.press("yes")
    await user.press("vol")
    await user.text("سارة محمد الحارثي")
    await user.text("1000000008")
    await user.press("_me")
    await user.press("f")
    await user.text("15/03/1420")
    # The district question: 20 districts + back + cancel = 22 choices. Each page: 6
    # districts, "previous"/"next", and back and cancel on every page.
    pages = [[o["id"] for o in user.options()]]
    assert len(pages[0]) == 9 and pages[0][6] == "~pg:1"
    assert pages[0][-2:] == ["vol:district:_b", "vol:district:_c"]
    for number in (1, 2, 3):
        await user.press(f"~pg:{number}")
        pages.append([o["id"] for o in user.options()])
        assert all(len(p) <= 10 for p in pages)
    assert "~pg:4" not in pages[3] and "~pg:2" in pages[3]
    districts = [i for p in pages for i in p if not i.startswith("~") and ":_" not in i]
    assert len(districts) == 20 and len(set(districts)) == 20
    await user.press("~pg:0")
    assert [o["id"] for o in user.options()] == pages[0]
    await user.press(districts[-1].rsplit(":", 1)[-1])  # a district from the last page
    assert "مجالات التطوع" in user.last().text


async def test_bad_signature_is_refused_and_nothing_is_stored(
    fake: FakeWhatsAppServer, whatsapp: tuple[WhatsAppService, str], db: Database
) -> None:
    _, url = whatsapp
    built = fake.user_text(WA_ID, "مرحبا")
    assert await fake.post_webhook(url, built, signature="bad") == 401
    assert await fake.post_webhook(url, built, signature="missing") == 401
    async with db.sessions() as session:
        assert (await session.execute(select(func.count(InboundWork.id)))).scalar_one() == 0
    assert await fake.post_webhook(url, built) == 200


async def test_verification_handshake(
    fake: FakeWhatsAppServer, whatsapp: tuple[WhatsAppService, str]
) -> None:
    _, url = whatsapp
    assert await fake.verify_webhook(url, challenge="12345") == (200, "12345")
    status, _ = await fake.verify_webhook(url, token="wrong")
    assert status == 403


async def test_a_duplicate_delivery_has_one_effect(
    fake: FakeWhatsAppServer, whatsapp: tuple[WhatsAppService, str], db: Database
) -> None:
    service, url = whatsapp
    built = fake.user_text(WA_ID, "مرحبا")
    assert await fake.post_webhook(url, built) == 200
    assert await fake.post_webhook(url, built) == 200  # Meta retries the same message id
    await service.process_pending()
    assert len(fake.messages_to(WA_ID)) == 1
    async with db.sessions() as session:
        assert (await session.execute(select(func.count(User.id)))).scalar_one() == 1


async def test_work_stored_before_a_crash_is_processed_after(
    fake: FakeWhatsAppServer, whatsapp: tuple[WhatsAppService, str], db: Database
) -> None:
    service, url = whatsapp
    assert await fake.post_webhook(url, fake.user_text(WA_ID, "مرحبا")) == 200
    assert not fake.messages_to(WA_ID)  # answered 200 before any processing
    assert await service.process_pending() == 1
    assert "اختر لغتك" in (fake.messages_to(WA_ID)[-1].text or "")


async def test_outside_the_window_goes_as_a_template_or_is_skipped(
    fake: FakeWhatsAppServer, db: Database, catalogs: Any, engine: Engine
) -> None:
    fake.register_template("announcement", "ar", body_params=1)
    fake.enforce_window(True)
    # Three people who wrote to us: one just now, two more than a day ago.
    service_user = {}
    for wa_id, hours_ago in (("966500000001", 1), ("966500000002", 30), ("966500000003", 30)):
        async with db.transaction() as session:
            identity, user = await repo.create_user(session, "whatsapp", wa_id, wa_id, locale="ar")
            user.consent_version, user.consent_at = NOTICE_VERSION, utcnow()
            identity.last_seen_at = utcnow() - timedelta(hours=hours_ago)
            service_user[wa_id] = user.id
        fake.user_text(wa_id, "hi")  # opens the fake's window now …
    fake.advance(hours=30)  # … and closes it for everyone, as far as Meta is concerned
    fake.user_text("966500000001", "still here")  # the first one wrote again recently

    broadcast_id = await add_broadcast(db, text_ar="حملة تشجير\nيوم السبت", at=utcnow())
    await fan_out_due(db)
    client_transport = WhatsAppTransport(
        WhatsAppClient(fake.graph_url, fake.phone_number_id, fake.token),
        {"broadcast": {"name": "announcement", "language": "ar"}},
        lambda locale: labels_for(catalogs, locale),
    )
    sender = OutboxSender(
        db,
        catalogs,
        {"whatsapp": client_transport},
        DeliveryConfig(per_second=100, quiet_start=time(0), quiet_end=time(0)),
    )
    try:
        await sender.drain()
    finally:
        await client_transport.client.close()
    assert fake.messages_to("966500000001")[-1].type == "text"
    for wa_id in ("966500000002", "966500000003"):
        sent = fake.messages_to(wa_id)[-1]
        assert sent.type == "template" and sent.template_name == "announcement"
        params = sent.payload["template"]["components"][0]["parameters"]
        assert params[0]["text"] == "حملة تشجير يوم السبت"  # no new lines in a parameter
    async with db.sessions() as session:
        assert await broadcasts.broadcast_counts(session, broadcast_id) == {"sent": 3}

    # A kind with no template: skipped, with the reason, and counted.
    async with db.transaction() as session:
        await outbox.enqueue(
            session,
            service_user["966500000002"],
            kind="reminder",
            key="x:1",
            payload={"key": "wa.choose", "params": {}},
        )
    client_transport.client = WhatsAppClient(fake.graph_url, fake.phone_number_id, fake.token)
    try:
        await sender.drain()
    finally:
        await client_transport.client.close()
    async with db.sessions() as session:
        row = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))
        ).scalar_one()
    assert row.status == "skipped" and "no template for 'reminder'" in (row.last_error or "")


async def test_files_we_make_are_uploaded_then_sent(
    fake: FakeWhatsAppServer, whatsapp: tuple[WhatsAppService, str]
) -> None:
    service, _ = whatsapp
    fake.user_text(WA_ID, "hi")
    calendar = Attachment(kind="document", filename="shift.ics", data=b"BEGIN:VCALENDAR\r\n")
    await service.channel.deliver(WA_ID, WA_ID, [Outbound("تقويم الوردية", attachment=calendar)])
    document, text = fake.messages_to(WA_ID)[-2:]
    assert document.type == "document" and document.payload["document"]["filename"] == "shift.ics"
    assert fake.media[document.payload["document"]["id"]].content == b"BEGIN:VCALENDAR\r\n"
    assert text.text == "تقويم الوردية"


async def test_the_services_window_is_measured_on_the_engines_clock(
    fake: FakeWhatsAppServer, whatsapp: tuple[WhatsAppService, str], db: Database, clock: Clock
) -> None:
    """The engine stamps last_seen_at with its clock, so the service's transport must judge the
    24-hour window on that clock too (the wall clock is days after the clock fixture's)."""
    service, url = whatsapp
    await WhatsAppUser(fake, service, url, WA_ID).text("hi")
    async with db.transaction() as session:
        found = await repo.find_identity(session, "whatsapp", WA_ID)
        assert found is not None
        user_id = found[1].id
        await outbox.enqueue(
            session,
            user_id,
            kind="notice",
            key="n:clock",
            payload={"key": "wa.choose"},
            due_at=clock.now,
        )
    await service.sender.drain()
    async with db.sessions() as session:
        row = (await session.execute(select(OutboxMessage))).scalar_one()
    assert (row.status, row.last_error) == ("sent", None)  # not skipped for want of a template


async def no_wait(seconds: float) -> None:
    return None


async def test_unreachable_and_throttled_like_their_telegram_counterparts(
    fake: FakeWhatsAppServer, db: Database, catalogs: Any
) -> None:
    people = {}
    for wa_id in ("966500000011", "966500000012"):
        async with db.transaction() as session:
            identity, user = await repo.create_user(session, "whatsapp", wa_id, wa_id, locale="ar")
            user.consent_version, user.consent_at = NOTICE_VERSION, utcnow()
            identity.last_seen_at = utcnow()  # inside the 24-hour window
            people[wa_id] = user.id
            await outbox.enqueue(
                session,
                user.id,
                kind="notice",
                key=f"n:{wa_id}",
                payload={"key": "wa.choose", "params": {}},
            )
    fake.fail_next(131026, to="966500000011")  # undeliverable: like Telegram's 403
    fake.fail_next(130429, to="966500000012")  # throttled: like Telegram's 429
    now = {"t": utcnow()}
    transport = WhatsAppTransport(
        WhatsAppClient(fake.graph_url, fake.phone_number_id, fake.token),
        {},
        lambda locale: labels_for(catalogs, locale),
        clock=lambda: now["t"],
    )
    sender = OutboxSender(
        db,
        catalogs,
        {"whatsapp": transport},
        DeliveryConfig(per_second=100, quiet_start=time(0), quiet_end=time(0)),
        clock=lambda: now["t"],
        limiter=RateLimiter(100, 100, sleep=no_wait),  # the pause is checked, not waited out
    )
    try:
        await sender.drain()
        now["t"] += timedelta(seconds=10)  # past the pause after the throttling answer
        await sender.drain()
    finally:
        await transport.client.close()
    async with db.sessions() as session:
        rows = {
            r.idempotency_key: r.status
            for r in (await session.execute(select(OutboxMessage))).scalars()
        }
        unreachable = (await session.get(User, people["966500000011"])).unreachable  # type: ignore[union-attr]
    assert rows == {"n:966500000011": "blocked", "n:966500000012": "sent"}
    assert unreachable is True
    assert len(fake.messages_to("966500000012")) == 1
