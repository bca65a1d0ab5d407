"""Fairness on WhatsApp: one sender flooding the webhook does not hold up another, a sender
above the rate is told once and the excess dropped, and the per-chat caches are bounded."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.process.whatsapp import SenderThrottle, Verdict
from fakes.whatsapp_api import FakeWhatsAppServer, normalize_wa_id
from storage import repositories as repo
from storage.db import Database
from tests.channels.whatsapp.support import make_service, serve

FLOODER = "966500000001"
OTHER = "966500000002"
ENGLISH = "966500000003"


async def test_a_flood_from_one_sender_does_not_delay_another(
    fake: FakeWhatsAppServer, make_engine: Callable[..., Engine]
) -> None:
    service = make_service(fake, make_engine, whatsapp_sender_rate=1000)
    try:
        async with serve(service) as url:
            for number in range(20):
                assert await fake.post_webhook(url, fake.user_text(FLOODER, f"{number}")) == 200
            assert await fake.post_webhook(url, fake.user_text(OTHER, "مرحبا")) == 200
            assert await service.process_pending() == 21
    finally:
        await service.client.close()
    replies = [c.to for c in fake.calls() if c.ok]
    to_flooder = [i for i, to in enumerate(replies) if to == FLOODER]
    first_to_other = replies.index(OTHER)
    assert len(to_flooder) >= 20
    # Stored last, answered among the first: not after the twenty before it. (Lanes run side
    # by side, so on a busy machine the flooder's lane may get a few bodies done before the
    # other lane's first reply; one lane after another would put it after all twenty.)
    assert first_to_other < to_flooder[10]


async def test_a_sender_above_the_rate_is_told_once_and_the_excess_dropped(
    fake: FakeWhatsAppServer,
    make_engine: Callable[..., Engine],
    db: Database,
    catalogs: Catalogs,
) -> None:
    polite = {lang: catalogs.translator(lang).t("wa.throttled") for lang in ("ar", "en")}
    async with db.transaction() as session:
        await repo.create_user(session, "whatsapp", ENGLISH, ENGLISH, locale="en")
    service = make_service(fake, make_engine, whatsapp_sender_rate=5)

    def told(wa_id: str) -> list[str]:
        return [m.text or "" for m in fake.messages_to(wa_id) if m.text in polite.values()]

    try:
        async with serve(service) as url:

            async def flood(wa_id: str, count: int) -> int:
                for number in range(count):
                    assert await fake.post_webhook(url, fake.user_text(wa_id, f"{number}")) == 200
                return await service.process_pending()

            # Eight messages in the same minute: five handled, three dropped, told once.
            assert await flood(FLOODER, 8) == 5
            assert told(FLOODER) == [polite["ar"]]
            assert await flood(OTHER, 1) == 1  # someone else is not affected
            fake.advance(61)  # a minute later: handled again …
            assert await flood(FLOODER, 1) == 1
            assert told(FLOODER) == [polite["ar"]]
            assert await flood(FLOODER, 8) == 4  # … up to the rate, then a new period
            assert told(FLOODER) == [polite["ar"]] * 2
            # In the person's own language.
            assert await flood(ENGLISH, 7) == 5
            assert told(ENGLISH) == [polite["en"]]
    finally:
        await service.client.close()
    assert not told(OTHER)


def test_the_throttle_remembers_the_most_recent_senders_only() -> None:
    throttle = SenderThrottle(per_minute=1, senders=2)
    assert throttle.admit("a", 0) is Verdict.ACCEPT
    assert throttle.admit("a", 1) is Verdict.DROP_AND_TELL
    assert throttle.admit("a", 2) is Verdict.DROP
    throttle.admit("b", 3)
    throttle.admit("c", 4)  # "a" is forgotten …
    assert throttle.admit("a", 5) is Verdict.ACCEPT  # … like after a restart


async def test_menus_are_remembered_for_the_most_recent_chats_only(
    fake: FakeWhatsAppServer, make_engine: Callable[..., Engine]
) -> None:
    service = make_service(fake, make_engine)
    service.channel.ui_chats = 2
    people = ("966500000011", "966500000012", "966500000013")
    try:
        async with serve(service) as url:
            for wa_id in people:
                assert await fake.post_webhook(url, fake.user_text(wa_id, "مرحبا")) == 200
                await service.process_pending()
    finally:
        await service.client.close()
    assert all(fake.messages_to(wa_id)[-1].reply_options for wa_id in people)
    assert [normalize_wa_id(k) for k in service.channel._shown] == list(people[1:])
