"""Staff and events, the people of a shift: the registrant list with approval and check-in/out
(or check-in by national ID or mobile), and exports of registrants, waitlist, attendance and
hours. `RegistrantScreens` is the part of the events panel (`staff_admin.EventAdmin`) that shows
them."""

from __future__ import annotations

from abc import abstractmethod
from enum import StrEnum

from bot.core.dates import fmt_time, hours_text
from bot.core.flow import Context, Flow
from bot.core.messages import Attachment, Choice
from bot.core.pager import current_page, page_choices, page_line, turn
from bot.core.validators import (
    Invalid,
    parse_mobile,
    parse_national_id,
)
from bot.exports import to_csv, to_xlsx
from bot.handlers.events.common import BACK, say_refusal
from bot.handlers.events.staff_forms import (
    REGISTRANTS_PAGE,
)
from bot.services import access_needs, attendance, guardians
from bot.services import registrations as service
from bot.services.errors import ServiceError
from bot.services.registrations import EXPORT_COLUMNS, STATUS_KEYS
from storage import events as store
from storage import registrations as reg_store
from storage.models_events import CONFIRMED, PENDING, WAITLISTED, Event, Shift, ShiftRegistration


class Step(StrEnum):
    """The steps of the staff's events panel (`staff_admin.EventAdmin`)."""

    LIST = "list"
    EVENT = "event"
    CANCEL_EVENT = "cx"  # confirm cancelling the event
    SHIFT = "shift"
    CANCEL_SHIFT = "cs"  # confirm cancelling the shift
    REGISTRANTS = "regs"
    FIND = "find"  # check-in by national ID or mobile


