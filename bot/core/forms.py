"""Declarative forms (DESIGN.md §2).

A form is a tuple of `Field`s plus a `submit`. The engine-side runner gives every form the same
behaviour: re-prompt with a localized error on bad input, back, skip for optional fields, keep the
current value, cancel, drafts that survive leaving the form or a restart, and a summary where any
field can be edited before confirming.
"""

from __future__ import annotations

import inspect
from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.core.choice_ids import parse_choice_id
from bot.core.choice_match import Offered, pick_several
from bot.core.flow import ALL_STEPS, Context, Flow, FlowState
from bot.core.messages import Choice, Inbound, InboundKind
from bot.core.text import clean_input, isolate
from bot.core.validators import Invalid, check_length, parse_mobile

SUMMARY = "_sum"
EDIT = "_edit"
BACK, CANCEL, SKIP, KEEP, DONE, CONFIRM, EDIT_ANY = "_b", "_c", "_s", "_k", "_d", "_ok", "_e"
MY_NUMBER = "_me"  # PHONE: "use the number I am writing from" (WhatsApp knows it)
CHECK_MARK = "\u2713 "


class FieldKind(StrEnum):
    TEXT = "text"  # typed text through `parse`
    CHOICE = "choice"  # one of `options`; typed text goes to `parse` if there is one
    MULTI = "multi"  # several of `options`, then "done"
    PHONE = "phone"  # shared contact where the channel can, or a typed mobile number
    FILE = "file"  # a photo or document sent in the chat (kept by the platform's file id)
    LOCATION = "location"  # a map pin sent in the chat, kept as [latitude, longitude]


@dataclass(frozen=True)
class Option:
    value: str  # short ASCII, stored
    label: str  # message id


class FieldError(Invalid):
    """Raised by `Form.submit` to send the user back to one field with a message."""

    def __init__(self, field: str, msgid: str, **params: object) -> None:
        super().__init__(msgid, **params)
        self.field = field


Values = dict[str, Any]
OptionSource = Sequence[Option] | Callable[[Context], Sequence[Option]]


