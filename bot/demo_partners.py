"""Demo partner organisations (issue 15 item 1): an approved university, charity and company,
each with one confirmed demo representative, so staff can see the partners list, try a
broadcast to partners and open "my organisation" from the console. Names are catalog texts
(`demo.partner.*`), stored in Arabic and English as staff would enter them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import Catalogs
from storage import repositories as repo
from storage.models_partners import (
    APPROVED,
    ID_NONE,
    ID_UNIFIED,
    MEMBER_CONFIRMED,
    Partner,
    PartnerMember,
)

DEMO_CHANNEL = "console"
# (catalog id of the name, type, unified number or None, department catalog id or None,
#  areas, representative's console user, catalog id of the representative's name, mobile)
DEMO_PARTNERS = (
    (
        "demo.partner.university",
        "government",
        None,
        "demo.partner.university.dept",
        ["education", "environment"],
        "partner1",
        "demo.person.rep_university",
        "+966501000011",
    ),
    (
        "demo.partner.charity",
        "nonprofit",
        "7001000021",
        None,
        ["social", "health"],
        "partner2",
        "demo.person.rep_charity",
        "+966501000012",
    ),
    (
        "demo.partner.company",
        "company",
        "7001000031",
        None,
        ["beautification", "national"],
        "partner3",
        "demo.person.rep_company",
        "+966501000013",
    ),
)


async def demo_partners(session: AsyncSession, catalogs: Catalogs, now: datetime) -> int:
    """Adds the demo partners not there yet (matched by Arabic name); returns how many."""
    ar, en = catalogs.translator("ar"), catalogs.translator("en")
    existing = set((await session.execute(select(Partner.name_ar))).scalars())
    added = 0
    for name_id, kind, number, dept_id, areas, user, rep_id, mobile in DEMO_PARTNERS:
        if ar.raw(name_id) in existing:
            continue
        known = await repo.find_identity(session, DEMO_CHANNEL, user)
        if known is None:
            _, person = await repo.create_user(session, DEMO_CHANNEL, user, user, locale="ar")
            person.consent_version, person.consent_at = "demo", now
        else:
            person = known[1]
        partner = Partner(
            name_ar=ar.raw(name_id),
            name_en=en.raw(name_id),
            type=kind,
            id_kind=ID_UNIFIED if number else ID_NONE,
            reg_number=number,
            department=ar.raw(dept_id) if dept_id else None,
            contact_name=ar.raw(rep_id),
            contact_mobile=mobile,
            areas=areas,
            status=APPROVED,
            reviewed_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(partner)
        await session.flush()
        session.add(
            PartnerMember(
                partner_id=partner.id,
                user_id=person.id,
                name=ar.raw(rep_id),
                status=MEMBER_CONFIRMED,
                decided_at=now,
                created_at=now,
            )
        )
        added += 1
    return added
