"""Staff roles: who is staff or admin, granting and removing the role.

Removing it also forgets the person's conversation (`storage.repositories.set_role`): a staff
screen they had open is gone. Only an admin (the CLI's operator is one) changes roles."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.unit import Unit
from bot.services.errors import Conflict, Forbidden, ServiceError, require_staff
from storage import repositories as repo

ADMIN, STAFF, USER = "admin", "staff", "user"


@dataclass(frozen=True)
class StaffMember:
    role: str
    identities: tuple[str, ...]  # "channel:external id"
    user_id: int | None = None  # the web's staff page knows the reader's own row by it


@dataclass(frozen=True)
class RoleChange:
    who: str  # "channel:external id"
    role: str  # the role now


def _require_admin(unit: Unit) -> None:
    if unit.actor.role != ADMIN:
        raise Forbidden()


async def grant_role(
    unit: Unit, channel: str, external_id: str, *, admin: bool = False
) -> RoleChange:
    """Make someone staff (or admin); a person not known yet is created with the role, so it
    is in place at their first message."""
    return await _set(unit, channel, external_id, ADMIN if admin else STAFF, "staff.add")


async def remove_role(unit: Unit, channel: str, external_id: str) -> RoleChange:
    """Make a staff member a plain user again."""
    return await _set(unit, channel, external_id, USER, "staff.remove")


async def _set(unit: Unit, channel: str, external_id: str, role: str, action: str) -> RoleChange:
    _require_admin(unit)
    await repo.set_role(unit.session, channel, external_id, role)
    who = f"{channel}:{external_id}"
    await unit.audit(action, who, role=role)
    return RoleChange(who, role)


async def list_staff(unit: Unit) -> list[StaffMember]:
    """Staff and admins stored in the database (ADMIN_IDS from the settings come on top)."""
    require_staff(unit.actor)
    return [
        StaffMember(
            user.role, tuple(f"{i.channel}:{i.external_id}" for i in user.identities), user.id
        )
        for user in await repo.staff_users(unit.session)
    ]


# --- the web's staff page (issue 13) -----------------------------------------------------------
CHANNELS = ("telegram", "whatsapp", "console")
ROLES = (STAFF, ADMIN, USER)


def parse_who(text: str) -> tuple[str, str]:
    """ "channel:id" as staff type it ("telegram:12345"); a bare id is a Telegram one, as at
    the CLI. Refused with a message when the channel is unknown or the id is empty."""
    who = text.strip()
    channel, _, external = who.partition(":") if ":" in who else ("telegram", "", who)
    channel, external = channel.strip().lower(), external.strip()
    if channel not in CHANNELS or not external or len(external) > 64 or " " in external:
        raise ServiceError("web.staff.bad_who", who=who)
    return channel, external


async def set_staff_role(unit: Unit, who: str, role: str) -> RoleChange:
    """Give "channel:id" a role (staff, admin, or user to remove it), as an admin on the web.
    An admin cannot change their own role here: the page would lock them out mid-session."""
    _require_admin(unit)
    if role not in ROLES:
        raise ServiceError("err.internal", role=role)
    channel, external = parse_who(who)
    mine = await repo.find_identity(unit.session, channel, external)
    if mine is not None and mine[1].id == unit.actor.user_id:
        raise Conflict("web.staff.not_self")
    if role == USER:
        return await remove_role(unit, channel, external)
    return await grant_role(unit, channel, external, admin=role == ADMIN)