# Choice values: "<prefix><id>" opens an event or a shift, or acts on a registration.
OPEN_EVENT, OPEN_SHIFT = "e", "s"
APPROVE, REJECT, CHECK_IN, CHECK_OUT = "a", "j", "i", "o"
GUARDIAN = "g"  # staff confirm a minor's guardian (who is checked in only after it)
UNDO_IN, UNDO_OUT = "ui", "uo"  # undo a check-in / a check-out (staff pressed the wrong one)
UNDO_OF = {attendance.CHECK_IN: UNDO_IN, attendance.CHECK_OUT: UNDO_OUT}
UNDO_LABEL = {UNDO_IN: "eva.btn.undo_in", UNDO_OUT: "eva.btn.undo_out"}
TO_REGISTRANTS = "rg"
REGISTRANTS_PAGE_KEY = "rpage"


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
        ctx.set_step(Step.REGISTRANTS)
        tr, tz = ctx.tr, ctx.settings.timezone
        found = await self._shift_or_event(ctx)
        if found is None:
            return
        _, shift = found
        people = await reg_store.registrants(ctx.session, shift_id=shift.id)
        needs = await access_needs.needs_on_shift(ctx.unit, shift.id)  # only this shift's
        page = current_page(ctx, len(people), REGISTRANTS_PAGE, REGISTRANTS_PAGE_KEY)
        lines = [tr.t("eva.registrants_title"), tr.tn("eva.registrants_count", len(people))]
        if (line := page_line(ctx, page)) is not None:
            lines.append(line)
        choices: list[Choice] = []
        position = 0
        positions: dict[int, int] = {}
        for r in people:
            if r.registration.status == WAITLISTED:
                position += 1
                positions[r.registration.id] = position
        for number, r in enumerate(page.slice(people), start=page.first_number()):
            reg, name = r.registration, r.volunteer.full_name
            status = tr.label(STATUS_KEYS[reg.status])
            if reg.id in positions:
                status = tr.label("ev.status.waitlisted_n", n=positions[reg.id])
            attendance_notes = []
            if reg.checked_in_at is not None:
                attendance_notes.append(
                    tr.label("eva.in_at", time=fmt_time(tr, reg.checked_in_at, tz))
                )
            if reg.checked_out_at is not None:
                attendance_notes.append(
                    tr.label("eva.out_at", time=fmt_time(tr, reg.checked_out_at, tz))
                )
            awaiting = guardians.awaiting_guardian(r.volunteer, ctx.today)
            if awaiting:
                attendance_notes.append(tr.label("eva.guardian_unconfirmed"))
            lines.append(
                tr.t(
                    "eva.registrant_line",
                    n=number,
                    name=name,
                    status=status,
                    attendance=" ".join(attendance_notes),
                )
            )
            if r.volunteer.id in needs:
                lines.append(tr.t("acc.needs_line", needs=needs[r.volunteer.id]))
            rid, step = reg.id, Step.REGISTRANTS
            if reg.status == PENDING:
                choices.append(ctx.choice(step, f"{APPROVE}{rid}", "eva.btn.approve", name=name))
                choices.append(ctx.choice(step, f"{REJECT}{rid}", "eva.btn.reject", name=name))
            elif reg.status == CONFIRMED and reg.checked_in_at is None and awaiting:
                choices.append(ctx.choice(step, f"{GUARDIAN}{rid}", "eva.btn.guardian", name=name))
            elif reg.status == CONFIRMED and reg.checked_in_at is None:
                choices.append(ctx.choice(step, f"{CHECK_IN}{rid}", "eva.btn.check_in", name=name))
            elif reg.status == CONFIRMED and reg.checked_out_at is None:
                choices.append(
                    ctx.choice(step, f"{CHECK_OUT}{rid}", "eva.btn.check_out", name=name)
                )
                choices.append(ctx.choice(step, f"{UNDO_IN}{rid}", UNDO_LABEL[UNDO_IN], name=name))
            elif reg.status == CONFIRMED:
                choices.append(
                    ctx.choice(step, f"{UNDO_OUT}{rid}", UNDO_LABEL[UNDO_OUT], name=name)
                )
        choices += page_choices(ctx, Step.REGISTRANTS, page)
        choices.append(ctx.choice(Step.REGISTRANTS, BACK, "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def on_registrants(self, ctx: Context, value: str) -> None:
        if value == BACK:
            await self.show_shift(ctx)
            return
        if turn(ctx, value, REGISTRANTS_PAGE_KEY):
            await self.show_registrants(ctx)
            return
        action, reg = await self._registration_of(ctx, value)
        if reg is None:
            await self.show_registrants(ctx)
            return
        try:
            if action == APPROVE:
                approved = await service.approve_registration(ctx.unit, reg.id)
                if approved.confirmed:
                    ctx.say("eva.approved", name=approved.name)
                else:
                    ctx.say("eva.approved_waitlist", name=approved.name, position=approved.position)
            elif action == REJECT:
                ctx.say("eva.rejected", name=await service.reject_registration(ctx.unit, reg.id))
            elif action == GUARDIAN:
                done = await guardians.confirm_by_staff(ctx.unit, reg.volunteer_id)
                ctx.say("eva.guardian_confirmed", name=done.full_name)
            elif action in (CHECK_IN, CHECK_OUT):
                wanted = attendance.CHECK_IN if action == CHECK_IN else attendance.CHECK_OUT
                self.say_attendance(
                    ctx, await attendance.record_attendance(ctx.unit, reg.id, wanted)
                )
            elif action in UNDO_LABEL:
                await self.undo(ctx, action, reg.id)
        except ServiceError as err:
            say_refusal(ctx, err)
        await self.show_registrants(ctx)

    async def _registration_of(
        self, ctx: Context, value: str
    ) -> tuple[str, ShiftRegistration | None]:
        """A choice "<action><registration id>" split, with the registration when it is one of
        the shift being looked at (an old button of another shift acts on nothing)."""
        action = value.rstrip("0123456789")
        rest = value[len(action) :]
        found = await self._shift(ctx)
        reg = await reg_store.get_registration(ctx.session, int(rest)) if rest.isdigit() else None
        if found is None or reg is None or reg.shift_id != found[1].id:
            return action, None
        return action, reg

    async def undo(self, ctx: Context, action: str, reg_id: int) -> None:
        """Undo a check-in or a check-out: the same service (and audit row) as the web's undo."""
        direction = attendance.CHECK_IN if action == UNDO_IN else attendance.CHECK_OUT
        undone = await attendance.undo_attendance(ctx.unit, reg_id, direction)
        msgid = "eva.undid_in" if undone.direction == attendance.CHECK_IN else "eva.undid_out"
        ctx.say(msgid, name=undone.name)

    def say_attendance(self, ctx: Context, done: attendance.Attendance) -> None:
        tr, tz = ctx.tr, ctx.settings.timezone
        when = fmt_time(tr, done.at, tz)
        if done.direction == attendance.CHECK_IN:
            ctx.say("eva.checked_in", name=done.name, time=when)
        else:
            hours = hours_text(tr, done.hours)
            ctx.say("eva.checked_out", name=done.name, time=when, hours=hours)

    def ask_find(self, ctx: Context, done: attendance.Attendance | None = None) -> None:
        """The prompt for the next ID or mobile; after a check-in or check-out (`done`), with
        the button that undoes it."""
        ctx.set_step(Step.FIND)
        choices = []
        if done is not None:
            undo = UNDO_OF[done.direction]
            rid = done.registration.id
            choices.append(ctx.choice(Step.FIND, f"{undo}{rid}", UNDO_LABEL[undo], name=done.name))
        choices.append(ctx.choice(Step.FIND, TO_REGISTRANTS, "eva.btn.registrants"))
        choices.append(ctx.choice(Step.FIND, BACK, "form.back"))
        ctx.reply(ctx.tr.t("eva.find_prompt"), choices)

    async def on_find(self, ctx: Context, value: str) -> None:
        if value == TO_REGISTRANTS:
            ctx.state.data[REGISTRANTS_PAGE_KEY] = 0
            await self.show_registrants(ctx)
        elif value == BACK:
            await self.show_shift(ctx)
        else:
            action, reg = await self._registration_of(ctx, value)
            if reg is not None and action in UNDO_LABEL:
                try:
                    await self.undo(ctx, action, reg.id)
                except ServiceError as err:
                    say_refusal(ctx, err)
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
        try:
            done = await attendance.record_attendance_of(
                ctx.unit, shift.id, national_id=national_id, mobile=mobile
            )
        except ServiceError as err:
            say_refusal(ctx, err)
            self.ask_find(ctx)
        else:
            self.say_attendance(ctx, done)
            self.ask_find(ctx, done)

    # --- export -----------------------------------------------------------------------------
    async def export(self, ctx: Context, event: Event) -> None:
        tr = ctx.tr
        rows = await service.registrant_rows(ctx.unit, event.id, tr)
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
