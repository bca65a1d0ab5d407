"""A person's rights over their data (PDPL): what is stored about them, and deleting it.

Deleting goes through every feature's `release` first (a shift place passes to the waitlist, a
stall to the next family), then the person's rows go (FK cascades), and the audit log keeps only
that it happened, never what was deleted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.unit import PersonRelease, Unit
from bot.services.errors import Forbidden, NotFound, require_staff
from storage import families as families_store
from storage import inbound
from storage import registrations as registrations_store
from storage import repositories as repo
from storage.models import User, Volunteer
from storage.models_families import HOLDS_STALL, Site, StallRequest


@dataclass(frozen=True)
class StoredData:
    """What the chat shows under "my data" beyond the features' own sections."""

    user: User
    volunteer: Volunteer | None


def _own_or_staff(unit: Unit, user_id: int) -> None:
    if unit.actor.user_id != user_id:
        require_staff(unit.actor)


async def stored_data(unit: Unit, user_id: int) -> StoredData:
    """A person's stored account and volunteer profile (their own, or anyone's for staff)."""
    _own_or_staff(unit, user_id)
    user = await unit.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return StoredData(user, await repo.volunteer_for_user(unit.session, user_id))


@dataclass(frozen=True)
class Holdings:
    """What deleting a person would remove, for the warning before it: it names only what
    exists, and each stall the person's family holds (it will pass to the waiting list)."""

    volunteer: bool
    family_name: str | None  # None: no family registered
    stall_requests: int  # every request kept about the family, whatever its status
    held_stalls: tuple[tuple[StallRequest, Site], ...]  # offered or confirmed stalls
    upcoming_registrations: int  # live registrations for shifts not over yet


async def holdings(unit: Unit, user_id: int) -> Holdings:
    """What the person has that a deletion removes (their own, or anyone's for staff)."""
    _own_or_staff(unit, user_id)
    volunteer = await repo.volunteer_for_user(unit.session, user_id)
    registrations = (
        await registrations_store.volunteer_registrations(
            unit.session, volunteer.id, ending_after=unit.now
        )
        if volunteer is not None
        else []
    )
    family = await families_store.family_for_user(unit.session, user_id)
    requests = await families_store.family_requests(unit.session, family.id) if family else []
    return Holdings(
        volunteer=volunteer is not None,
        family_name=family.family_name if family else None,
        stall_requests=len(requests),
        held_stalls=tuple((r, site) for r, site in requests if r.status in HOLDS_STALL),
        upcoming_registrations=len(registrations),
    )


async def delete_person(unit: Unit, user_id: int, releases: Sequence[PersonRelease]) -> None:
    """Delete a person and everything stored about them, after each feature released what
    they hold. A person deletes their own data; staff may delete anyone's."""
    _own_or_staff(unit, user_id)
    if await unit.session.get(User, user_id) is None:
        raise NotFound()
    for release in releases:
        await release(unit, user_id)
    # Webhook bodies not yet processed (or kept after failing) hold the person's number, name
    # and words: they go at once, with everything else.
    await inbound.purge_person(unit.session, user_id)
    # Replies saved for a re-delivery may name them (a staff member's list of registrants):
    # all are dropped, which costs at most a resend after a worker's crash in these seconds.
    await repo.clear_pending_replies(unit.session)
    await repo.delete_user(unit.session, user_id)
    # The loaded rows are gone; forget them so the commit does not try to update them.
    unit.session.expunge_all()
    own = unit.actor.user_id == user_id
    await unit.audit("user.deleted_own_data" if own else "user.deleted", f"user:{user_id}")


async def accept_privacy_notice(unit: Unit, user_id: int) -> None:
    """The person accepted the current privacy notice (PDPL: notice before collection): its
    version and the moment are kept, and shown to them under "my data"."""
    version = unit.settings.privacy_notice_version
    await _write_own(unit, user_id, consent_version=version, consent_at=unit.now)


async def set_announcements(unit: Unit, user_id: int, wanted: bool) -> None:
    """Stop or restart broadcasts to a person (PDPL art. 25 opt-out); notices about their own
    requests and shifts keep coming."""
    user = await _own_user(unit, user_id)
    user.opted_out_announcements = not wanted


async def _write_own(unit: Unit, user_id: int, **values: Any) -> None:
    """Columns of the acting person's own row, by one UPDATE. In a chat update the person is
    loaded already and is written without an ORM session (issue 18: the privacy step spent
    most of its time making one); elsewhere through the session's instance."""
    if unit.actor.user_id != user_id:
        raise Forbidden()
    person = unit.person
    if person is not None and person.id == user_id:
        await person.write(await unit.connection(), **values)
        return
    user = await _own_user(unit, user_id)
    await repo.update_user(unit.session, user, **values)


async def _own_user(unit: Unit, user_id: int) -> User:
    if unit.actor.user_id != user_id:
        raise Forbidden()
    user = await unit.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user
