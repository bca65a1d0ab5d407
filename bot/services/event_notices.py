"""The notices a registration can cause (confirmations, promotions, reminders, changes,
cancellations), worded for each recipient, and the few display helpers they need.

Reminder rule (issue 6 §4): each confirmed registration gets outbox rows REMINDER_OFFSETS before
its shift (24 h and 2 h), written in the same transaction as the registration. Their keys carry
the shift's start and revision, so a change of time or place withdraws them (`cancel_pending`)
and queues new ones; a cancelled registration's are withdrawn with it. After downtime a
reminder is still sent while it is useful: each one expires when the next one takes over (the
24-hour one at the 2-hour mark, the last one at the start of the shift), and the sender skips an
expired one with the reason 'expired'. A reminder whose time has already passed when someone
registers is not queued at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dates import fmt_range
from bot.core.i18n import Translator
from bot.core.unit import Unit
from storage import events as event_store
from storage import outbox
from storage import registrations as store
from storage.models import User, Volunteer
from storage.models_events import CONFIRMED, Event, Shift, ShiftRegistration

# Global choice prefixes of the buttons notices carry (the events feature answers them):
# "evo:e:<event id>" opens an event, "evo:m:0" "my shifts"; "evr:<registration id>:<1-5>" rates.
OPEN = "evo"
OPEN_EVENT = "e"
OPEN_MY_SHIFTS = "m"
RATE = "evr"

REMINDER_OFFSETS = (timedelta(hours=24), timedelta(hours=2))


# --- what a notice shows --------------------------------------------------------------------------
def title_for(locale: str, event: Event) -> str:
    return event.title_en if locale == "en" and event.title_en else event.title_ar


def description_for(locale: str, event: Event) -> str:
    if locale == "en" and event.description_en:
        return event.description_en
    return event.description_ar


def place_for(locale: str, event: Event) -> str:
    """The event's place in the reader's language (English falls back to the Arabic name)."""
    return event.place_name_en if locale == "en" and event.place_name_en else event.place_name


def pin_of(event: Event) -> tuple[float, float] | None:
    if event.latitude is None or event.longitude is None:
        return None
    return (event.latitude, event.longitude)


def shift_params(tr: Translator, tz: str, event: Event, shift: Shift) -> dict[str, Any]:
    """The title, time and place of a shift, for messages about a registration."""
    return {
        "title": title_for(tr.locale, event),
        "when": fmt_range(tr, shift.starts_at, shift.ends_at, tz),
        "place": place_for(tr.locale, event),
    }


def open_event_choice(event_id: int) -> dict[str, Any]:
    return {"id": f"{OPEN}:{OPEN_EVENT}:{event_id}", "label": "ev.btn.open"}


MY_SHIFTS_CHOICE: dict[str, Any] = {"id": f"{OPEN}:{OPEN_MY_SHIFTS}:0", "label": "ev.btn.my_shifts"}


def reminder_prefix(reg_id: int) -> str:
    return f"ev:r{reg_id}:rem:"


# --- the notices ----------------------------------------------------------------------------------
@dataclass
class Notices:
    """Notifications about registrations, worded in each recipient's own language (params
    such as dates are rendered here for the recipient; the sender renders the message)."""

    unit: Unit

    @property
    def session(self) -> AsyncSession:
        return self.unit.session

    @property
    def tz(self) -> str:
        return self.unit.timezone

    def tr(self, user: User) -> Translator:
        return self.unit.catalogs.translator(user.locale)

    def params(self, user: User, event: Event, shift: Shift) -> dict[str, Any]:
        return shift_params(self.tr(user), self.tz, event, shift)

    async def send(
        self,
        user: User,
        key: str,
        *,
        idem: str,
        params: dict[str, Any],
        kind: str = "notice",
        due_at: datetime | None = None,
        expires_at: datetime | None = None,
        choices: list[dict[str, Any]] | None = None,
        location: tuple[float, float] | None = None,
    ) -> bool:
        return await self.unit.notifier.send(
            user.id,
            key,
            idempotency_key=idem,
            params=params,
            kind=kind,
            due_at=due_at,  # None: now on the unit's clock (the engine's), not the wall clock
            expires_at=expires_at,
            choices=choices,
            location=location,
        )

    async def about(
        self,
        user: User,
        reg: ShiftRegistration,
        event: Event,
        shift: Shift,
        key: str,
        tag: str,
        **extra: Any,
    ) -> bool:
        """A notice about one registration, sent now, with the event button and its pin."""
        return await self.send(
            user,
            key,
            idem=f"ev:r{reg.id}:{tag}",
            params={**self.params(user, event, shift), **extra},
            choices=[open_event_choice(event.id)],
            location=pin_of(event),
        )

    async def schedule_reminders(
        self, user: User, reg: ShiftRegistration, event: Event, shift: Shift
    ) -> int:
        """Queue the reminders of a confirmed registration (see the module docstring)."""
        now = self.unit.now
        offsets = sorted(REMINDER_OFFSETS, reverse=True)
        tr = self.tr(user)
        stamp = shift.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
        queued = 0
        for index, offset in enumerate(offsets):
            due = shift.starts_at - offset
            if due <= now:
                continue
            takes_over = offsets[index + 1] if index + 1 < len(offsets) else timedelta(0)
            minutes = int(offset.total_seconds() // 60)
            hours = minutes // 60
            left = tr.tn("ev.in_hours", hours) if minutes % 60 == 0 else tr.tn("ev.in_min", minutes)
            created = await self.send(
                user,
                "ev.n.reminder",
                idem=f"{reminder_prefix(reg.id)}{stamp}:v{shift.revision}:{minutes}m",
                params={**self.params(user, event, shift), "left": left},
                kind="reminder",
                due_at=due,
                expires_at=shift.starts_at - takes_over,
                choices=[MY_SHIFTS_CHOICE],
                location=pin_of(event),
            )
            queued += int(created)
        return queued

    async def withdraw_reminders(self, reg: ShiftRegistration, reason: str) -> int:
        return await outbox.cancel_pending(self.session, reminder_prefix(reg.id), reason)

    async def person(self, reg: ShiftRegistration) -> tuple[Volunteer, User]:
        volunteer = await self.session.get(Volunteer, reg.volunteer_id)
        assert volunteer is not None
        user = await self.session.get(User, volunteer.user_id)
        assert user is not None
        return volunteer, user

    async def promoted(self, promoted: list[ShiftRegistration], event: Event, shift: Shift) -> None:
        """Tell the volunteers who moved up from the waitlist, at once."""
        for reg in promoted:
            _, user = await self.person(reg)
            if reg.status == CONFIRMED:
                await self.about(user, reg, event, shift, "ev.n.promoted", "promoted")
                await self.schedule_reminders(user, reg, event, shift)
            else:
                await self.about(user, reg, event, shift, "ev.n.promoted_pending", "promoted")

    async def changed(self, event: Event, token: str, shifts: list[Shift] | None = None) -> int:
        """Staff changed the time or the place: tell every registrant and queue their
        reminders again (the old ones are withdrawn). `token` names this change (one notice
        per registrant and change)."""
        told = 0
        changed = (
            shifts if shifts is not None else await event_store.shifts_of(self.session, event.id)
        )
        for shift in changed:
            shift.revision += 1  # new reminder keys, even if a later change undoes this one
        wanted = {s.id for s in changed}
        for r in await store.registrants(self.session, event_id=event.id):
            if r.shift.id not in wanted:
                continue
            await self.withdraw_reminders(r.registration, "changed")
            await self.send(
                r.user,
                "ev.n.changed",
                idem=f"ev:r{r.registration.id}:chg:{token}"[:120],
                params=self.params(r.user, event, r.shift),
                choices=[open_event_choice(event.id)],
                location=pin_of(event),
            )
            if r.registration.status == CONFIRMED:
                await self.schedule_reminders(r.user, r.registration, event, r.shift)
            told += 1
        return told

    async def cancelled(self, event: Event, key: str, shift: Shift | None = None) -> int:
        """Staff cancelled the event (or one shift): every registrant is told, reminders are
        withdrawn, the registrations are cancelled."""
        told = 0
        regs = await store.registrants(
            self.session, event_id=event.id, shift_id=shift.id if shift else None
        )
        for r in regs:
            await self.withdraw_reminders(r.registration, "cancelled by staff")
            await self.send(
                r.user,
                key,
                idem=f"ev:r{r.registration.id}:cancelled",
                params=self.params(r.user, event, r.shift),
            )
            told += 1
        await store.cancel_all(self.session, [r.registration for r in regs], self.unit.now)
        return told
