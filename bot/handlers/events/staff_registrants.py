"""Staff and events, the people of a shift: the registrant list with approval and check-in/out
(or check-in by national ID or mobile), and exports of registrants, waitlist, attendance and
hours. `RegistrantScreens` is the part of the events panel (`staff_admin.EventAdmin`) that shows
them."""

from __future__ import annotations

import math
from abc import abstractmethod

from bot.core.dates import fmt_datetime, fmt_hours, fmt_time
from bot.core.flow import Context, Flow
from bot.core.i18n import N_
from bot.core.messages import Attachment, Choice
from bot.core.validators import (
    Invalid,
    parse_mobile,
    parse_national_id,
)
from bot.exports import to_csv, to_xlsx
from bot.handlers.events.common import (
    CHECKIN_OPENS,
    STATUS_KEYS,
    Notices,
)
from bot.handlers.events.staff_forms import (
    EXPORT_COLUMNS,
    REGISTRANTS_PAGE,
)
from storage import events as store
from storage.models_events import CONFIRMED, PENDING, WAITLISTED, Event, Shift, ShiftRegistration


class RegistrantScreens(Flow):
    """The events panel's screens for a shift's people (steps regs and find), with the loading
    of the event and shift being looked at that every screen of the panel uses."""

    # --- loading ----------------------------------------------------------------------------
    async def _event(self, ctx: Context) -> Event | None:
        return await store.get_event(ctx.session, int(ctx.state.data.get("eid") or 0))

    async def _shift(self, ctx: Context) -> tuple[Event, Shift] | None:
        event = await self._event(ctx)
        shift = await store.get_shift(ctx.session, int(ctx.state.data.get("sid") or 0))
        if event is None or shift is None or shift.event_id != event.id:
            return None
        return event, shift

    async def _shift_or_event(self, ctx: Context) -> tuple[Event, Shift] | None:
        """The shift being looked at; None, after showing its event, when it is gone."""
        found = await self._shift(ctx)
        if found is None:
            await self.show_event(ctx)
        return found

    @abstractmethod
    async def show_event(self, ctx: Context) -> None:
        """The event being looked at (in `staff_admin.EventAdmin`)."""

    @abstractmethod
    async def show_shift(self, ctx: Context) -> None:
        """The shift being looked at (in `staff_admin.EventAdmin`)."""

    # --- registrants, approval, attendance ----------------------------------------------------
    async def show_registrants(self, ctx: Context) -> None:
        ctx.set_step("regs")
        tr, tz = ctx.tr, ctx.settings.timezone
        found = await self._shift_or_event(ctx)
        if found is None:
            return
        _, shift = found
        people = await store.registrants(ctx.session, shift_id=shift.id)
        page = int(ctx.state.data.get("rpage", 0))
        pages = max(1, math.ceil(len(people) / REGISTRANTS_PAGE))
        page = min(page, pages - 1)
        ctx.state.data["rpage"] = page
        lines = [tr.t("eva.registrants_title"), tr.tn("eva.registrants_count", len(people))]
        if pages > 1:
            lines.append(tr.t("ev.page", page=page + 1, pages=pages))
        choices: list[Choice] = []
        position = 0
        positions: dict[int, int] = {}
        for r in people:
            if r.registration.status == WAITLISTED:
                position += 1
                positions[r.registration.id] = position
        start = page * REGISTRANTS_PAGE
        for number, r in enumerate(people[start : start + REGISTRANTS_PAGE], start=start + 1):
            reg, name = r.registration, r.volunteer.full_name
            status = tr.label(STATUS_KEYS[reg.status])
            if reg.id in positions:
                status = tr.label("ev.status.waitlisted_n", n=positions[reg.id])
            attendance = []
            if reg.checked_in_at is not None:
                attendance.append(tr.label("eva.in_at", time=fmt_time(tr, reg.checked_in_at, tz)))
            if reg.checked_out_at is not None:
                attendance.append(tr.label("eva.out_at", time=fmt_time(tr, reg.checked_out_at, tz)))
            lines.append(
                tr.t(
                    "eva.registrant_line",
                    n=number,
                    name=name,
                    status=status,
                    attendance=" ".join(attendance),
                )
            )
            rid = reg.id
            if reg.status == PENDING:
                choices.append(ctx.choice("regs", f"a{rid}", "eva.btn.approve", name=name))
                choices.append(ctx.choice("regs", f"j{rid}", "eva.btn.reject", name=name))
            elif reg.status == CONFIRMED and reg.checked_in_at is None:
                choices.append(ctx.choice("regs", f"i{rid}", "eva.btn.check_in", name=name))
            elif reg.status == CONFIRMED and reg.checked_out_at is None:
                choices.append(ctx.choice("regs", f"o{rid}", "eva.btn.check_out", name=name))
        if page > 0:
            choices.append(ctx.choice("regs", "_pv", "ev.btn.prev"))
        if page + 1 < pages:
            choices.append(ctx.choice("regs", "_nx", "ev.btn.next"))
        choices.append(ctx.choice("regs", "_bk", "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def on_registrants(self, ctx: Context, value: str) -> None:
        data = ctx.state.data
        if value == "_bk":
            await self.show_shift(ctx)
            return
        if value in ("_pv", "_nx"):
            data["rpage"] = max(int(data.get("rpage", 0)) + (1 if value == "_nx" else -1), 0)
            await self.show_registrants(ctx)
            return
        found = await self._shift(ctx)
        action, rest = value[:1], value[1:]
        reg = await store.get_registration(ctx.session, int(rest)) if rest.isdigit() else None
        if found is None or reg is None or reg.shift_id != found[1].id:
            await self.show_registrants(ctx)
            return
        event, shift = found
        if action == "a":
            await self.approve(ctx, event, shift, reg)
        elif action == "j":
            await self.reject(ctx, event, shift, reg)
        elif action in ("i", "o"):
            await self.attendance(ctx, shift, reg, "in" if action == "i" else "out")
        await self.show_registrants(ctx)

    async def approve(
        self, ctx: Context, event: Event, shift: Shift, reg: ShiftRegistration
    ) -> None:
        notices = Notices(ctx.unit)
        volunteer, user = await notices.person(reg)
        if reg.status != PENDING:
            ctx.say("eva.err.not_pending", name=volunteer.full_name)
            return
        outcome = await store.approve(ctx.session, reg, shift, ctx.now)
        if outcome == CONFIRMED:
            await notices.about(user, reg, event, shift, N_("ev.n.approved"), "approved")
            await notices.schedule_reminders(user, reg, event, shift)
            ctx.say("eva.approved", name=volunteer.full_name)
        else:
            position = await store.waitlist_position(ctx.session, reg)
            await notices.about(
                user, reg, event, shift, N_("ev.n.approved_waitlist"), "approved", position=position
            )
            ctx.say("eva.approved_waitlist", name=volunteer.full_name, position=position)
        await ctx.audit("registration.approved", f"registration:{reg.id}", outcome=outcome)

    async def reject(
        self, ctx: Context, event: Event, shift: Shift, reg: ShiftRegistration
    ) -> None:
        notices = Notices(ctx.unit)
        volunteer, user = await notices.person(reg)
        if reg.status != PENDING:
            ctx.say("eva.err.not_pending", name=volunteer.full_name)
            return
        promoted = await store.cancel(ctx.session, reg, shift, ctx.now)
        await notices.about(user, reg, event, shift, N_("ev.n.rejected"), "rejected")
        await notices.promoted(promoted, event, shift)
        await ctx.audit("registration.rejected", f"registration:{reg.id}")
        ctx.say("eva.rejected", name=volunteer.full_name)

    async def attendance(
        self, ctx: Context, shift: Shift, reg: ShiftRegistration, wanted: str | None
    ) -> None:
        """Check in, or check out: `wanted` from a button; None (typed ID) toggles."""
        tr, tz = ctx.tr, ctx.settings.timezone
        volunteer, _ = await Notices(ctx.unit).person(reg)
        name = volunteer.full_name
        if reg.status != CONFIRMED:
            ctx.say("eva.err.not_confirmed", name=name, status=tr.label(STATUS_KEYS[reg.status]))
        elif reg.checked_in_at is None and wanted != "out":
            opens = shift.starts_at - CHECKIN_OPENS
            if ctx.now < opens:
                ctx.say("eva.err.too_early", when=fmt_datetime(tr, opens, tz))
                return
            reg.checked_in_at = ctx.now
            await ctx.audit("attendance.check_in", f"registration:{reg.id}")
            ctx.say("eva.checked_in", name=name, time=fmt_time(tr, ctx.now, tz))
        elif reg.checked_in_at is not None and reg.checked_out_at is None and wanted != "in":
            reg.checked_out_at = ctx.now
            await ctx.audit("attendance.check_out", f"registration:{reg.id}")
            hours = fmt_hours(store.hours_of(reg, shift, ctx.now))
            ctx.say("eva.checked_out", name=name, time=fmt_time(tr, ctx.now, tz), hours=hours)
        elif reg.checked_out_at is not None:
            ctx.say("eva.already_out", name=name)
        elif reg.checked_in_at is not None:
            ctx.say("eva.already_in", name=name)
        else:
            ctx.say("eva.not_in", name=name)

    def ask_find(self, ctx: Context) -> None:
        ctx.set_step("find")
        ctx.reply(
            ctx.tr.t("eva.find_prompt"),
            [
                ctx.choice("find", "rg", "eva.btn.registrants"),
                ctx.choice("find", "_bk", "form.back"),
            ],
        )

    async def on_find(self, ctx: Context, value: str) -> None:
        if value == "rg":
            ctx.state.data["rpage"] = 0
            await self.show_registrants(ctx)
        elif value == "_bk":
            await self.show_shift(ctx)
        else:
            self.ask_find(ctx)

    async def find(self, ctx: Context, text: str) -> None:
        found = await self._shift_or_event(ctx)
        if found is None:
            return
        _, shift = found
        national_id = mobile = None
        try:
            national_id = parse_national_id(text)
        except Invalid:
            try:
                mobile = parse_mobile(text)
            except Invalid:
                ctx.say("eva.err.id_or_mobile")
                self.ask_find(ctx)
                return
        people = await store.find_registrants(
            ctx.session, shift.id, national_id=national_id, mobile=mobile
        )
        # A shared family mobile: only the volunteers confirmed and not yet checked out count.
        open_ones = [
            p
            for p in people
            if p.registration.status == CONFIRMED and p.registration.checked_out_at is None
        ]
        if not people:
            ctx.say("eva.err.not_registered")
        elif len(people) == 1:
            await self.attendance(ctx, shift, people[0].registration, None)
        elif len(open_ones) == 1:
            await self.attendance(ctx, shift, open_ones[0].registration, None)
        else:
            ctx.say("eva.err.shared_mobile")
        self.ask_find(ctx)

    # --- export -----------------------------------------------------------------------------
    async def export(self, ctx: Context, event: Event) -> None:
        tr = ctx.tr
        zone = ctx.timezone
        people = await store.registrants(ctx.session, event_id=event.id)
        rows = []
        positions: dict[int, int] = {}
        for r in people:
            reg, shift, volunteer = r.registration, r.shift, r.volunteer
            position = None
            if reg.status == WAITLISTED:
                position = positions[shift.id] = positions.get(shift.id, 0) + 1
            gender_key = "vol.gender.female" if volunteer.gender == "f" else "vol.gender.male"
            rows.append(
                [
                    shift.starts_at.astimezone(zone),
                    volunteer.full_name,
                    volunteer.national_id,
                    volunteer.mobile,
                    tr.label(gender_key),
                    tr.label(STATUS_KEYS[reg.status]),
                    position,
                    reg.created_at.astimezone(zone),
                    reg.checked_in_at.astimezone(zone) if reg.checked_in_at else None,
                    reg.checked_out_at.astimezone(zone) if reg.checked_out_at else None,
                    round(store.hours_of(reg, shift, ctx.now), 2),
                    reg.rating,
                ]
            )
        headers = [tr.label(key) for key in EXPORT_COLUMNS]
        name = f"event-{event.id}"
        ctx.reply(
            tr.tn("eva.exported", len(rows), title=event.title_ar),
            attachment=Attachment(
                kind="document",
                filename=f"{name}.xlsx",
                data=to_xlsx(tr.label("eva.x.sheet"), headers, rows),
            ),
        )
        ctx.reply(
            tr.t("eva.export_csv"),
            attachment=Attachment(
                kind="document", filename=f"{name}.csv", data=to_csv(headers, rows)
            ),
        )
        await ctx.audit("event.exported", f"event:{event.id}", rows=len(rows))
