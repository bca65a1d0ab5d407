"""The staff review of a queue in chat, shared by partner organisations and partner initiatives:
the queue (paged with the shared pager) → one item → approve, reject with a typed note, or ask
the submitter a typed question. What differs — what is listed, how one item reads, which
service decides — is the subclass's; the steps, buttons, typed-text checks and paging are
here once. The rules, audit rows and notices stay in the services the subclass calls."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from enum import StrEnum
from typing import Any

from bot.core.choice_ids import number_after, pressed_value
from bot.core.flow import Context, Flow
from bot.core.messages import Choice, Inbound, InboundKind
from bot.core.pager import Page, page_choices, page_line, turn
from bot.core.validators import Invalid, parse_announcement
from bot.handlers.staff.panel import STAFF_PANEL
from bot.services.errors import ServiceError

PAGE = "page"
BACK = "back"
CANCEL_TYPING = "_c"


class Step(StrEnum):
    QUEUE = "q"
    ITEM = "one"
    NOTE = "note"  # why it is rejected (typed, told to the submitter)
    QUESTION = "ask"  # what the submitter is asked (typed)


class Action(StrEnum):
    APPROVE = "ap"
    REJECT = "rj"
    ASK = "in"


LABELS = {Action.APPROVE: "approve", Action.ASK: "ask", Action.REJECT: "reject"}
DONE = {Action.APPROVE: "approved", Action.ASK: "info", Action.REJECT: "rejected"}


class ReviewFlow(Flow):
    """A staff review queue. Subclasses set the class attributes and the hooks below."""

    staff_only = True
    typed_steps = frozenset({Step.NOTE, Step.QUESTION})
    key: str  # the item's id in the flow's data (and in the start parameters)
    open_prefix: str  # "<prefix><id>": the queue's button that opens an item
    # The catalog ids' prefix: "<messages>.note_q" and ".ask_q" (the typed questions),
    # ".approve", ".ask", ".reject" (the buttons), ".done.approved", ".done.info",
    # ".done.rejected" (what is said after each decision, with {id}).
    messages: str
    note_max: int
    # After a decision: the item again (its new status shown) or the queue.
    reopen_after_decision = True

    # --- the hooks ----------------------------------------------------------------------------
    async def queue_pages(self, ctx: Context) -> int:
        """How many pages the queue has now."""
        raise NotImplementedError

    async def queue_screen(self, ctx: Context, page: int) -> tuple[list[str], list[Choice]]:
        """Page `page` (from 0) of the queue: its lines and buttons (at Step.QUEUE)."""
        raise NotImplementedError

    async def item_screen(self, ctx: Context, item_id: int) -> tuple[list[str], Sequence[Action]]:
        """One item's lines and the decisions its status allows; a ServiceError when it
        cannot be shown (gone, not staff)."""
        raise NotImplementedError

    def decide(self, ctx: Context, action: Action, item_id: int, text: str) -> Awaitable[Any]:
        """The service call of a decision (`text`: the note or the question)."""
        raise NotImplementedError

    async def on_queue_press(self, ctx: Context, value: str) -> bool:
        """Another button of the queue (True when it was one)."""
        return False

    async def item_buttons(self, ctx: Context, item_id: int) -> list[Choice]:
        """More buttons for one item (at Step.ITEM), after its decisions."""
        return []

    async def on_item_press(self, ctx: Context, item_id: int, value: str) -> bool:
        """Another button of one item (True when it was one)."""
        return False

    def say_error(self, ctx: Context, err: ServiceError) -> None:
        ctx.say(err.msgid, **err.params)

    # --- the flow -----------------------------------------------------------------------------
    def open_choice(self, ctx: Context, item_id: int, label: str, **params: Any) -> Choice:
        return ctx.choice(Step.QUEUE, f"{self.open_prefix}{item_id}", label, **params)

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.state.data = {}
        if params.get(self.key):
            await self.open(ctx, int(params[self.key]))
        else:
            await self.queue(ctx)

    async def show(self, ctx: Context) -> None:
        step, item_id = ctx.state.step, int(ctx.state.data.get(self.key, 0))
        if step in (Step.NOTE, Step.QUESTION) and item_id:
            self.ask_text(ctx, Step(step))
        elif step == Step.ITEM and item_id:
            await self.open(ctx, item_id)
        else:
            await self.queue(ctx)

    async def queue(self, ctx: Context) -> None:
        ctx.set_step(Step.QUEUE)
        # The page survives opening an item and coming back; nothing else does.
        page = Page.of(await self.queue_pages(ctx), int(ctx.state.data.get(PAGE, 0)), 1)
        ctx.state.data = {PAGE: page.number}
        lines, choices = await self.queue_screen(ctx, page.number)
        if (where := page_line(ctx, page)) is not None:
            lines.append(where)
        choices += page_choices(ctx, Step.QUEUE, page)
        choices.append(ctx.choice(Step.QUEUE, BACK, "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def open(self, ctx: Context, item_id: int) -> None:
        try:
            lines, actions = await self.item_screen(ctx, item_id)
        except ServiceError as err:
            self.say_error(ctx, err)
            await self.queue(ctx)
            return
        ctx.set_step(Step.ITEM)
        ctx.state.data[self.key] = item_id
        choices = [ctx.choice(Step.ITEM, a, f"{self.messages}.{LABELS[a]}") for a in actions]
        choices += await self.item_buttons(ctx, item_id)
        choices.append(ctx.choice(Step.ITEM, BACK, "form.back"))
        ctx.reply("\n".join(lines), choices)

    def ask_text(self, ctx: Context, step: Step) -> None:
        ctx.set_step(step)
        prompt = f"{self.messages}.{'note_q' if step == Step.NOTE else 'ask_q'}"
        ctx.reply(ctx.tr.t(prompt), [ctx.choice(step, CANCEL_TYPING, "form.cancel")])

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        step, item_id = ctx.state.step, int(ctx.state.data.get(self.key, 0))
        if step == Step.QUEUE:
            await self._on_queue(ctx, value)
        elif step == Step.ITEM:
            await self._on_item(ctx, item_id, value)
        elif step in (Step.NOTE, Step.QUESTION):
            await self._on_text(ctx, Step(step), item_id, inbound, value)
        else:
            await self.queue(ctx)

    async def _on_queue(self, ctx: Context, value: str) -> None:
        if turn(ctx, value, PAGE):
            await self.queue(ctx)
        elif value == BACK:
            await ctx.goto(STAFF_PANEL)
        elif (item_id := number_after(value, self.open_prefix)) is not None:
            await self.open(ctx, item_id)
        elif not await self.on_queue_press(ctx, value):
            ctx.say("form.err.use_choices")
            await self.queue(ctx)

    async def _on_item(self, ctx: Context, item_id: int, value: str) -> None:
        if value == Action.APPROVE:
            await self.decided(ctx, Action.APPROVE, item_id)
        elif value in (Action.REJECT, Action.ASK):
            self.ask_text(ctx, Step.NOTE if value == Action.REJECT else Step.QUESTION)
        elif value == BACK:
            await self.queue(ctx)
        elif not await self.on_item_press(ctx, item_id, value):
            ctx.say("form.err.use_choices")
            await self.open(ctx, item_id)

    async def _on_text(
        self, ctx: Context, step: Step, item_id: int, inbound: Inbound, value: str
    ) -> None:
        if value == CANCEL_TYPING:
            await self.open(ctx, item_id)
            return
        try:
            if inbound.kind is not InboundKind.TEXT:
                raise Invalid("err.expected_text")
            text = parse_announcement(inbound.text, limit=self.note_max)
        except Invalid as err:
            ctx.say(err.msgid, **err.params)
            self.ask_text(ctx, step)
            return
        action = Action.REJECT if step == Step.NOTE else Action.ASK
        await self.decided(ctx, action, item_id, text)

    async def decided(self, ctx: Context, action: Action, item_id: int, text: str = "") -> None:
        """Run a decision (or a queue button's) and say how it went; then the item or the
        queue again."""
        done = f"{self.messages}.done.{DONE[action]}"
        await self.run(ctx, self.decide(ctx, action, item_id, text), done, item_id)

    async def run(self, ctx: Context, call: Awaitable[Any], done: str, item_id: int) -> None:
        try:
            await call
        except ServiceError as err:
            self.say_error(ctx, err)
        else:
            ctx.say(done, id=item_id)
        if self.reopen_after_decision and ctx.state.step != Step.QUEUE:
            await self.open(ctx, item_id)
        else:
            await self.queue(ctx)
