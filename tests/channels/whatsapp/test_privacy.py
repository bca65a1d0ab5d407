"""Raw webhook bodies do not linger, and "delete my data" leaves nothing of the person in any
table: a sweep over every column of every table in the metadata, so a new table is swept too."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from sqlalchemy import func, select

from bot.process.whatsapp import WhatsAppService
from fakes.whatsapp_api import FakeWhatsAppServer
from storage import inbound
from storage.db import Database
from storage.models import Base, ProcessedUpdate, load_all_models
from storage.models_channels import InboundWork
from tests.channels.whatsapp.support import WhatsAppUser, sign_up

WA_ID = "966512345678"
OTHER = "966598765432"
NAME = "سارة محمد الحارثي"
NATIONAL_ID = "1000000008"
PROFILE = "Sara"
# The number without its country code covers "+966…", "966…" and "05…" spellings alike.
PERSONAL = ("512345678", NATIONAL_ID, "سارة", "الحارثي", PROFILE)


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    # Meta's message ids ("wamid." + base64) spell the sender's number: read those too.
    decoded = [_unbase64(token) for token in re.findall(r"[A-Za-z0-9+/=]{16,}", text)]
    return "\n".join([text, *decoded])


def _unbase64(token: str) -> str:
    try:
        return base64.b64decode(token + "=" * (-len(token) % 4)).decode("utf-8", "replace")
    except ValueError:
        return ""


async def personal_data_left(db: Database) -> list[tuple[str, str, str]]:
    """(table, column, what) for every stored value that holds one of the person's data."""
    load_all_models()
    found = []
    async with db.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                for column, value in row.items():
                    text = _text(value)
                    found += [(table.name, str(column), what) for what in PERSONAL if what in text]
    return found


async def count_bodies(db: Database) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.count(InboundWork.id)))).scalar_one())


async def test_a_processed_body_is_deleted(
    fake: FakeWhatsAppServer, whatsapp: tuple[WhatsAppService, str], db: Database
) -> None:
    service, url = whatsapp
    assert await fake.post_webhook(url, fake.user_text(WA_ID, "مرحبا", name=PROFILE)) == 200
    assert await count_bodies(db) == 1
    assert await service.process_pending() == 1
    assert "اختر لغتك" in (fake.messages_to(WA_ID)[-1].text or "")
    assert await count_bodies(db) == 0


async def test_a_failing_body_keeps_only_the_error_type(
    fake: FakeWhatsAppServer, whatsapp: tuple[WhatsAppService, str], db: Database
) -> None:
    service, url = whatsapp

    async def broken(payload: dict[str, Any]) -> None:
        raise ValueError(f"bad body from {WA_ID}")  # a message quoting personal data

    service.channel.process = broken  # type: ignore[method-assign]
    assert await fake.post_webhook(url, fake.user_text(WA_ID, "مرحبا", name=PROFILE)) == 200
    for _ in range(inbound.MAX_ATTEMPTS):
        assert await service.process_pending() == 0
    async with db.sessions() as session:
        work = (await session.execute(select(InboundWork))).scalar_one()
    assert (work.status, work.attempts, work.last_error) == ("failed", 3, "ValueError")


async def test_deleting_my_data_leaves_nothing_of_me_in_any_table(
    fake: FakeWhatsAppServer, whatsapp: tuple[WhatsAppService, str], db: Database
) -> None:
    service, url = whatsapp
    user = WhatsAppUser(fake, service, url, WA_ID)
    await sign_up(user, NAME, NATIONAL_ID)
    # Bodies kept after failing: one only about this person, one shared with someone else
    # (Meta may batch several senders in one body).
    mine, _ = fake.user_text(WA_ID, "مرحبا", name=PROFILE)
    shared, _ = fake.user_text(OTHER, "hello", name="Omar")
    shared["entry"].append(mine["entry"][0])
    async with db.transaction() as session:
        for payload in (mine, shared):
            work_id = await inbound.store(session, "whatsapp", payload)
            await inbound.failed_attempt(session, work_id, inbound.MAX_ATTEMPTS, "ValueError")
    before = {table for table, _, _ in await personal_data_left(db)}
    # The sweep sees the person where they are (it would pass vacuously otherwise).
    assert {"volunteers", "channel_identities", "inbound_work"} <= before

    await user.text("/mydata")
    await user.press("del")
    await user.press("yes")
    assert "mydata.deleted" not in user.last().text  # a real sentence, not the id

    assert await personal_data_left(db) == []
    async with db.sessions() as session:
        left = (await session.execute(select(InboundWork.payload))).scalars().all()
        update_ids = (await session.execute(select(ProcessedUpdate.update_id))).scalars().all()
    # The other sender's message in the shared body is still there to be looked at.
    assert len(left) == 1 and "Omar" in json.dumps(left[0])
    # The dedupe keys are message ids, never the sender's number.
    assert len(update_ids) > 10 and all(WA_ID not in u for u in update_ids)
