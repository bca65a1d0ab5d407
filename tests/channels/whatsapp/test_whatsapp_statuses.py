"""Failures WhatsApp reports later, in a signed `statuses` webhook: the real webhook server,
the real outbox sender and the fake Graph API, which accepts a send (200 + wamid) and keeps
the error for the status webhook, as Cloud API often does."""

from __future__ import annotations

from datetime import time
from typing import Any

from sqlalchemy import select

from bot.channels.whatsapp import labels_for
from bot.channels.whatsapp_client import WhatsAppClient
from bot.channels.whatsapp_transport import WhatsAppTransport
from bot.delivery.sender import DeliveryConfig, OutboxSender
from bot.process.whatsapp import WhatsAppService
from fakes.whatsapp_api import FakeWhatsAppServer
from storage import outbox
from storage import repositories as repo
from storage.db import Database
from storage.models import OutboxMessage, User, utcnow
from storage.models_channels import InboundWork
from tests.support import NOTICE_VERSION

GONE, AWAY, FINE = "966500000021", "966500000022", "966500000023"


async def people_with_a_notice(db: Database, *wa_ids: str) -> dict[str, int]:
    """Consented WhatsApp users inside the 24-hour window, each with a notice queued."""
    users = {}
    for wa_id in wa_ids:
        async with db.transaction() as session:
            identity, user = await repo.create_user(session, "whatsapp", wa_id, wa_id, locale="ar")
            user.consent_version, user.consent_at = NOTICE_VERSION, utcnow()
            identity.last_seen_at = utcnow()
            users[wa_id] = user.id
            await outbox.enqueue(
                session,
                user.id,
                kind="notice",
                key=f"n:{wa_id}",
                payload={"key": "wa.choose", "params": {}},
            )
    return users


async def send_queued(fake: FakeWhatsAppServer, db: Database, catalogs: Any) -> None:
    transport = WhatsAppTransport(
        WhatsAppClient(fake.graph_url, fake.phone_number_id, fake.token),
        {},
        lambda locale: labels_for(catalogs, locale),
    )
    # Quiet hours off: the test must not depend on the time of day it runs at.
    config = DeliveryConfig(per_second=100, quiet_start=time(0), quiet_end=time(0))
    sender = OutboxSender(db, catalogs, {"whatsapp": transport}, config)
    try:
        await sender.drain()
    finally:
        await transport.client.close()


async def rows(db: Database) -> dict[str, OutboxMessage]:
    async with db.sessions() as session:
        found = (await session.execute(select(OutboxMessage))).scalars()
        return {row.idempotency_key: row for row in found}


async def unreachable(db: Database, user_id: int) -> bool:
    async with db.sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None
        return user.unreachable


async def post_status(
    fake: FakeWhatsAppServer, whatsapp: tuple[WhatsAppService, str], wamid: str, status: str
) -> None:
    service, url = whatsapp
    assert await fake.post_webhook(url, fake.status_update(wamid, status)) == 200
    await service.process_pending()


async def test_failed_statuses_fail_the_row_and_131026_marks_the_person(
    fake: FakeWhatsAppServer, whatsapp: tuple[WhatsAppService, str], db: Database, catalogs: Any
) -> None:
    users = await people_with_a_notice(db, GONE, AWAY, FINE)
    fake.fail_next(131026, to=GONE, asynchronous=True)  # accepted now, undeliverable later
    fake.fail_next(131047, to=AWAY, asynchronous=True)  # accepted now, window closed later
    await send_queued(fake, db, catalogs)
    before = await rows(db)
    assert {key: row.status for key, row in before.items()} == {
        f"n:{GONE}": "sent",
        f"n:{AWAY}": "sent",
        f"n:{FINE}": "sent",
    }
    wamid = {wa_id: fake.messages_to(wa_id)[-1].id for wa_id in (GONE, AWAY, FINE)}
    # The id Meta gave is kept with the row: that is how a later status finds it.
    assert before[f"n:{GONE}"].payload[outbox.PROVIDER_IDS] == [wamid[GONE]]
    calls = len(fake.sent)

    for status in ("sent", "delivered", "read"):
        await post_status(fake, whatsapp, wamid[FINE], status)
    await post_status(fake, whatsapp, wamid[GONE], "failed")
    await post_status(fake, whatsapp, wamid[AWAY], "failed")
    await post_status(fake, whatsapp, wamid[GONE], "failed")  # Meta may repeat a webhook

    after = await rows(db)
    assert after[f"n:{FINE}"].status == "sent" and after[f"n:{FINE}"].last_error is None
    assert after[f"n:{GONE}"].status == "failed"
    assert "131026" in (after[f"n:{GONE}"].last_error or "")
    assert after[f"n:{AWAY}"].status == "failed"
    assert "131047" in (after[f"n:{AWAY}"].last_error or "")
    assert await unreachable(db, users[GONE]) is True
    assert await unreachable(db, users[AWAY]) is False  # only outside the window
    assert await unreachable(db, users[FINE]) is False
    # Statuses are taken in silence: nothing was sent because of them, nothing failed.
    assert len(fake.sent) == calls
    async with db.sessions() as session:
        work = (await session.execute(select(InboundWork.status))).scalars().all()
    assert work == []  # every status body was processed (and so deleted), none failed


async def test_a_direct_reply_reported_undeliverable_marks_the_person(
    fake: FakeWhatsAppServer, whatsapp: tuple[WhatsAppService, str], db: Database
) -> None:
    service, url = whatsapp
    fake.fail_next(131026, to=GONE, asynchronous=True)
    assert await fake.post_webhook(url, fake.user_text(GONE, "مرحبا")) == 200
    await service.process_pending()
    [reply] = fake.messages_to(GONE)  # accepted: the failure comes later
    async with db.sessions() as session:
        found = await repo.find_identity(session, "whatsapp", GONE)
        assert found is not None
        user_id = found[1].id
    assert await unreachable(db, user_id) is False
    await post_status(fake, whatsapp, reply.id, "failed")
    assert await unreachable(db, user_id) is True
    assert not await rows(db)  # a direct reply has no outbox row to change
