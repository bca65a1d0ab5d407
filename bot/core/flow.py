"""What a feature plugs into the engine: flows, commands, gates, and the per-update context."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.core.choice_ids import (
    ChoiceRef,
    choice_id,
    parse_choice_id,
)
from bot.core.contact import contact_text
from bot.core.dates import format_date, format_datetime
from bot.core.i18n import Catalogs, Html, Translator
from bot.core.messages import Choice, Inbound, Outbound
from bot.core.person import Person
from bot.core.text import rtl_lines
from bot.core.unit import Actor, PersonRelease, Unit
from storage import repositories as repo
from storage.lazy_session import SessionOnDemand

if TYPE_CHECKING:
    from bot.settings import Settings
    from storage.db import Database
    from storage.models import User

# The step of a flow that has not shown anything yet; a character no step name uses, so a
# form field may be called "start".
NOT_STARTED = "~"
# In `Flow.typed_steps`: every step of the flow.
ALL_STEPS = "*"
# Messages that say "that is none of the choices"; `Context.say` answers them all with the one
# message that lists the choices (`Context.wrong_choice`).
WRONG_CHOICE_KEYS = frozenset(
    {"form.err.choose", "form.err.multi", "form.err.use_choices", "menu.not_understood"}
)


@dataclass
class FlowState:
    """The conversation row as the engine hands it to flows (mutable during one update)."""

    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    drafts: dict[str, Any] = field(default_factory=dict)
    shown: list[list[str]] = field(default_factory=list)  # [choice id, label] last offered


@dataclass
class Context:
    """Everything one update's handling may use; lives for one transaction."""

    # The update's transaction. Steps that need the ORM use `session`, opened on first use.
    connection: AsyncConnection
    inbound: Inbound
    user: Person
    state: FlowState
    tr: Translator
    catalogs: Catalogs
    app: BotApp
    settings: Settings
    now: datetime
    replies: list[Outbound] = field(default_factory=list)
    user_deleted: bool = False
    # The conversation version read at load time (None: no row yet), for the optimistic save.
    loaded_version: int | None = None
    label_answers: dict[str, Any] | None = None  # while a menu is drawn (bot.core.labels)
    # The update's ORM session, made when a step first asks (most updates never do:
    # storage/update_rows.py); the person becomes its instance at once, so a service that
    # asks the session for them gets the same object.
    transaction: SessionOnDemand = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.transaction = SessionOnDemand(self.connection, self.user.attach)

    # --- the transaction -----------------------------------------------------------------
    @property
    def session(self) -> AsyncSession:
        """An ORM session in the update's transaction, made on first use."""
        return self.transaction.session

    @property
    def orm_user(self) -> User:
        """The person as an ORM instance, for a step that changes or hands them on."""
        return self.user.attach(self.session)

    async def flush(self) -> None:
        """Write what steps changed through the session (before the engine saves the state)."""
        session = self.transaction.opened
        if session is not None:
            await session.flush()

    async def close(self) -> None:
        """Let the session go; the transaction itself is the engine's to end."""
        session = self.transaction.opened
        if session is not None:
            await session.close()

    # --- replies -------------------------------------------------------------------------
    def reply(
        self, text: str, choices: Iterable[Choice] = (), *, bidi_done: bool = False, **hints: Any
    ) -> None:
        """Queue a direct reply. Arabic lines that start with a digit or Latin text get a
        right-to-left mark, unless the caller has already arranged directions (`bidi_done`)."""
        choices = tuple(choices)
        if self.tr.locale == "ar" and not bidi_done:
            text = rtl_lines(text)
        # Adapters that add words of their own (WhatsApp's "Options" list button) need the
        # reader's language.
        extra = {**hints.pop("hints", {}), "locale": self.tr.locale}
        if any(self._staff_choice(c.id) for c in choices):
            # Adapters that page a menu without the engine (WhatsApp's "more options") must
            # ask again whether the reader is still staff before showing more of it.
            extra["staff"] = "1"
        self.replies.append(Outbound(text=text, choices=choices, hints=extra, **hints))

    def _staff_choice(self, cid: str) -> bool:
        ref = parse_choice_id(cid)
        flow = self.app.flows.get(ref.flow) if ref else None
        return flow is not None and flow.staff_only

    def say(self, key: str, /, **params: object) -> None:
        if key in WRONG_CHOICE_KEYS and not params:
            # Every "that is not one of the choices" says the same thing, with the choices.
            self.wrong_choice()
            return
        # "Contact us" texts write {contact}: the team's contact from the settings, one format.
        if "contact" not in params and "{contact}" in self.tr.raw(key):
            params["contact"] = contact_text(self.tr, self.settings)
        self.reply(self.tr.t(key, **params))

    def list_choices(self, numbered: Iterable[tuple[int, str]]) -> Html:
        """Choices as lines "2. label" (the number picks it when typed), as HTML: each label is
        escaped once, here."""
        return Html("\n".join(self.tr.t("choice.line", n=n, label=label) for n, label in numbered))

    def wrong_choice(self) -> None:
        """The one answer to something that is none of the offered choices: it lists them
        (console and WhatsApp have no buttons, the list is all they see)."""
        numbered = list(enumerate((label for _, label in self.state.shown), 1))
        if not numbered:
            self.reply(self.tr.t("err.choice.wrong_plain"))
            return
        self.reply(self.tr.t("err.choice.wrong", choices=self.list_choices(numbered)))

    async def use_locale(self, locale: str) -> None:
        await self.user.write(self.connection, locale=locale)
        self.tr = self.catalogs.translator(locale, self.tr.gender)

    def use_gender(self, gender: str | None) -> None:
        """Address this person by their gender ("f"/"m") from now on, as soon as it is known
        (issue 14 item 6): the replies of this very update already use it."""
        self.tr = self.catalogs.translator(self.tr.locale, gender)

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def fmt_date(self, d: date) -> str:
        return format_date(
            d, self.tr.locale, self.tr.raw("date.pattern"), self.tr.raw("date.fallback")
        )

    def fmt_datetime(self, dt: datetime) -> str:
        return format_datetime(
            dt,
            self.tr.locale,
            self.tr.raw("datetime.pattern"),
            self.settings.timezone,
            self.tr.raw("datetime.fallback"),
        )

    @property
    def today(self) -> date:
        """Today's date where the users are (day boundaries are local, storage is UTC)."""
        return self.now.astimezone(self.timezone).date()

    def choice(self, step: str, value: str, label_key: str, **params: object) -> Choice:
        """A choice of the current flow; the label is a message id."""
        return Choice(choice_id(self.state.flow, step, value), self.tr.label(label_key, **params))

    @cached_property
    def unit(self) -> Unit:
        """This update as a unit of work for the services: its transaction, the person acting
        (with the role the engine established), the update's clock and its notices."""
        actor = Actor.person(self.user.id, self.role)
        return Unit(
            self.transaction, actor, self.now, self.catalogs, self.settings, person=self.user
        )

    @property
    def notified(self) -> bool:
        """Whether the sender must be woken after this update's commit."""
        unit: Unit | None = self.__dict__.get("unit")  # no unit made: nothing was queued
        return unit is not None and unit.wakes_sender

    def wake_sender(self) -> None:
        """Wake the sender after the commit although no notice was queued here (a broadcast
        to fan out or to settle)."""
        self.unit.notifier.wake_requested = True

    # --- auditing --------------------------------------------------------------------------
    @property
    def actor(self) -> str:
        """Who acts in this update, as the audit log and status histories name people."""
        return self.unit.actor.label

    async def audit(self, action: str, target: str, **details: Any) -> None:
        """Write what this person did to the audit log, in the update's transaction."""
        await self.unit.audit(action, target, **details)

    # --- roles ---------------------------------------------------------------------------
    @property
    def role(self) -> str:
        key = f"{self.inbound.channel}:{self.inbound.external_user_id}"
        if key in self.settings.admin_ids:
            return "admin"
        return self.user.role

    @property
    def is_staff(self) -> bool:
        return self.role in repo.STAFF_ROLES

    def may_use(self, flow_name: str) -> bool:
        """Whether this person may see or answer the steps of a flow: staff flows are for
        staff, checked on every update (a role can be taken away while a staff screen is open)."""
        flow = self.app.flows.get(flow_name)
        return flow is None or not flow.staff_only or self.is_staff

    def leave_staff_flows(self) -> None:
        """Forget a staff screen this person may no longer use: its step, its data, its
        offered buttons (a typed number must not pick one) and the drafts of staff forms.
        Nothing is shown; the caller goes home."""
        self.state.drafts = {k: v for k, v in self.state.drafts.items() if self.may_use(k)}
        if not self.may_use(self.state.flow):
            self.state.flow, self.state.step, self.state.data = self.app.home, NOT_STARTED, {}
            self.state.shown = []

    # --- navigation ----------------------------------------------------------------------
    async def goto(self, flow_name: str, params: dict[str, Any] | None = None) -> None:
        """Leave the current flow (keeping a draft where the flow wants one) and enter another.
        A staff flow is entered only by staff; anyone else is told so and goes home."""
        if not self.may_use(flow_name):
            self.say("staff.only")
            self.leave_staff_flows()
            await self.home()
            return
        current = self.app.flows.get(self.state.flow)
        leaving_form = (
            current is not None
            and current.name != flow_name
            and current.keeps_draft
            and self.may_use(current.name)
            and self.state.step not in ("", NOT_STARTED)
            and bool(self.state.data)
        )
        if leaving_form and current is not None:
            self.state.drafts[current.name] = {"step": self.state.step, "data": self.state.data}
        self.state.flow, self.state.step, self.state.data = flow_name, NOT_STARTED, {}
        await self.app.flows[flow_name].start(self, params or {})

    async def home(self) -> None:
        """Go to the first unmet gate (language, privacy notice …) or else the main menu."""
        for gate in self.app.gates:
            if gate.pending(self):
                await self.goto(gate.flow)
                return
        await self.goto(self.app.home)

    async def close_flow(self) -> None:
        """Where a cancelled or finished screen returns: a staff tool to the staff panel (for
        someone still staff), anything else home."""
        flow = self.app.flows.get(self.state.flow)
        staff_tool = flow is not None and flow.staff_only and flow.name != self.app.staff_home
        if staff_tool and self.app.staff_home and self.is_staff:
            await self.goto(self.app.staff_home)
        else:
            await self.home()

    async def show_current(self) -> None:
        if not self.may_use(self.state.flow):
            # /help, /stop, an unknown command … re-show the current step: never a staff
            # screen to someone who is no longer staff.
            self.say("staff.closed")
            self.leave_staff_flows()
            await self.home()
            return
        flow = self.app.flows.get(self.state.flow)
        if flow is None:
            await self.home()
            return
        await flow.show(self)

    def set_step(self, step: str) -> None:
        self.state.step = step


