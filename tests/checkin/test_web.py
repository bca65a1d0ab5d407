"""A shift's check-in code on its web page: staff see the QR codes (inline SVG) and the links
as text, change the code (POST with the CSRF token; without it, refused and nothing changes),
and download the A4 poster, whose Arabic text extracts in logical order with joined letters
and whose QR codes decode to the deep link and the WhatsApp link. Without the settings, the
page says why a link is missing. Bad addresses are 404; signed-out people go to sign in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from aiohttp.test_utils import TestClient, TestServer

from bot.core.i18n import Catalogs
from bot.settings import Settings, load_settings
from bot.web.app import create_app
from storage.db import Database
from tests.certificates.support import glyphs_per_letter, pdf_qr_codes, pdf_text
from tests.checkin.conftest import BOT_USERNAME, BUSINESS_NUMBER
from tests.checkin.support import CODE, SHOWN, audits, current_code, shift_in
from tests.conftest import Clock
from tests.web.rig import csrf_of, link_for, sign_in, staff_user

Client = TestClient[Any, Any]
DEEP_LINK = f"https://t.me/{BOT_USERNAME}?start=ci_{CODE}"
WA_LINK = f"https://wa.me/{BUSINESS_NUMBER}?text={quote('حضور ' + SHOWN, safe='')}"


async def _signed_in(
    client: Client, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> tuple[int, int, str]:
    """A shift tomorrow with its code; staff signed in. (event id, shift id, the page.)"""
    seeded = await shift_in(db, catalogs, settings, clock.now, timedelta(days=1))
    user_id = await staff_user(db, "staff", external="901")
    await sign_in(client, await link_for(db, catalogs, settings, clock(), user_id))
    page = f"/events/{seeded.event_id}/shifts/{seeded.shift_ids[0]}"
    return seeded.event_id, seeded.shift_ids[0], page


async def test_staff_see_the_code_the_qr_codes_and_the_links(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    _, _, page = await _signed_in(client, db, catalogs, web_settings, clock)
    html = await (await client.get(page)).text()
    assert 'id="checkin-h"' in html and SHOWN in html
    assert html.count('<svg role="img"') == 2 and "رمز QR لرابط تسجيل الحضور عبر تيليجرام" in html
    assert DEEP_LINK.replace("&", "&amp;") in html or DEEP_LINK in html
    assert WA_LINK in html
    assert "/checkin/poster.pdf" in html and "/checkin/rotate" in html
    assert "غير مضبوط" not in html


async def test_without_the_settings_the_page_says_why_no_link_is_shown(
    db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    bare = load_settings(
        **{
            **web_settings.model_dump(),
            "telegram_bot_username": None,
            "whatsapp_business_number": None,
        }
    )
    async with TestClient(TestServer(create_app(db, catalogs, bare, clock=clock))) as client:
        _, _, page = await _signed_in(client, db, catalogs, bare, clock)
        html = await (await client.get(page)).text()
        assert SHOWN in html and "<svg" not in html
        assert "TELEGRAM_BOT_USERNAME" in html and "WHATSAPP_BUSINESS_NUMBER" in html
        poster = await client.get(page + "/checkin/poster.pdf")
        data = await poster.read()
        assert pdf_qr_codes(data) == [] and SHOWN in pdf_text(data)


async def test_rotate_with_the_token_changes_the_code_and_without_it_is_refused(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    _, shift_id, page = await _signed_in(client, db, catalogs, web_settings, clock)
    token = csrf_of(await (await client.get(page)).text())
    refused = await client.post(page + "/checkin/rotate", data={}, allow_redirects=False)
    assert refused.status == 403
    assert (
        await current_code(db, shift_id) == CODE and await audits(db, "checkin.rotate_code") == []
    )
    done = await client.post(page + "/checkin/rotate", data={"csrf": token}, allow_redirects=False)
    assert done.status == 303 and done.headers["Location"].startswith(page)
    new = await current_code(db, shift_id)
    assert new != CODE and len(new) == 8
    [row] = await audits(db, "checkin.rotate_code")
    assert row.target == f"shift:{shift_id}"
    html = await (await client.get(page)).text()
    assert f"{new[:4]}-{new[4:]}" in html and "الرمز القديم لا يعمل" in html and SHOWN not in html


async def test_the_poster_reads_right_in_arabic_and_its_codes_are_the_links(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    _, _, page = await _signed_in(client, db, catalogs, web_settings, clock)
    response = await client.get(page + "/checkin/poster.pdf")
    assert response.status == 200 and response.content_type == "application/pdf"
    data = await response.read()
    text = " ".join(pdf_text(data).split())  # the captions wrap under their codes
    # Logical order: the phrases read as typed, not reversed letter by letter.
    for phrase in (
        "تسجيل الحضور",
        "حملة تشجير الردف",
        "امسح الرمز بكاميرا جوالك لتسجيل حضورك عبر تيليجرام",
        "أو امسح هذا الرمز لتسجيل حضورك عبر واتساب",
        "لا تستطيع المسح؟ أرسل إلى البوت",
        "للمتطوعين المسجّلين فيها",
        "الموافق",  # the shift's day: Hijri, then Gregorian
        SHOWN,
        "Al-Rudaf tree planting",
        "Check in",
    ):
        assert phrase in text, phrase
    # Joined letters: «ح» in «حملة» (initial) and «الحضور» (medial) … more than one glyph.
    forms = glyphs_per_letter(data)
    assert forms["ح"] >= 2 and forms["ت"] >= 2 and forms["ع"] >= 2
    assert pdf_qr_codes(data) == [DEEP_LINK, WA_LINK]


async def test_bad_addresses_are_404_and_signed_out_people_sign_in(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    other = await shift_in(
        db, catalogs, web_settings, clock.now, timedelta(days=2), code="A2B3C4D5"
    )
    out = await client.get(
        f"/events/{other.event_id}/shifts/{other.shift_ids[0]}/checkin/poster.pdf",
        allow_redirects=False,
    )
    assert out.status == 303 and out.headers["Location"] == "/signin"
    event_id, shift_id, _ = await _signed_in(client, db, catalogs, web_settings, clock)
    for path in (
        f"/events/{other.event_id}/shifts/{shift_id}/checkin/poster.pdf",  # another event's
        f"/events/{event_id}/shifts/99999/checkin/poster.pdf",
        f"/events/{event_id}/shifts/abc/checkin/poster.pdf",
    ):
        assert (await client.get(path)).status == 404, path
    token = csrf_of(await (await client.get(f"/events/{event_id}/shifts/{shift_id}")).text())
    wrong = await client.post(
        f"/events/{other.event_id}/shifts/{shift_id}/checkin/rotate", data={"csrf": token}
    )
    assert wrong.status == 404 and await current_code(db, shift_id) == CODE
