"""The Arabic wording the issue asks for (issue 14 item 14), read from the catalog and seen in
the chat where it depends on code (a skipped feminine field, a time range within one day)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.core.dates import fmt_range
from bot.core.engine import Engine
from bot.core.i18n import DEFAULT_LOCALES_DIR, Catalogs, po_path
from storage.db import Database
from tests.families.support import answer_all, family_answers, national_id
from tests.support import ADULT_ANSWERS, Chat, plain


@pytest.fixture(scope="module")
def arabic() -> Catalog:
    with po_path(DEFAULT_LOCALES_DIR, "ar").open("rb") as fh:
        return read_po(fh, abort_invalid=True)


def _text(catalog: Catalog, key: str) -> str:
    message = catalog.get(key)
    assert message is not None, key
    return str(message.string)


@pytest.mark.parametrize(
    ("key", "wording"),
    [
        ("bc.scheduled", "تمت جدولة الإعلان"),
        ("web.bc.scheduled", "تمت جدولة الإعلان"),
        ("fam.n.needs_info", "يحتاج الفريق إلى معلومات"),
        ("fam.my.none", "لا توجد طلبات"),
        ("form.err.multi_min", "اختر خيارًا واحدًا على الأقل"),
        ("ev.range_day", "من الساعة"),
    ],
)
def test_the_requested_wording_is_in_the_catalog(arabic: Catalog, key: str, wording: str) -> None:
    assert wording in _text(arabic, key)


def test_exact_labels(arabic: Catalog) -> None:
    assert _text(arabic, "fam.fee.rent") == "إيجار"  # "الرسوم: إيجار", not "الرسوم: بإيجار"
    assert _text(arabic, "fam.f.gender") == "جنس مقدّم الطلب"
    assert _text(arabic, "form.skipped_f") == "(لم تُذكر)"
    assert _text(arabic, "form.skipped") == "(لم يُذكر)"
    assert _text(arabic, "district.mathna") == "المثناة"


def test_no_request_list_says_bare_la_talabat(arabic: Catalog) -> None:
    # "لا توجد طلبات" everywhere a list of requests is empty
    texts = [
        str(s)
        for m in arabic
        if m.id
        for s in (m.string if isinstance(m.string, (tuple, list)) else [m.string])
    ]
    assert not [t for t in texts if "لا طلبات" in t]


def test_a_time_range_within_a_day_reads_from_the_hour_to(catalogs: Catalogs) -> None:
    start = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # 8:00 in Riyadh
    end = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    arabic = fmt_range(catalogs.translator("ar"), start, end, "Asia/Riyadh")
    assert arabic.endswith("من الساعة 8:00 ص إلى 12:30 م"), arabic
    assert "1448" in arabic and "2026" in arabic  # the day, Hijri then Gregorian, once
    assert arabic.count("2026") == 1 and arabic.count("الساعة") == 1  # the time said once
    english = fmt_range(catalogs.translator("en"), start, end, "Asia/Riyadh")
    assert english.endswith("8:00 AM – 12:30 PM"), english


async def test_a_skipped_feminine_field_reads_lam_tudhkar(engine: Engine, db: Database) -> None:
    family = Chat(engine, user="fam")
    await family.onboard()
    await family.press("fam")
    await family.press("reg")
    await answer_all(family, family_answers(national_id(1), photos=0))
    summary = plain(family.text)
    assert "صورة 1: (لم تُذكر)" in summary, summary  # a photo: feminine
    assert "(لم يُذكر)" not in summary


async def test_a_skipped_masculine_field_reads_lam_yudhkar(engine: Engine, db: Database) -> None:
    volunteer = Chat(engine, user="vol")
    await volunteer.start_signup()
    for how, value in ADULT_ANSWERS:
        await volunteer.answer(how, value)
    summary = plain(volunteer.text)
    assert "البريد الإلكتروني: (لم يُذكر)" in summary, summary  # an address: masculine
