"""One digit style on the web workspace's Arabic pages (issue 14 item 7): ARABIC_DIGITS applies
to the text of every Arabic page as it does to chat replies, never to links, attributes (ids,
form values, CSRF tokens) or text areas; English pages keep Western digits."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp.test_utils import TestClient, TestServer

from bot.core.i18n import Catalogs
from bot.settings import Settings, load_settings
from bot.web.app import create_app
from storage.db import Database
from tests.conftest import Clock
from tests.families.support import add_site
from tests.web.test_requests import Client, family_request, signed_in

INDIC = re.compile("[\u0660-\u0669]")


@asynccontextmanager
async def client_in(
    style: str, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> AsyncIterator[Client]:
    styled = load_settings(**{**settings.model_dump(), "arabic_digits": style})
    async with TestClient(TestServer(create_app(db, catalogs, styled, clock=clock))) as client:
        await signed_in(client, db, catalogs, styled, clock)
        yield client


async def test_arabic_indic_pages_show_indic_digits_and_links_still_work(
    db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    site = await add_site(db)
    rid = await family_request(db, catalogs, web_settings, clock(), site, 3)
    async with client_in("arabic-indic", db, catalogs, web_settings, clock) as client:
        queue = await (await client.get("/requests")).text()
        assert "مطبخ &lt;أم&gt; محمد ٣" in queue and "محمد 3" not in queue
        assert f'href="/requests/{rid}"' in queue  # the link keeps its digits
        detail = await client.get(f"/requests/{rid}")
        assert detail.status == 200
        html = await detail.text()
        assert "محمد ٣" in html and "محمد 3" not in html
        # The CSRF token and the form's ids keep their characters: a decision goes through.
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
        assert token is not None
        asked = await client.post(
            f"/requests/{rid}/ask",
            data={"csrf": token.group(1), "question": "صورة 2"},
            allow_redirects=False,
        )
        assert asked.status == 303, await asked.text()
        await client.get("/lang/en?next=/")
        english = await (await client.get(f"/requests/{rid}")).text()
        assert not INDIC.search(english) and "محمد 3" in english


async def test_western_is_the_default_and_no_arabic_indic_digit_appears(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    assert web_settings.arabic_digits == "western"
    site = await add_site(db)
    rid = await family_request(db, catalogs, web_settings, clock(), site, 3, family_name="مطبخ ٧")
    await signed_in(client, db, catalogs, web_settings, clock)
    for path in ("/", "/requests", f"/requests/{rid}", "/sites"):
        html = await (await client.get(path)).text()
        assert not INDIC.search(html), path
    assert "مطبخ 7" in await (await client.get("/requests")).text()  # typed ٧, shown 7
