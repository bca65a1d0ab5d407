"""bot.services.web_access called directly: who may get a link, what redeeming a link does,
and what ends a session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import web_access
from bot.services.errors import Conflict, Forbidden, NotFound
from bot.settings import Settings
from storage import repositories as repo
from storage.db import Database
from storage.models import AuditLog
from storage.models_web import WebLink, WebSession
from tests.conftest import Clock
from tests.web.rig import staff_user


def unit_of(s: object, catalogs: Catalogs, settings: Settings, clock: Clock, actor: Actor) -> Unit:
    return Unit(s, actor, clock(), catalogs, settings)  # type: ignore[arg-type]


async def issue(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock, user_id: int
) -> str:
    async with db.transaction() as s:
        unit = unit_of(s, catalogs, settings, clock, Actor.operator("web-link"))
        return (await web_access.issue_link(unit, user_id)).rsplit("/", 1)[1]


async def count(db: Database, model: type) -> int:
    async with db.sessions() as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


async def test_issue_link_stores_only_a_hash_and_audits(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    user_id = await staff_user(db, "staff")
    token = await issue(db, catalogs, settings, clock, user_id)
    async with db.sessions() as s:
        link = (await s.execute(select(WebLink))).scalar_one()
        audit = (await s.execute(select(AuditLog))).scalars().all()
    assert link.token_hash == web_access.digest(token) and token not in link.token_hash
    assert link.expires_at == clock() + timedelta(minutes=10) and link.used_at is None
    assert [(a.actor, a.action, a.target) for a in audit] == [
        ("cli:web-link", "web.link", f"user:{user_id}")
    ]


async def test_only_staff_may_issue_and_only_for_staff(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    staff_id = await staff_user(db, "staff", external="1")
    plain_id = await staff_user(db, "user", external="2")
    async with db.transaction() as s:
        unit = unit_of(s, catalogs, settings, clock, Actor.person(plain_id, "user"))
        with pytest.raises(Forbidden):
            await web_access.issue_link(unit, staff_id)
        unit = unit_of(s, catalogs, settings, clock, Actor.person(staff_id, "staff"))
        with pytest.raises(Forbidden) as refused:
            await web_access.issue_link(unit, plain_id)
        assert refused.value.msgid == "web.not_staff"
        with pytest.raises(NotFound):
            await web_access.issue_link(unit, 9999)
    assert await count(db, WebLink) == 0 and await count(db, AuditLog) == 0


async def test_an_admin_from_admin_ids_gets_a_link(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    # settings.admin_ids == ["console:boss"]: stored role "user", admin all the same (as in chat)
    boss = await staff_user(db, "user", external="boss", channel="console")
    token = await issue(db, catalogs, settings, clock, boss)
    async with db.transaction() as s:
        unit = unit_of(s, catalogs, settings, clock, Actor("web"))
        login = await web_access.redeem(unit, token)
    assert login.user.role == "admin" and login.user.is_admin


async def test_redeem_works_once(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    user_id = await staff_user(db, "staff")
    token = await issue(db, catalogs, settings, clock, user_id)
    async with db.transaction() as s:
        login = await web_access.redeem(unit_of(s, catalogs, settings, clock, Actor("web")), token)
    assert login.user.user_id == user_id and login.user.role == "staff"
    async with db.transaction() as s:
        with pytest.raises(Conflict) as used:
            await web_access.redeem(unit_of(s, catalogs, settings, clock, Actor("web")), token)
    assert used.value.msgid == "web.link_used"
    assert await count(db, WebSession) == 1
    async with db.sessions() as s:
        actions = (await s.execute(select(AuditLog.action))).scalars().all()
    assert actions == ["web.link", "web.login"]


@pytest.mark.parametrize(
    ("later", "token_of", "error", "msgid"),
    [
        (timedelta(minutes=10), None, Conflict, "web.link_expired"),
        (timedelta(minutes=0), "forged", NotFound, "web.link_invalid"),
    ],
)
async def test_expired_and_forged_links_open_nothing(
    db: Database,
    catalogs: Catalogs,
    settings: Settings,
    clock: Clock,
    later: timedelta,
    token_of: str | None,
    error: type[Exception],
    msgid: str,
) -> None:
    user_id = await staff_user(db, "staff")
    token = token_of or await issue(db, catalogs, settings, clock, user_id)
    clock.now += later
    async with db.transaction() as s:
        unit = unit_of(s, catalogs, settings, clock, Actor("web"))
        with pytest.raises(error) as refused:
            await web_access.redeem(unit, token)
    assert getattr(refused.value, "msgid", None) == msgid
    assert await count(db, WebSession) == 0


async def test_a_link_of_someone_who_lost_the_role_opens_nothing(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    user_id = await staff_user(db, "staff")
    token = await issue(db, catalogs, settings, clock, user_id)
    async with db.transaction() as s:
        await repo.set_role(s, "telegram", "100", "user")
    async with db.transaction() as s:
        with pytest.raises(Forbidden):
            await web_access.redeem(unit_of(s, catalogs, settings, clock, Actor("web")), token)
    assert await count(db, WebSession) == 0
    async with db.sessions() as s:
        assert (await s.execute(select(WebLink.used_at))).scalar_one() is None


async def test_resume_ends_the_session_of_a_removed_role_or_an_idle_one(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    user_id = await staff_user(db, "admin")

    async def login() -> str:
        token = await issue(db, catalogs, settings, clock, user_id)
        async with db.transaction() as s:
            unit = unit_of(s, catalogs, settings, clock, Actor("web"))
            return (await web_access.redeem(unit, token)).session_id

    async def resume(session_id: str) -> web_access.WebUser | None:
        async with db.transaction() as s:
            unit = unit_of(s, catalogs, settings, clock, Actor("web"))
            return await web_access.resume(unit, session_id)

    first = await login()
    assert (await resume(first)) == web_access.WebUser(user_id, "admin", "ar")
    clock.now += timedelta(hours=settings.web_session_hours)
    assert await resume(first) is None  # idle too long
    assert await count(db, WebSession) == 0
    second = await login()
    async with db.transaction() as s:
        await repo.set_role(s, "telegram", "100", "user")
    assert await resume(second) is None
    assert await count(db, WebSession) == 0
    assert await resume("never-issued") is None


async def test_prune_forgets_stale_links_and_idle_sessions_only(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    user_id = await staff_user(db, "staff")
    old_token = await issue(db, catalogs, settings, clock, user_id)
    async with db.transaction() as s:
        old = await web_access.redeem(
            unit_of(s, catalogs, settings, clock, Actor("web")), old_token
        )
    clock.now += timedelta(days=2)
    await issue(db, catalogs, settings, clock, user_id)  # fresh, unused
    async with db.transaction() as s:
        await web_access.prune(unit_of(s, catalogs, settings, clock, Actor.system()))
    assert await count(db, WebLink) == 1 and await count(db, WebSession) == 0
    async with db.transaction() as s:
        assert (
            await web_access.resume(
                unit_of(s, catalogs, settings, clock, Actor("web")), old.session_id
            )
            is None
        )
