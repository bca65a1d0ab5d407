"""Demo partner organisations (issue 15 item 1): an approved university, charity and company,
each with one confirmed demo representative, so staff can see the partners list, try a
broadcast to partners and open "my organisation" from the console. Names are catalog texts
(`demo.partner.*`), stored in Arabic and English as staff would enter them.

And their agreements (issue 15 item 3): a draft, one in force with targets, and one in force
ending within 60 days, so the agreements pages, the achievement report and the daily reminder
to staff have something to show."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import Catalogs
from storage import repositories as repo
from storage.models_partners import (
    APPROVED,
    ID_NONE,
    ID_UNIFIED,
    MEMBER_CONFIRMED,
    Agreement,
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
    await demo_agreements(session, catalogs, now)
    return added


# (catalog id of the title, the partner's catalog id, status, days from today to the first and
#  the last day, targets: volunteers, hours, events, families)
DEMO_AGREEMENTS: tuple[
    tuple[str, str, str, int, int, tuple[int | None, float | None, int | None, int | None]], ...
] = (
    ("demo.agreement.draft", "demo.partner.charity", "draft", 30, 395, (60, None, 6, 20)),
    (
        "demo.agreement.active",
        "demo.partner.university",
        "active",
        -200,
        165,
        (100, 800.0, 10, None),
    ),
    # Ends within 60 days: the daily job reminds staff of it.
    ("demo.agreement.ending", "demo.partner.company", "active", -320, 45, (40, 300.0, 4, 10)),
)


async def demo_agreements(session: AsyncSession, catalogs: Catalogs, now: datetime) -> int:
    """Adds the demo agreements not there yet (matched by title), dated from `now`; returns
    how many."""
    ar = catalogs.translator("ar")
    existing = set((await session.execute(select(Agreement.title))).scalars())
    today: date = now.date()
    added = 0
    for title_id, partner_id, status, first, last, targets in DEMO_AGREEMENTS:
        title = ar.raw(title_id)
        partner = (
            await session.execute(select(Partner.id).where(Partner.name_ar == ar.raw(partner_id)))
        ).scalar()
        if title in existing or partner is None:
            continue
        volunteers, hours, events, families = targets
        session.add(
            Agreement(
                partner_id=partner,
                title=title,
                start_date=today + timedelta(days=first),
                end_date=today + timedelta(days=last),
                status=status,
                target_volunteers=volunteers,
                target_hours=hours,
                target_events=events,
                target_families=families,
                created_at=now,
                updated_at=now,
            )
        )
        added += 1
    await session.flush()
    return added