class Flow(ABC):
    """A conversation feature. Its steps keep their data in `ctx.state.data`."""

    name: str = ""
    keeps_draft: bool = False
    # Staff tools: the engine shows and handles their steps for staff only (Context.may_use).
    staff_only: bool = False
    # Steps that want what was typed, as typed: the engine does not read a typed number as
    # "the n-th button" nor a typed label as its button there ("2" at a stall-count question
    # is two, not "cancel"). ALL_STEPS for every step of the flow.
    typed_steps: frozenset[str] = frozenset()
    # Steps that ask for a number (an event number): a typed number stays a number, while a
    # typed button label still presses its button.
    number_steps: frozenset[str] = frozenset()

    # Steps that read typed text (or a file, a location) as well as their buttons: the engine
    # still reads a typed label as its button, but passes anything else on. At every other
    # step that offers buttons, the engine itself answers what is not one of them
    # (`Context.wrong_choice`). ALL_STEPS for every step of the flow (a form checks its own).
    text_steps: frozenset[str] = frozenset()

    def wants_typed_text(self, step: str) -> bool:
        return step in self.typed_steps or ALL_STEPS in self.typed_steps

    def known_gender(self, state: FlowState) -> str | None:
        """The person's gender ("f"/"m") this flow has learned before it is stored anywhere
        (a sign-up form's answer), so the engine addresses them by it; None if it has not."""
        return None

    def reads_input(self, step: str) -> bool:
        """Whether the step takes more than its buttons (typed text, a number, a file)."""
        return (
            self.wants_typed_text(step)
            or step in self.number_steps
            or step in self.text_steps
            or ALL_STEPS in self.text_steps
        )

    @abstractmethod
    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        """Enter the flow and show its first step."""

    @abstractmethod
    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        """Handle input for the current step."""

    @abstractmethod
    async def show(self, ctx: Context) -> None:
        """Show the current step again (after a stale press or an error)."""