@dataclass(frozen=True)
class Field:
    name: str  # short ASCII; also the step name
    prompt: str  # message id of the question
    label: str  # message id of the name shown in the summary
    kind: FieldKind = FieldKind.TEXT
    options: OptionSource = ()
    parse: Callable[[Context, str], Any] | None = None  # may be async; raises Invalid
    check: Callable[[Context, Any], Any] | None = None  # may be async; for chosen values
    required: bool = True
    when: Callable[[Values], bool] | None = None
    render: Callable[[Context, Any], str] | None = None  # plain text for the summary
    min_selected: int = 1
    prompt_contact: str | None = None  # PHONE: the question when contacts can be shared
    # Placeholders of the question computed when it is asked, such as date examples from today
    # (a date question must never show a past example); errors are followed by the question.
    prompt_params: Callable[[Context], dict[str, object]] | None = None
    # The label is a feminine noun in Arabic (a note, a photo, skills), so a skipped answer
    # reads "(lam tudhkar)" rather than the masculine "(lam yudhkar)".
    feminine: bool = False

    def applies(self, values: Values) -> bool:
        return self.when is None or self.when(values)

    def option_list(self, ctx: Context) -> Sequence[Option]:
        return self.options(ctx) if callable(self.options) else self.options


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class Form(Flow):
    keeps_draft = True
    # A form checks every answer itself (a CHOICE field may also take typed text).
    text_steps = frozenset({ALL_STEPS})
    fields: tuple[Field, ...] = ()
    intro: str | None = None  # message id shown before the first question
    # The field that asks the person's own gender ("f"/"m"): once answered, the form's next
    # messages address them by it (Flow.known_gender).
    gender_field: str | None = None
    summary_title: str = "form.summary_title"
    confirm_label: str = "form.confirm"  # the final button (a broadcast's says "send")

    @abstractmethod
    async def submit(self, ctx: Context, values: Values) -> None:
        """Do the domain change (same transaction as the state); raise FieldError to go back."""

    async def before_summary(self, ctx: Context, values: Values) -> None:
        """Extra messages before the summary (a broadcast shows its preview here); raise
        FieldError to ask a field again instead of offering a confirmation that cannot work."""

    async def prepare(self, ctx: Context, params: dict[str, Any]) -> None:
        """Keep what the questions need from `params` (the event a shift belongs to) before
        the first one is asked; `ctx.state.data` is already the new form's."""

    async def question(self, ctx: Context, field: Field) -> tuple[str, dict[str, object]]:
        """The message id and placeholders of a field's question (a form may word it for what
        is already known, such as the day a shift's start time falls on)."""
        return field.prompt, field.prompt_params(ctx) if field.prompt_params else {}

    async def extra_choices(self, ctx: Context, field: Field) -> list[Choice]:
        """Buttons of this form's own next to the field's answers (a shift offers its event's
        date); pressing one comes to `on_extra_choice`."""
        return []

    async def on_extra_choice(self, ctx: Context, field: Field, choice: str) -> bool:
        """Handle a button from `extra_choices`; False if `choice` is not one of them."""
        return False

    # --- state helpers ---------------------------------------------------------------------
    def _field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @staticmethod
    def _values(ctx: Context) -> Values:
        values: Values = ctx.state.data.setdefault("v", {})
        return values

    def _applicable(self, values: Values) -> list[Field]:
        return [f for f in self.fields if f.applies(values)]

    def final_values(self, values: Values) -> Values:
        """Only the answers that still apply (an edited birth date may drop guardian fields)."""
        return {f.name: values.get(f.name) for f in self._applicable(values)}

    # --- Flow --------------------------------------------------------------------------------
    def known_gender(self, state: FlowState) -> str | None:
        if self.gender_field is None:
            return None
        gender = (state.data.get("v") or {}).get(self.gender_field)
        return gender if isinstance(gender, str) else None

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        draft = ctx.state.drafts.pop(self.name, None)
        preset: Values | None = params.get("values")
        if draft and preset is None:
            ctx.state.data, ctx.state.step = draft["data"], draft["step"]
            ctx.say("form.resumed")
            await self.show(ctx)
            return
        ctx.state.data = {"v": dict(preset or {}), "edit": bool(preset)}
        await self.prepare(ctx, params)
        if preset:
            await self._summary(ctx)
            return
        if self.intro:
            ctx.say(self.intro)
        first = self._applicable({})[0]
        await self._ask(ctx, first)

    async def show(self, ctx: Context) -> None:
        step = ctx.state.step
        if step == SUMMARY:
            await self._summary(ctx)
        elif step == EDIT:
            self._edit_menu(ctx)
        else:
            field = self._field(step)
            if field is None:
                await self._summary(ctx)
            else:
                await self._ask(ctx, field)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        step = ctx.state.step
        value = None
        if inbound.kind is InboundKind.CHOICE:
            ref = parse_choice_id(inbound.text)
            value = ref.value if ref else None
        if step == SUMMARY:
            await self._on_summary(ctx, value)
        elif step == EDIT:
            await self._on_edit_menu(ctx, value)
        else:
            field = self._field(step)
            if field is None:
                await self._summary(ctx)
                return
            try:
                await self._on_field(ctx, field, inbound, value)
            except Invalid as err:
                ctx.say(err.msgid, **err.params)
                await self._ask(ctx, field)

    # --- asking ------------------------------------------------------------------------------
    def _render(self, ctx: Context, field: Field, value: Any) -> str:
        if value is None:
            return ctx.tr.label("form.skipped_f" if field.feminine else "form.skipped")
        if field.render is not None:
            return field.render(ctx, value)
        if field.kind is FieldKind.LOCATION:
            return isolate(f"{value[0]:.5f}, {value[1]:.5f}")
        labels = {o.value: ctx.tr.label(o.label) for o in field.option_list(ctx)}
        if field.kind is FieldKind.MULTI:
            return ctx.tr.label("form.list_sep").join(labels.get(v, v) for v in value)
        return labels.get(value, str(value))

    def _previous(self, values: Values, field: Field) -> Field | None:
        applicable = self._applicable(values)
        before = applicable[: applicable.index(field)] if field in applicable else []
        return before[-1] if before else None

    async def _ask(self, ctx: Context, field: Field) -> None:
        ctx.set_step(field.name)
        values = self._values(ctx)
        tr = ctx.tr
        can_share = field.kind is FieldKind.PHONE and "contact" in ctx.inbound.caps
        known = self._known_phone(ctx) if field.kind is FieldKind.PHONE else None
        prompt_key, prompt_params = await self.question(ctx, field)
        if can_share and field.prompt_contact:
            prompt_key = field.prompt_contact
        lines = [tr.t(prompt_key, **prompt_params)]
        if known:
            # The platform already told us the number: confirm it instead of asking for it.
            lines = [tr.t("form.phone_known", number=isolate(known))]
        has_value = field.name in values
        if has_value and field.kind is not FieldKind.MULTI:
            current = self._render(ctx, field, values[field.name])
            lines.append(tr.t("form.current_value", value=current))
        choices = await self.extra_choices(ctx, field)
        if known:
            choices.append(ctx.choice(field.name, MY_NUMBER, "form.use_my_number"))
        if field.kind is FieldKind.CHOICE:
            choices += [ctx.choice(field.name, o.value, o.label) for o in field.option_list(ctx)]
        elif field.kind is FieldKind.MULTI:
            selected = self._selection(ctx, field)
            for option in field.option_list(ctx):
                mark = CHECK_MARK if option.value in selected else ""
                label = mark + tr.label(option.label)
                choices.append(Choice(ctx.choice(field.name, option.value, option.label).id, label))
            choices.append(ctx.choice(field.name, DONE, "form.done"))
            lines.append(tr.t("form.multi_hint"))
        if has_value and field.kind is not FieldKind.MULTI:
            choices.append(ctx.choice(field.name, KEEP, "form.keep"))
        if not field.required:
            choices.append(ctx.choice(field.name, SKIP, "form.skip"))
        if ctx.state.data.get("edit") or self._previous(values, field) is not None:
            choices.append(ctx.choice(field.name, BACK, "form.back"))
        choices.append(ctx.choice(field.name, CANCEL, "form.cancel"))
        hints: dict[str, Any] = {}
        if can_share:
            hints = {"ask_contact": True, "hints": {"contact_label": tr.label("form.share")}}
        ctx.reply("\n".join(lines), choices, **hints)

    @staticmethod
    def _known_phone(ctx: Context) -> str | None:
        try:
            return parse_mobile(ctx.inbound.sender_phone) if ctx.inbound.sender_phone else None
        except Invalid:
            return None  # not a Saudi mobile: it has to be typed

    def _selection(self, ctx: Context, field: Field) -> list[str]:
        pending: dict[str, list[str]] = ctx.state.data.setdefault("ms", {})
        if field.name not in pending:
            pending[field.name] = list(self._values(ctx).get(field.name) or [])
        return pending[field.name]

    # --- answers -----------------------------------------------------------------------------
    async def _on_field(
        self, ctx: Context, field: Field, inbound: Inbound, choice: str | None
    ) -> None:
        values = self._values(ctx)
        if choice is not None:
            if choice == CANCEL:
                await self._cancel(ctx)
            elif choice == BACK:
                await self._back(ctx, field)
            elif choice == SKIP and not field.required:
                values[field.name] = None
                await self._advance(ctx, field)
            elif choice == KEEP and field.name in values:
                await self._advance(ctx, field)
            elif choice == MY_NUMBER and field.kind is FieldKind.PHONE and self._known_phone(ctx):
                values[field.name] = self._known_phone(ctx)
                await self._advance(ctx, field)
            elif await self.on_extra_choice(ctx, field, choice):
                pass
            elif field.kind is FieldKind.MULTI:
                await self._on_multi(ctx, field, choice)
            elif field.kind is FieldKind.CHOICE:
                if choice not in {o.value for o in field.option_list(ctx)}:
                    raise Invalid("form.err.choose")
                if field.check is not None:
                    await _maybe_await(field.check(ctx, choice))
                values[field.name] = choice
                if field.name == self.gender_field:
                    ctx.use_gender(choice)
                await self._advance(ctx, field)
            else:
                await self._ask(ctx, field)
            return
        values[field.name] = await self._parse_input(ctx, field, inbound)
        ctx.state.data.get("ms", {}).pop(field.name, None)
        await self._advance(ctx, field)

    async def _parse_input(self, ctx: Context, field: Field, inbound: Inbound) -> Any:
        if inbound.kind is InboundKind.CONTACT and field.kind is FieldKind.PHONE:
            assert inbound.contact is not None
            if not inbound.contact.is_own:
                raise Invalid("err.contact.not_own")
            return parse_mobile(inbound.contact.phone)
        if field.kind is FieldKind.FILE:
            if inbound.kind is not InboundKind.FILE or inbound.file is None:
                raise Invalid("form.err.file")
            if inbound.file.kind not in ("photo", "document"):
                raise Invalid("form.err.file")
            return {
                "kind": inbound.file.kind,
                "file_id": inbound.file.file_id,
                "channel": inbound.channel,
                "name": inbound.file.name,
            }
        if field.kind is FieldKind.LOCATION:
            if inbound.kind is not InboundKind.LOCATION or inbound.location is None:
                raise Invalid("form.err.location")
            return [inbound.location.latitude, inbound.location.longitude]
        if inbound.kind is not InboundKind.TEXT:
            expected = "form.err.choose" if field.kind is FieldKind.CHOICE else "err.expected_text"
            raise Invalid(expected)
        check_length(inbound.text)
        if field.kind is FieldKind.MULTI:
            return self._parse_multi(ctx, field, inbound.text)
        if field.kind is FieldKind.PHONE:
            return parse_mobile(inbound.text)
        if field.parse is None:
            raise Invalid("form.err.choose")
        if not clean_input(inbound.text):
            raise Invalid("err.empty")
        return await _maybe_await(field.parse(ctx, inbound.text))

    def _parse_multi(self, ctx: Context, field: Field, text: str) -> list[str]:
        """Numbers such as "1 3 5" (any digit script, Arabic comma too), or labels separated by
        commas, pick options in one go."""
        offered = [Offered(o.value, ctx.tr.label(o.label), o.value) for o in field.option_list(ctx)]
        picked = pick_several(clean_input(text), offered)
        if picked is None:
            raise Invalid("form.err.multi")
        if len(picked) < field.min_selected:
            raise Invalid("form.err.multi_min", min=field.min_selected)
        return picked

    async def _on_multi(self, ctx: Context, field: Field, choice: str) -> None:
        selected = self._selection(ctx, field)
        if choice == DONE:
            if len(selected) < field.min_selected:
                raise Invalid("form.err.multi_min", min=field.min_selected)
            self._values(ctx)[field.name] = list(selected)
            ctx.state.data["ms"].pop(field.name, None)
            await self._advance(ctx, field)
            return
        if choice not in {o.value for o in field.option_list(ctx)}:
            raise Invalid("form.err.choose")
        if choice in selected:
            selected.remove(choice)
        else:
            selected.append(choice)
        await self._ask(ctx, field)

    # --- movement ----------------------------------------------------------------------------
    async def _advance(self, ctx: Context, field: Field) -> None:
        values = self._values(ctx)
        applicable = self._applicable(values)
        missing = [f for f in applicable if f.name not in values]
        if ctx.state.data.get("edit"):
            nxt = missing[0] if missing else None
        else:
            after = applicable[applicable.index(field) + 1 :] if field in applicable else []
            nxt = after[0] if after else (missing[0] if missing else None)
        if nxt is None:
            await self._summary(ctx)
        else:
            await self._ask(ctx, nxt)

    async def _back(self, ctx: Context, field: Field) -> None:
        ctx.state.data.get("ms", {}).pop(field.name, None)
        if ctx.state.data.get("edit"):
            await self._summary(ctx)
            return
        previous = self._previous(self._values(ctx), field)
        await self._ask(ctx, previous or field)

    async def _cancel(self, ctx: Context) -> None:
        ctx.state.drafts.pop(self.name, None)
        ctx.state.data = {}
        ctx.say("form.cancelled")
        await ctx.close_flow()

    # --- summary and edit --------------------------------------------------------------------
    def summary_lines(self, ctx: Context, values: Values) -> list[str]:
        lines = []
        for field in self._applicable(values):
            shown = self._render(ctx, field, values.get(field.name))
            lines.append(
                ctx.tr.t("form.summary_line", label=ctx.tr.label(field.label), value=shown)
            )
        return lines

    async def _summary(self, ctx: Context) -> None:
        values = self._values(ctx)
        missing = [f for f in self._applicable(values) if f.name not in values]
        if missing:
            await self._ask(ctx, missing[0])
            return
        ctx.state.data["edit"] = True
        ctx.set_step(SUMMARY)
        try:
            await self.before_summary(ctx, values)
        except FieldError as err:
            ctx.say(err.msgid, **err.params)
            field = self._field(err.field)
            assert field is not None, err.field
            await self._ask(ctx, field)
            return
        text = "\n".join([ctx.tr.t(self.summary_title), *self.summary_lines(ctx, values)])
        choices = [
            ctx.choice(SUMMARY, CONFIRM, self.confirm_label),
            ctx.choice(SUMMARY, EDIT_ANY, "form.edit"),
            ctx.choice(SUMMARY, CANCEL, "form.cancel"),
        ]
        ctx.reply(text, choices)

    def _edit_menu(self, ctx: Context) -> None:
        ctx.set_step(EDIT)
        values = self._values(ctx)
        choices = [ctx.choice(EDIT, f.name, f.label) for f in self._applicable(values)]
        choices.append(ctx.choice(EDIT, BACK, "form.back"))
        ctx.reply(ctx.tr.t("form.edit_which"), choices)

    async def _on_summary(self, ctx: Context, choice: str | None) -> None:
        if choice == CONFIRM:
            values = self.final_values(self._values(ctx))
            try:
                await self.submit(ctx, values)
            except FieldError as err:
                ctx.say(err.msgid, **err.params)
                field = self._field(err.field)
                if field is None:
                    await self._summary(ctx)
                else:
                    await self._ask(ctx, field)
                return
            ctx.state.drafts.pop(self.name, None)
        elif choice == EDIT_ANY:
            self._edit_menu(ctx)
        elif choice == CANCEL:
            await self._cancel(ctx)
        else:
            ctx.say("form.err.use_choices")
            await self._summary(ctx)

    async def _on_edit_menu(self, ctx: Context, choice: str | None) -> None:
        field = self._field(choice) if choice else None
        if choice == BACK:
            await self._summary(ctx)
        elif field is not None and field.applies(self._values(ctx)):
            await self._ask(ctx, field)
        else:
            ctx.say("form.err.use_choices")
            self._edit_menu(ctx)
