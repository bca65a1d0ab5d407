"""`/agreements` in chat: a read-only list for staff (not the expired ones), refused to others."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.engine import Engine
from storage.db import Database
from tests.agreements.support import add_agreement, add_partner
from tests.support import Chat

pytestmark = pytest.mark.timeout(60)


async def test_staff_list_agreements_in_chat(engine: Engine, db: Database) -> None:
    partner = await add_partner(db)
    await add_agreement(db, partner, date(2026, 1, 1), date(2027, 3, 31), title="اتفاقية <أ>")
    await add_agreement(
        db, partner, date(2025, 1, 1), date(2025, 12, 31), status="expired", title="قديمة"
    )
    plain = Chat(engine, user="u1")
    await plain.onboard()
    await plain.send("/agreements")
    assert "اتفاقية" not in plain.text
    boss = Chat(engine, user="boss")  # an admin from ADMIN_IDS
    await boss.onboard()
    await boss.send("/agreements")
    assert "اتفاقيات الشركاء" in boss.text
    assert "اتفاقية &lt;أ&gt; — جمعية البر بالطائف" in boss.text and "(سارية)" in boss.text
    assert "قديمة" not in boss.text
    assert "http://127.0.0.1:8090/agreements" in boss.text