CommandHandler = Callable[[Context], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: CommandHandler
    description: str  # message id, for menus such as Telegram's setMyCommands
    staff_only: bool = False
    # Commands that may run before the language/privacy gates are passed.
    before_gates: bool = False


@dataclass(frozen=True)
class Gate:
    """A flow a user must pass before anything else (language choice, privacy notice)."""

    flow: str
    pending: Callable[[Context], bool]


MenuLabel = Callable[[Context], Awaitable[str | None]]

# Choices sent in notifications (e.g. "rate your shift 1-5") arrive whatever step the person
# is on; their flow part names a handler instead of a conversation flow.
GlobalChoiceHandler = Callable[[Context, ChoiceRef], Awaitable[None]]


# A /start payload's handler: True when the payload was its own (and it answered).
StartPayload = Callable[[Context, str], Awaitable[bool]]


# Lines (localized HTML) that a feature contributes to "my data" for the current person.
DataSection = Callable[[Context], Awaitable[list[str]]]


@dataclass(frozen=True)
class JobEnv:
    """What a periodic job gets from the running process (no globals, no reading settings)."""

    db: Database
    catalogs: Catalogs
    settings: Settings


@dataclass(frozen=True)
class PeriodicJob:
    """Work a feature needs on a clock (e.g. expiring stall offers). `run(env, now)` does its
    own transaction and returns how many notifications it queued (to wake the sender)."""

    id: str
    seconds: float
    run: Callable[[JobEnv, datetime], Awaitable[int]]


@dataclass(frozen=True)
class MenuEntry:
    """A button a feature puts on the main menu or the staff panel.

    `label` is a message id, or a coroutine that returns one (or None to hide the entry) for
    entries that depend on the person (e.g. "stop" versus "resume announcements").
    """

    value: str  # short ASCII, unique within its menu
    label: str | MenuLabel
    action: CommandHandler
    order: int = 50
    staff_only: bool = False

    async def label_for(self, ctx: Context) -> str | None:
        if self.staff_only and not ctx.is_staff:
            return None
        return self.label if isinstance(self.label, str) else await self.label(ctx)


@dataclass
class BotApp:
    """The registry a feature set is assembled into; built by `bot.handlers.build_app`."""

    home: str = "menu"
    # The staff panel, where staff tools return when cancelled ("" when there is none).
    staff_home: str = ""
    flows: dict[str, Flow] = field(default_factory=dict)
    commands: dict[str, Command] = field(default_factory=dict)
    gates: list[Gate] = field(default_factory=list)
    menu: list[MenuEntry] = field(default_factory=list)
    staff_menu: list[MenuEntry] = field(default_factory=list)
    global_choices: dict[str, GlobalChoiceHandler] = field(default_factory=dict)
    # Prefixes of notification buttons that are staff actions (the engine checks the role).
    staff_choices: set[str] = field(default_factory=set)
    periodic: list[PeriodicJob] = field(default_factory=list)
    # PDPL: "my data" shows everything kept about a person; each feature adds its part.
    data_sections: list[DataSection] = field(default_factory=list)
    # Called before a person's data is deleted, to release what they hold (a shift place
    # goes to the waitlist); the deletion itself is a cascade.
    before_delete: list[PersonRelease] = field(default_factory=list)
    # Commands also understood as a typed word in any language (the Arabic "verify CODE" for
    # /verify): the catalog key of the words ('|'-separated) -> the command's name.
    typed_commands: dict[str, str] = field(default_factory=dict)
    # What must follow a typed command word for it to be the command (command name -> test of
    # the rest): "<check-in word> K7M2QX9P" checks in, while a note typed at a free-text step
    # that merely starts with that word stays the step's answer.
    typed_command_args: dict[str, Callable[[str], bool]] = field(default_factory=dict)
    # Deep-link payloads (/start <payload>): each handler says whether the payload was its
    # own (and answered it); the person then returns to where they were.
    start_payloads: list[StartPayload] = field(default_factory=list)

    def add_global_choice(
        self, prefix: str, handler: GlobalChoiceHandler, *, staff_only: bool = False
    ) -> None:
        if prefix in self.flows or prefix in self.global_choices:
            raise ValueError(f"choice prefix {prefix} already taken")
        self.global_choices[prefix] = handler
        if staff_only:
            self.staff_choices.add(prefix)

    @property
    def staff_flows(self) -> list[str]:
        return [name for name, flow in self.flows.items() if flow.staff_only]

    def add_periodic(self, job: PeriodicJob) -> None:
        if any(j.id == job.id for j in self.periodic):
            raise ValueError(f"periodic job {job.id} registered twice")
        self.periodic.append(job)

    def add_menu_entry(self, entry: MenuEntry, *, staff: bool = False) -> None:
        target = self.staff_menu if staff else self.menu
        if any(e.value == entry.value for e in target):
            raise ValueError(f"menu entry {entry.value} registered twice")
        target.append(entry)
        target.sort(key=lambda e: e.order)

    def add_flow(self, flow: Flow) -> None:
        if flow.name in self.flows:
            raise ValueError(f"flow {flow.name} registered twice")
        self.flows[flow.name] = flow

    def add_command(self, command: Command) -> None:
        self.commands[command.name] = command

    def add_gate(self, gate: Gate) -> None:
        self.gates.append(gate)
