"""bot.services.staff called directly: granting and removing roles (admins only, audited as
the CLI always was), and listing staff."""

from __future__ import annotations

import pytest

from bot.core.unit import Actor
from bot.services import staff
from bot.services.errors import Forbidden
from storage import repositories as repo
from storage.db import Database
from storage.models import AuditLog, ChannelIdentity, Conversation, User
from tests.services.support import NOW, Units, add_person, count, rows, units

__all__ = ["units"]

CLI = Actor("cli", None, "admin")


async def test_grant_staff_to_someone_not_known_yet(units: Units, db: Database) -> None:
    async with units(CLI) as unit:
        change = await staff.grant_role(unit, "telegram", "42")
    assert (change.who, change.role) == ("telegram:42", "staff")
    [identity] = await rows(db, ChannelIdentity)
    [user] = await rows(db, User)
    assert (identity.external_id, user.role) == ("42", "staff")
    [audit] = await rows(db, AuditLog)
    assert (audit.actor, audit.action, audit.target, audit.details) == (
        "cli",
        "staff.add",
        "telegram:42",
        {"role": "staff"},
    )


async def test_grant_admin_then_remove_forgets_the_open_screen(units: Units, db: Database) -> None:
    uid = await add_person(db, "77")
    async with units(CLI) as unit:
        assert (await staff.grant_role(unit, "telegram", "77", admin=True)).role == "admin"
    async with db.transaction() as session:
        session.add(Conversation(user_id=uid, flow="bcl", step="list", data={}, updated_at=NOW))
    async with units(CLI) as unit:
        assert (await staff.remove_role(unit, "telegram", "77")).role == "user"
    [user] = await rows(db, User)
    assert user.role == "user"
    assert await count(db, Conversation) == 0
    actions = [(a.action, a.details) for a in await rows(db, AuditLog)]
    assert actions == [("staff.add", {"role": "admin"}), ("staff.remove", {"role": "user"})]


async def test_only_admins_change_roles(units: Units, db: Database) -> None:
    member = await add_person(db, "5", role="staff")
    target = await add_person(db, "6")
    for actor in (Actor.person(member, "staff"), Actor.person(target)):
        async with units(actor) as unit:
            with pytest.raises(Forbidden):
                await staff.grant_role(unit, "telegram", "6", admin=True)
            with pytest.raises(Forbidden):
                await staff.remove_role(unit, "telegram", "5")
    async with db.sessions() as session:
        assert [(u.id, u.role) for u in await repo.staff_users(session)] == [(member, "staff")]
    assert await count(db, AuditLog) == 0


async def test_list_staff(units: Units, db: Database) -> None:
    await add_person(db, "1", role="staff")
    await add_person(db, "2", role="admin")
    await add_person(db, "3")
    async with units(CLI) as unit:
        listed = await staff.list_staff(unit)
    assert sorted((m.role, m.identities) for m in listed) == [
        ("admin", ("telegram:2",)),
        ("staff", ("telegram:1",)),
    ]
    async with units(Actor.person(1)) as unit:
        with pytest.raises(Forbidden):
            await staff.list_staff(unit)
