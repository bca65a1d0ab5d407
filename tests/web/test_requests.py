"""The stall-request pages over HTTP: the queue's filters and sorting, a request's page (ID
masked, documents, photos, history), each decision through its service (success, refusal as a
message, CSRF), and bulk decisions reporting what was refused."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from babel.messages.pofile import read_po
from sqlalchemy import select

from bot.core.i18n import DEFAULT_LOCALES_DIR, Catalogs, po_path
from bot.core.unit import Actor, Unit
from bot.services import families as svc
from bot.services.family_sites import FamilyProfile, save_family
from bot.settings import Settings
from storage.db import Database
from storage.models import AuditLog, ChannelIdentity, OutboxMessage, User
from storage.models_families import StallRequest
from tests.conftest import Clock
from tests.families.support import SITE_END, SITE_START, add_site, national_id
from tests.web.rig import csrf_of, link_for, sign_in, staff_user

Client = TestClient[Any, Any]
TEMPLATES = Path(__file__).resolve().parents[2] / "bot" / "web" / "templates"
_KEY = re.compile(r"""\btn?\(\s*["']([a-z0-9_.]+)["']""")


def profile(seed: int, **changes: Any) -> FamilyProfile:
    values: dict[str, Any] = {
        "family_name": f"مطبخ <أم> محمد {seed}",
        "applicant_name": "نورة عبدالله الحارثي",
        "applicant_gender": "f",
        "national_id": national_id(seed),
        "mobile": "+966512345678",
        "district": "hawiya",
        "categories": ("food", "crafts"),
        "other_category": None,
        "freelance_doc_number": "FL-123456",
        "freelance_doc_expiry": date(2027, 12, 31),
        "health_cert_number": "HC998877",
        "health_cert_expiry": date(2027, 6, 30),
        "description": "أكلات طائفية",
        "photos": (),
        "needs": ("electricity",),
        "birth_date": date(1990, 5, 1),
    }
    values.update(changes)
    return FamilyProfile(**values)


async def family_request(
    db: Database,
    catalogs: Catalogs,
    settings: Settings,
    now: datetime,
    site_id: int,
    seed: int,
    stall_type: str = "food",
    later: dict[str, Any] | None = None,
    **changes: Any,
) -> int:
    """A registered family (a person of its own) and its submitted request; the request id.
    `later`: what the family corrects in its registration after submitting."""
    async with db.transaction() as s:
        user = User(locale="ar", role="user", created_at=now)
        s.add(user)
        await s.flush()
        external = f"family{seed}"
        s.add(
            ChannelIdentity(
                channel="console", external_id=external, chat_id=external, user_id=user.id
            )
        )
        unit = Unit(s, Actor.person(user.id, "user"), now, catalogs, settings)
        await save_family(unit, profile(seed, **changes))
        request = await svc.submit_request(unit, site_id, stall_type, SITE_START, SITE_END)
        if later:
            await save_family(unit, profile(seed, **{**changes, **later}))
        return request.id


async def signed_in(
    client: Client, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> int:
    user_id = await staff_user(db, "staff")
    await sign_in(client, await link_for(db, catalogs, settings, clock(), user_id))
    return user_id


async def token(client: Client, path: str = "/requests") -> str:
    return csrf_of(await (await client.get(path)).text())


async def row(db: Database, request_id: int) -> StallRequest:
    async with db.sessions() as s:
        found = await s.get(StallRequest, request_id)
        assert found is not None
        return found


async def audit_actions(db: Database) -> list[str]:
    async with db.sessions() as s:
        return list((await s.execute(select(AuditLog.action).order_by(AuditLog.id))).scalars())


async def notice_keys(db: Database) -> list[str]:
    async with db.sessions() as s:
        rows = (await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        return [n.payload["key"] for n in rows]


async def test_queue_filters_sorts_and_escapes(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    okaz = await add_site(db)
    other = await add_site(db, name_ar="سوق الطائف", name_en="Taif Market")
    a = await family_request(db, catalogs, web_settings, clock(), okaz, 1)
    b = await family_request(db, catalogs, web_settings, clock(), other, 2, "nonfood")
    await signed_in(client, db, catalogs, web_settings, clock)
    html = await (await client.get("/requests")).text()
    assert f'href="/requests/{a}"' in html and f'href="/requests/{b}"' in html
    assert "مطبخ &lt;أم&gt; محمد 1" in html  # the family's own text is escaped
    only_other = await (await client.get(f"/requests?site={other}")).text()
    assert f'href="/requests/{b}"' in only_other and f'href="/requests/{a}"' not in only_other
    food = await (await client.get("/requests?type=food")).text()
    assert f'href="/requests/{a}"' in food and f'href="/requests/{b}"' not in food
    none = await (await client.get("/requests?status=confirmed")).text()
    assert f'href="/requests/{a}"' not in none
    # Submitted on 25 Nov (Riyadh): a range from the 26th has none, one up to the 25th both.
    later = await (await client.get("/requests?from=2026-11-26")).text()
    assert f'href="/requests/{a}"' not in later
    upto = await (await client.get("/requests?from=2026-11-25&to=2026-11-25")).text()
    assert f'href="/requests/{a}"' in upto and f'href="/requests/{b}"' in upto
    unreadable = await (await client.get("/requests?from=zzz&to=٣١/٠٢/٢٠٢٦")).text()
    assert f'href="/requests/{a}"' in unreadable  # no filter, not an error
    by_id_desc = await (await client.get("/requests?sort=id&order=desc")).text()
    assert by_id_desc.index(f'href="/requests/{b}"') < by_id_desc.index(f'href="/requests/{a}"')
    assert 'aria-sort="descending"' in by_id_desc


async def test_request_page_masks_the_id_and_warns_of_expiring_documents(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    site = await add_site(db)
    photos = ({"kind": "photo", "file_id": "AgAD-1", "channel": "telegram"},)
    rid = await family_request(
        db,
        catalogs,
        web_settings,
        clock(),
        site,
        3,
        later={"freelance_doc_expiry": date(2026, 12, 25), "health_cert_expiry": SITE_END},
        photos=photos,
    )
    await signed_in(client, db, catalogs, web_settings, clock)
    html = await (await client.get(f"/requests/{rid}")).text()
    nid = national_id(3)
    assert nid not in html and f"{nid[0]}•••••••{nid[-2:]}" in html
    tr = catalogs.translator("ar")
    assert tr.raw("web.req.docs_warning") not in html  # both valid through the 20th
    assert "AgAD-1" not in html and "تحفظ منصة المراسلة الصور" in html
    assert tr.raw("fam.status.submitted") in html
    # Reading the page changes nothing: the review starts with a decision.
    assert (await row(db, rid)).status == "submitted"
    early = await family_request(
        db, catalogs, web_settings, clock(), site, 4, later={"health_cert_expiry": SITE_START}
    )
    assert tr.raw("web.req.docs_warning") in await (await client.get(f"/requests/{early}")).text()
    missing = await client.get("/requests/999")
    assert missing.status == 404 and tr.raw("fam.rev.gone") in await missing.text()


async def test_history_reads_in_staff_wording_as_in_chat(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    site = await add_site(db)
    rid = await family_request(db, catalogs, web_settings, clock(), site, 6)
    await signed_in(client, db, catalogs, web_settings, clock)
    csrf = await token(client, f"/requests/{rid}")
    await client.post(f"/requests/{rid}/offer", data={"csrf": csrf, "stall": "2"})
    page = await (await client.get(f"/requests/{rid}")).text()
    history = page.split('id="h-history"', 1)[1].split("</table>", 1)[0]
    tr = catalogs.translator("ar")
    assert tr.t("fam.rev.h.submitted") in history
    assert tr.t("fam.rev.h.approved", stall=2) in history  # "we offered stall 2"
    assert tr.raw("fam.status.approved") not in history  # not "offered to you"


async def test_offer_a_chosen_stall_then_refuse_a_second_decision(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    site = await add_site(db)
    rid = await family_request(db, catalogs, web_settings, clock(), site, 5)
    await signed_in(client, db, catalogs, web_settings, clock)
    csrf = await token(client, f"/requests/{rid}")
    done = await client.post(
        f"/requests/{rid}/offer", data={"csrf": csrf, "stall": "2"}, allow_redirects=False
    )
    assert done.status == 303 and done.headers["Location"] == f"/requests/{rid}"
    offered = await row(db, rid)
    assert offered.status == "approved" and offered.stall_number == 2
    assert "stall_request.approved" in await audit_actions(db)
    assert "fam.n.offer" in await notice_keys(db)
    page = await (await client.get(f"/requests/{rid}")).text()
    assert "<dd>2</dd>" in page
    # A second decision on the same request is refused with its status, and writes nothing.
    before = await audit_actions(db)
    refused = await client.post(f"/requests/{rid}/waitlist", data={"csrf": csrf})
    text = await refused.text()
    tr = catalogs.translator("ar")
    assert tr.raw("fam.status.approved") in text and "flash error" in text
    assert (await row(db, rid)).status == "approved"
    assert await audit_actions(db) == before


async def test_first_free_offer_reject_ask_and_waitlist(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    site = await add_site(db, food_stalls=1)
    ids = [await family_request(db, catalogs, web_settings, clock(), site, n) for n in (6, 7, 8)]
    await signed_in(client, db, catalogs, web_settings, clock)
    csrf = await token(client)
    await client.post(f"/requests/{ids[0]}/offer", data={"csrf": csrf, "stall": "first"})
    assert (await row(db, ids[0])).stall_number == 1
    # No food stall left: the refusal is a message and the request stays as it was.
    text = await (await client.post(f"/requests/{ids[1]}/offer", data={"csrf": csrf})).text()
    assert catalogs.translator("ar").raw("fam.rev.no_stall") in text
    assert (await row(db, ids[1])).status == "submitted"
    await client.post(f"/requests/{ids[1]}/waitlist", data={"csrf": csrf})
    assert (await row(db, ids[1])).status == "waitlisted"
    empty = await (await client.post(f"/requests/{ids[2]}/ask", data={"csrf": csrf})).text()
    assert catalogs.translator("ar").raw("web.req.ask.empty") in empty
    await client.post(f"/requests/{ids[2]}/ask", data={"csrf": csrf, "question": "كم المقاس؟"})
    asked = await row(db, ids[2])
    assert asked.status == "needs_info" and asked.info_request == "كم المقاس؟"
    await client.post(
        f"/requests/{ids[2]}/reject",
        data={"csrf": csrf, "reason": "documents", "note": "الشهادة منتهية"},
    )
    rejected = await row(db, ids[2])
    assert (rejected.status, rejected.reject_reason, rejected.reject_note) == (
        "rejected",
        "documents",
        "الشهادة منتهية",
    )
    actions = await audit_actions(db)
    for action in ("waitlisted", "needs_info", "rejected"):
        assert f"stall_request.{action}" in actions


async def test_decisions_need_the_csrf_token(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    site = await add_site(db)
    rid = await family_request(db, catalogs, web_settings, clock(), site, 9)
    await signed_in(client, db, catalogs, web_settings, clock)
    for action in ("offer", "reject", "ask", "waitlist"):
        refused = await client.post(f"/requests/{rid}/{action}", data={"question": "x"})
        assert refused.status == 403
    assert (await client.post("/requests/bulk", data={"ids": str(rid)})).status == 403
    assert (await row(db, rid)).status == "submitted"


async def test_bulk_reject_reports_what_was_refused(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    site = await add_site(db)
    ids = [await family_request(db, catalogs, web_settings, clock(), site, n) for n in (10, 11)]
    await signed_in(client, db, catalogs, web_settings, clock)
    csrf = await token(client)
    await client.post(f"/requests/{ids[0]}/offer", data={"csrf": csrf})
    before = len(await audit_actions(db))
    data = [("csrf", csrf), ("action", "reject"), ("reason", "capacity"), ("note", "")]
    data += [("ids", str(i)) for i in (*ids, 999)]
    done = await client.post("/requests/bulk", data=data)
    text = await done.text()
    assert str(done.url.path) == "/requests"
    tr = catalogs.translator("ar")
    assert "رُفض طلب واحد." in text  # the plural form for one
    assert f"لم يتغير الطلب رقم {ids[0]}" in text and "لم يتغير الطلب رقم 999" in text
    assert (await row(db, ids[0])).status == "approved"
    rejected = await row(db, ids[1])
    assert (rejected.status, rejected.reject_reason) == ("rejected", "capacity")
    assert len(await audit_actions(db)) == before + 1
    # Waitlisting in bulk, and nothing ticked.
    third = await family_request(db, catalogs, web_settings, clock(), site, 12)
    await client.post(
        "/requests/bulk", data=[("csrf", csrf), ("action", "waitlist"), ("ids", str(third))]
    )
    assert (await row(db, third)).status == "waitlisted"
    nothing = await client.post("/requests/bulk", data={"csrf": csrf, "action": "reject"})
    assert tr.raw("web.req.bulk.none") in await nothing.text()


async def test_bulk_flashes_count_in_plural_forms(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    site = await add_site(db)
    ids = [
        await family_request(db, catalogs, web_settings, clock(), site, n) for n in range(20, 31)
    ]
    await signed_in(client, db, catalogs, web_settings, clock)
    csrf = await token(client)

    async def bulk(action: str, chosen: list[int]) -> str:
        data = [("csrf", csrf), ("action", action), ("reason", "capacity"), ("note", "")]
        done = await client.post("/requests/bulk", data=data + [("ids", str(i)) for i in chosen])
        return await done.text()

    # Arabic: 3 to 10 take the plural with a feminine verb, 2 the dual, 11 and more the
    # singular in the accusative — each form its own text, never "{n}" pasted into one.
    assert "رُفضت 3 طلبات." in await bulk("reject", ids[:3])
    assert "نُقل طلبان إلى قائمة الانتظار." in await bulk("waitlist", ids[3:5])
    await client.get("/lang/en?next=/requests", allow_redirects=False)
    assert "6 requests moved to the waiting list." in await bulk("waitlist", ids[5:11])
    assert "1 request rejected." in await bulk("reject", ids[5:6])


async def test_a_plain_user_gets_no_request_page(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    anonymous = await client.get("/requests", allow_redirects=False)
    assert anonymous.status == 303 and anonymous.headers["Location"] == "/signin"


def test_my_templates_message_ids_are_in_both_catalogs() -> None:
    used = {
        key
        for folder in ("requests", "sites")
        for path in (TEMPLATES / folder).glob("*.html")
        for key in _KEY.findall(path.read_text())
    }
    assert "web.req.title" in used and "web.sites.save" in used
    for locale in ("ar", "en"):
        with po_path(DEFAULT_LOCALES_DIR, locale).open("rb") as fh:
            known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
        assert not used - known, f"{locale}: {sorted(used - known)}"
