"""WhatsApp pages long menus without the engine; a staff menu is paged only while its reader is
still staff, so a role taken away does not leave names one "more" away."""

from __future__ import annotations

import pytest

from bot.channels.whatsapp import PAGE_PREFIX, WhatsAppChannel
from bot.channels.whatsapp_client import WhatsAppClient
from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.core.messages import Choice, Inbound, Outbound
from fakes.whatsapp_api import FakeWhatsAppServer
from storage import repositories as repo
from storage.db import Database
from tests.support import Chat

WA_ID = "966512345678"
NAMES = [f"Volunteer {n:02d}" for n in range(20)]


def staff_menu() -> Outbound:
    choices = tuple(Choice(f"eva:rg:v{n}", name) for n, name in enumerate(NAMES))
    # As the engine marks a staff flow's menu (bot/core/flow.py).
    return Outbound(text="registrants", choices=choices, hints={"locale": "en", "staff": "1"})


class Handled:
    """Stands in for the engine's handle: what reaches it, and a staff menu as the reply."""

    def __init__(self) -> None:
        self.seen: list[Inbound] = []

    async def __call__(self, inbound: Inbound) -> list[Outbound]:
        self.seen.append(inbound)
        return [staff_menu()] if len(self.seen) == 1 else [Outbound(text="main menu")]


async def run_paging(
    fake: FakeWhatsAppServer, catalogs: Catalogs, still_staff: bool | None
) -> tuple[Handled, list[str]]:
    client = WhatsAppClient(fake.graph_url, fake.phone_number_id, fake.token)
    handled = Handled()

    async def is_staff(channel: str, user_id: str) -> bool:
        assert (channel, user_id) == ("whatsapp", WA_ID)
        return bool(still_staff)

    channel = WhatsAppChannel(
        client=client,
        handle=handled,
        catalogs=catalogs,
        mark_unreachable=_never,
        is_staff=None if still_staff is None else is_staff,
    )
    try:
        await channel.process(fake.user_text(WA_ID, "hi")[0])
        first = len(fake.messages_to(WA_ID))
        await channel.process(fake.user_list_reply(WA_ID, f"{PAGE_PREFIX}1")[0])
        shown = [o["title"] for m in fake.messages_to(WA_ID)[first:] for o in m.reply_options]
    finally:
        await client.close()
    return handled, shown


async def _never(channel: str, user_id: str) -> None:
    raise AssertionError("nobody is unreachable here")


async def test_staff_menu_pages_for_staff(fake: FakeWhatsAppServer, catalogs: Catalogs) -> None:
    handled, shown = await run_paging(fake, catalogs, still_staff=True)
    assert len(handled.seen) == 1  # the page came from the channel's memory
    assert any(title in NAMES[6:] for title in shown)


@pytest.mark.parametrize("still_staff", [False, None], ids=["role_removed", "no_check"])
async def test_staff_menu_is_not_paged_once_the_role_is_gone(
    fake: FakeWhatsAppServer, catalogs: Catalogs, still_staff: bool | None
) -> None:
    handled, shown = await run_paging(fake, catalogs, still_staff=still_staff)
    # The engine got the press (and closes the staff screen); no further name was shown.
    assert len(handled.seen) == 2
    assert not any(title in NAMES for title in shown)


async def test_replies_from_staff_flows_are_marked_and_others_not(engine: Engine) -> None:
    boss = Chat(engine, user="boss")  # console:boss is in ADMIN_IDS (tests/conftest.py)
    await boss.onboard()  # language and the privacy notice first
    await boss.send("/menu")
    assert not any(o.hints.get("staff") for o in boss.last if o.choices)
    await boss.send("/staff")
    assert any(o.hints.get("staff") for o in boss.last if o.choices)


async def test_engine_tells_whether_a_person_is_staff_now(engine: Engine, db: Database) -> None:
    assert await engine.is_staff("console", "boss")  # ADMIN_IDS
    assert not await engine.is_staff("whatsapp", WA_ID)  # unknown
    async with db.transaction() as session:
        await repo.set_role(session, "whatsapp", WA_ID, "staff")
    assert await engine.is_staff("whatsapp", WA_ID)
    async with db.transaction() as session:
        await repo.set_role(session, "whatsapp", WA_ID, "user")
    assert not await engine.is_staff("whatsapp", WA_ID)
