"""Announcements measured as Telegram measures them (UTF-16 units after HTML parsing), sent
through the outbox to the fake Bot API, which refuses what real Telegram refuses."""

from __future__ import annotations

from bot.core.html_split import visible_text
from bot.core.i18n import Catalogs
from bot.core.render import broadcast_text
from bot.delivery.sender import fan_out_due
from fakes.telegram_api import FakeTelegramServer
from storage.db import Database
from storage.models import Broadcast
from tests.delivery.support import (
    NOON_RIYADH,
    add_broadcast,
    drain_once,
    known_recipients,
    statuses,
)

# What the issue reported: 3,500 characters, 4,200 UTF-16 units.
EMOJI_HEAVY = "\U0001f600" * 700 + "\u0634" * 2800


async def test_an_emoji_heavy_broadcast_reaches_everyone_in_parts(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    [ar_chat] = await known_recipients(db, fake, 1, first=10)
    [en_chat] = await known_recipients(db, fake, 1, first=20, locale="en")
    english = "Tree planting & more \U0001f333 " * 200  # 4,200 characters, 4,400 units
    broadcast_id = await add_broadcast(db, text_ar=EMOJI_HEAVY, text_en=english, at=NOON_RIYADH)
    await fan_out_due(db, NOON_RIYADH)
    await drain_once(db, catalogs, fake)
    assert [c.description for c in fake.calls("sendMessage") if not c.ok] == []
    assert await statuses(db, broadcast_id) == {"sent": 2}
    for chat, locale in ((ar_chat, "ar"), (en_chat, "en")):
        messages = [m["text"] for m in fake.messages_to(chat)]
        expected = visible_text(broadcast_text(EMOJI_HEAVY, english, locale))
        assert len(messages) == 2
        # Telegram trims the white space at the ends of a message; nothing else is lost.
        assert "".join(messages).replace(" ", "") == expected.replace(" ", "")


async def test_a_caption_over_1024_units_goes_as_text_before_the_photo(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    [chat] = await known_recipients(db, fake, 1, first=30)
    fake.user_photo(30)
    photo_id = list(fake.files)[-1]
    text = "\u0634" + "\U0001f600" * 600  # 601 characters: fits 1024 by count, not by units
    broadcast_id = await add_broadcast(db, text_ar=text, text_en=None, at=NOON_RIYADH)
    async with db.transaction() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        broadcast.attachment = {"kind": "photo", "file_id": photo_id, "channel": "telegram"}
    await fan_out_due(db, NOON_RIYADH)
    await drain_once(db, catalogs, fake)
    assert all(c.ok for c in fake.sent)
    assert await statuses(db, broadcast_id) == {"sent": 1}
    # The renderer's one rule, as for a direct reply: the text first, then the bare photo.
    message, photo = fake.messages_to(chat)[-2:]
    assert message["text"] == text
    assert "photo" in photo and "caption" not in photo
