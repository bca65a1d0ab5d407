"""Signing in to the staff web workspace without a password: a one-time link handed out in chat
(`/dashboard`) or by `shuraka web-link`, redeemed for a server-side session.

Secrets (link tokens, session ids) are random (`secrets.token_urlsafe`) and stored only as
sha256 hashes. A link works once and for `LINK_MINUTES`; a session ends on logout, after
`WEB_SESSION_HOURS` without a request, or at the first request after its person stopped being
staff (the role is read from the database on every request)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from bot.core.unit import Unit
from bot.services.errors import Conflict, Forbidden, NotFound, require_staff
from storage import repositories as repo
from storage import web as store
from storage.models_web import WebLink

LINK_MINUTES = 10
ADMIN = "admin"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class WebUser:
    """Who a request acts for, as read from the database on this request."""

    user_id: int
    role: str
    locale: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


@dataclass(frozen=True, slots=True)
class Login:
    """A redeemed link: the new session's id (for the cookie; stored only hashed) and who."""

    session_id: str
    user: WebUser


async def current_role(unit: Unit, user_id: int) -> WebUser | None:
    """The person's role now: ADMIN_IDS first (as in chat), else the stored one."""
    found = await store.user_and_identities(unit.session, user_id)
    if found is None:
        return None
    user, identities = found
    role = ADMIN if any(i in unit.settings.admin_ids for i in identities) else user.role
    return WebUser(user.id, role, user.locale)


async def issue_link(unit: Unit, user_id: int) -> str:
    """A one-time login link for a staff member (asked by themselves in chat, or an operator)."""
    require_staff(unit.actor)
    who = await current_role(unit, user_id)
    if who is None:
        raise NotFound("web.link_invalid")
    if who.role not in repo.STAFF_ROLES:
        raise Forbidden("web.not_staff")
    token = secrets.token_urlsafe(32)
    await store.add_link(
        unit.session, digest(token), user_id, unit.now, unit.now + timedelta(minutes=LINK_MINUTES)
    )
    await unit.audit("web.link", f"user:{user_id}")
    return f"{unit.settings.web_base_url.rstrip('/')}/login/{token}"


async def _usable_link(unit: Unit, token: str) -> tuple[WebLink, WebUser]:
    link = await store.link_for_update(unit.session, digest(token))
    if link is None:
        raise NotFound("web.link_invalid")
    if link.used_at is not None:
        raise Conflict("web.link_used")
    if link.expires_at <= unit.now:
        raise Conflict("web.link_expired")
    who = await current_role(unit, link.user_id)
    if who is None or who.role not in repo.STAFF_ROLES:
        raise Forbidden("web.not_staff")
    return link, who


async def check_link(unit: Unit, token: str) -> None:
    """Refuses a link `redeem` would refuse, without spending it."""
    await _usable_link(unit, token)


async def redeem(unit: Unit, token: str) -> Login:
    """Open a session for a link's owner. Refuses a forged, used or expired link, and a person
    who is no longer staff; a refused link opens nothing."""
    link, who = await _usable_link(unit, token)
    link.used_at = unit.now
    session_id = secrets.token_urlsafe(32)
    await store.add_session(unit.session, digest(session_id), who.user_id, unit.now)
    await unit.audit("web.login", f"user:{who.user_id}")
    return Login(session_id, who)


async def resume(unit: Unit, session_id: str) -> WebUser | None:
    """The signed-in person of a request, or None when the session is unknown, idle too long,
    or its person is no longer staff (then the session is ended here and now)."""
    row = await store.find_session(unit.session, digest(session_id))
    if row is None:
        return None
    idle = timedelta(hours=unit.settings.web_session_hours)
    who = await current_role(unit, row.user_id)
    if row.last_seen_at + idle <= unit.now or who is None or who.role not in repo.STAFF_ROLES:
        await store.end_session(unit.session, row.session_hash)
        return None
    row.last_seen_at = unit.now
    return who


async def sign_out(unit: Unit, session_id: str) -> None:
    await store.end_session(unit.session, digest(session_id))


async def prune(unit: Unit) -> None:
    """Forget expired links and idle sessions (the web process runs this now and then; a
    stale row opens nothing anyway, since redeeming and resuming judge the times again)."""
    idle = timedelta(hours=unit.settings.web_session_hours)
    await store.prune(unit.session, unit.now - timedelta(days=1), unit.now - idle)
