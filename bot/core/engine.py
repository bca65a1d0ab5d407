"""The engine: one inbound event in, the user's replies out, state and domain change in one
transaction (see DESIGN.md §1)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core import replay
from bot.core.choice_ids import (
    CHOICE_SEP,
    choice_prefix,
    choice_value,
    is_navigation,
    parse_choice_id,
)
from bot.core.choice_match import BACK_VALUES, Match, Offered, back_choice, match_choice
from bot.core.failures import describe, update_ref
from bot.core.flow import NOT_STARTED, BotApp, Context, Flow, FlowState
from bot.core.i18n import Catalogs, localize_outbound
from bot.core.messages import VOICE, Inbound, InboundKind, Outbound
from bot.core.person import Person
from bot.core.text import clean_input, match_key, strip_controls
from bot.metrics import Metrics, create_metrics
from storage import repositories as repo
from storage import update_rows as rows
from storage.db import Database
from storage.models import utcnow
from storage.person_lock import lock_person

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
MOVEMENT = frozenset({"_b", "_c", "_k"})  # back, cancel, keep: never what a number means
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


class _StaleStateError(Exception):
    """Another worker saved this user's conversation first; the update is handled again."""


class UserLocks:
    """One asyncio lock per user, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: tuple[str, str]) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class Engine:
    def __init__(
        self,
        app: BotApp,
        db: Database,
        catalogs: Catalogs,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        metrics: Metrics | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics or create_metrics()
        self.db = db
        self.catalogs = catalogs
        self.settings = settings
        self.clock = clock
        self.locks = UserLocks()
        # Saved replies cleared once the adapter says they went out (bot/core/replay.py).
        self.sent_marks = replay.DeliveredMarks(db)
        # Called after a commit that queued notifications (the outbox sender's wake-up).
        self.on_notified: list[Callable[[], None]] = []

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        """Process one event exactly once and return the direct replies (empty if a repeat)."""
        started = time.perf_counter()
        outcome, replies = await self._handle(inbound)
        seconds = time.perf_counter() - started
        self.metrics.update_handled(inbound.channel, outcome, seconds)
        # The reference, never the id (a WhatsApp id spells the sender's number).
        log.info(
            "update %s",
            outcome,
            extra={
                "update": update_ref(inbound.update_id),
                "channel": inbound.channel,
                "outcome": outcome,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
        return replies

    async def _handle(self, inbound: Inbound) -> tuple[str, list[Outbound]]:
        inbound = _without_controls(inbound)
        async with self.locks.hold(inbound.user_key):
            for attempt in range(1, MAX_ATTEMPTS + 1):
                try:
                    async with self.db.writing() as conn:
                        # Across worker processes too (storage/person_lock.py): first, so the
                        # state read below is what this person's previous update left.
                        await lock_person(conn, inbound.channel, inbound.external_user_id)
                        if not await repo.mark_processed(conn, inbound.channel, inbound.update_id):
                            return await self._redelivered(conn, inbound)
                        ctx = await self._load(conn, inbound)
                        try:
                            await self._route(ctx)
                            replies = self._localized(ctx.replies)
                            pending = replay.pack(repo.dedupe_key(inbound.update_id), replies)
                            await ctx.flush()
                            await self._save(ctx, pending)
                        finally:
                            await ctx.close()
                    if pending is not None and not ctx.user_deleted:
                        version = (ctx.loaded_version or 0) + 1
                        self.sent_marks.saved(
                            inbound.channel, inbound.update_id, ctx.user.id, version
                        )
                    if ctx.notified:
                        for wake in self.on_notified:
                            wake()
                    return "handled", replies
                except (_StaleStateError, IntegrityError) as exc:
                    # A concurrent worker won a race (state version or a new identity);
                    # everything rolled back, so handling again is safe.
                    if attempt == MAX_ATTEMPTS:
                        log.error(
                            "giving up on %s update %s: %s",
                            inbound.channel,
                            update_ref(inbound.update_id),
                            describe(exc),
                        )
                        return "conflict", await self._failure_reply(inbound)
                except Exception as exc:
                    log.error(
                        "%s update %s failed: %s",
                        inbound.channel,
                        update_ref(inbound.update_id),
                        describe(exc),
                    )
                    return "failed", await self._failure_reply(inbound)
        return "failed", []  # pragma: no cover - the loop always returns

    async def _redelivered(
        self, conn: AsyncConnection, inbound: Inbound
    ) -> tuple[str, list[Outbound]]:
        """A re-delivered update is never handled twice; if its replies were saved and may
        not have gone out (bot/core/replay.py), they are sent again, and forgotten once sent."""
        if self.sent_marks.sent_here(inbound.channel, inbound.update_id):
            return "duplicate", []
        saved = await repo.pending_replies(
            conn, inbound.channel, inbound.external_user_id, inbound.update_id
        )
        replies = replay.unpack(saved.replies) if saved else []
        if saved is None or not replies:
            return "duplicate", []
        self.sent_marks.saved(inbound.channel, inbound.update_id, saved.user_id, saved.version)
        return "replayed", replies

    # --- delivery facts adapters report ---------------------------------------------------
    def delivered(self, inbound: Inbound) -> None:
        """The adapter has sent this update's replies: a later re-delivery gets nothing."""
        self.sent_marks.delivered(inbound)

    async def close(self) -> None:
        await self.sent_marks.close()

    async def mark_unreachable(self, channel: str, external_user_id: str) -> None:
        """The platform refused delivery for good (blocked bot, deleted account)."""
        async with self.db.transaction() as session:
            found = await repo.find_identity(session, channel, external_user_id)
            if found is not None:
                found[1].unreachable = True

    async def is_staff(self, channel: str, external_user_id: str) -> bool:
        """Whether a person holds a staff role now (ADMIN_IDS or their stored role): asked by
        adapters that re-show a staff menu without handling an update."""
        if f"{channel}:{external_user_id}" in self.settings.admin_ids:
            return True
        async with self.db.sessions() as session:
            found = await repo.find_identity(session, channel, external_user_id)
            return found is not None and found[1].role in repo.STAFF_ROLES

    async def first_time(self, channel: str, key: str) -> bool:
        """True once per key (e.g. "told this group chat we work in private chats")."""
        async with self.db.transaction() as session:
            return await repo.mark_processed(session, channel, key)

    # --- loading and saving ---------------------------------------------------------------
    async def _load(self, conn: AsyncConnection, inbound: Inbound) -> Context:
        now = self.clock()
        # One query for the person, their identity and their conversation: this is the hot path.
        person = await rows.load_person(conn, inbound.channel, inbound.external_user_id)
        if person is None:
            person = await rows.create_person(
                conn, inbound.channel, inbound.external_user_id, inbound.chat_id, seen_at=now
            )
        else:
            last_seen = person.last_seen_at
            # Kept for WhatsApp's 24-hour window; a minute's precision saves a write per update.
            stale = last_seen is None or now - last_seen > LAST_SEEN_RESOLUTION
            await rows.touch_identity(conn, person, inbound.chat_id, now if stale else None)
            if person.user["unreachable"]:
                await rows.mark_reachable(conn, person)  # they just wrote to us
        conversation = person.conversation
        state = self._state_from(conversation)
        locale = person.user["locale"] or self._hint_locale(inbound)
        gender = self._gender(state, person.gender)
        return Context(
            connection=conn,
            inbound=inbound,
            user=Person(person.user),
            state=state,
            tr=self.catalogs.translator(locale, gender),
            catalogs=self.catalogs,
            app=self.app,
            settings=self.settings,
            now=now,
            loaded_version=conversation.version if conversation else None,
        )

    def _gender(self, state: FlowState, stored: str | None) -> str | None:
        """How to address this person (issue 14 item 6): the gender their current form has
        just been told (it may correct the stored one), else their volunteer profile's or
        family's (read with the conversation, as `genders_of` would answer); None (neutral
        wording) while nobody has said."""
        flow = self.app.flows.get(state.flow)
        told = flow.known_gender(state) if flow is not None else None
        return told if told is not None else stored

    def _localized(self, replies: list[Outbound]) -> list[Outbound]:
        """Replies as the channels get them: Arabic ones in the one digit style (item 7)."""
        style = self.settings.arabic_digits
        return [localize_outbound(out, out.hints.get("locale", ""), style) for out in replies]

    def _hint_locale(self, inbound: Inbound) -> str:
        hint = (inbound.language_hint or "").split("-")[0].lower()
        return hint if hint in self.catalogs.locales else self.catalogs.default

    def _state_from(self, conversation: rows.ConversationRow | None) -> FlowState:
        if conversation is None:
            return FlowState(flow=self.app.home, step=NOT_STARTED)
        data: dict[str, Any] = conversation.data or {}
        return FlowState(
            flow=conversation.flow,
            step=conversation.step,
            data=dict(data.get("f") or {}),
            drafts=dict(data.get("drafts") or {}),
            shown=list(data.get("shown") or []),
        )

    async def _save(self, ctx: Context, pending: dict[str, Any] | None) -> None:
        if ctx.user_deleted:
            return
        shown: list[list[str]] = []
        for out in reversed(ctx.replies):
            if out.choices:
                shown = [[c.id, c.label] for c in out.choices]
                break
        state = ctx.state
        data = {"f": state.data, "drafts": state.drafts, "shown": shown}
        ok = await repo.save_conversation(
            ctx.connection,
            ctx.user.id,
            flow=state.flow,
            step=state.step,
            data=data,
            expected_version=ctx.loaded_version,
            pending=pending,
        )
        if not ok:
            raise _StaleStateError

    # --- routing -------------------------------------------------------------------------
    def _gate_pending(self, ctx: Context) -> str | None:
        for gate in self.app.gates:
            if gate.pending(ctx):
                return gate.flow
        return None

    async def _route(self, ctx: Context) -> None:
        inbound = ctx.inbound
        if not ctx.is_staff:
            # The role may have gone while a staff screen was open (`staff remove`, ADMIN_IDS):
            # whatever arrives — a stale button, text, a number, a command — nothing of that
            # screen is handled or shown again. The update itself is then routed as usual.
            if not ctx.may_use(ctx.state.flow):
                ctx.say("staff.closed")
            ctx.leave_staff_flows()
        if inbound.kind is InboundKind.FILE and inbound.file and inbound.file.kind == VOICE:
            # Nobody can listen to a voice note: say so in words and ask the same step again.
            ctx.say("err.voice_note")
            await ctx.show_current()
            return
        pending_gate = self._gate_pending(ctx)
        if inbound.kind is InboundKind.TEXT and (typed := self._typed_command(inbound.text)):
            inbound = ctx.inbound = replace(
                inbound, kind=InboundKind.COMMAND, text=typed[0], args=typed[1]
            )
        if inbound.kind is InboundKind.COMMAND:
            await self._command(ctx, pending_gate)
            return
        if pending_gate is not None and ctx.state.flow != pending_gate:
            await ctx.home()
            return
        if inbound.kind is InboundKind.TEXT:
            match = self.match_typed(ctx.state, inbound, self.app.flows.get(ctx.state.flow))
            if match.ambiguous:
                await self._say_ambiguous(ctx, inbound.text, match.ids)
                return
            if match.unique is not None:
                inbound = replace(inbound, kind=InboundKind.CHOICE, text=match.unique)
        ref = parse_choice_id(inbound.text) if inbound.kind is InboundKind.CHOICE else None
        if ref is not None and ref.flow in self.app.global_choices:
            # A button inside a notification: valid whatever step the person is on.
            if ref.flow in self.app.staff_choices and not ctx.is_staff:
                ctx.say("staff.only")
                await ctx.show_current()
                return
            await self.app.global_choices[ref.flow](ctx, ref)
            return
        flow = self.app.flows.get(ctx.state.flow)
        if flow is None or ctx.state.step == NOT_STARTED:
            await ctx.home()
            return
        stale = ref is None or ref.flow != ctx.state.flow or ref.step != ctx.state.step
        if inbound.kind is InboundKind.CHOICE and stale:
            # A button from an older message: never act on it, show where the user is.
            await ctx.show_current()
            return
        if inbound.kind is not InboundKind.CHOICE and self._choices_only(ctx, flow):
            # Only the offered choices answer this step: say so, with the choices, rather
            # than leave each flow to ignore or merely repeat what it cannot use.
            ctx.wrong_choice()
            await flow.show(ctx)
            return
        await flow.handle(ctx, inbound)

    async def _command(self, ctx: Context, pending_gate: str | None) -> None:
        command = self.app.commands.get(ctx.inbound.text.lower())
        if command is None:
            ctx.say("err.unknown_command")
            await ctx.show_current() if pending_gate is None else await ctx.home()
            return
        if pending_gate is not None and not command.before_gates:
            await ctx.home()
            return
        if command.staff_only and not ctx.is_staff:
            ctx.say("staff.only")
            await ctx.show_current()
            return
        await command.handler(ctx)

    @cached_property
    def _command_words(self) -> dict[str, str]:
        """Typed words that stand for a command, in every language -> the command's name."""
        return {
            match_key(word): name
            for key, name in self.app.typed_commands.items()
            for tr in self.catalogs.all_translators()
            for word in tr.alternatives(key)
        }

    def _typed_command(self, text: str) -> tuple[str, str] | None:
        """ "<verify in Arabic> ABCDE-FGHJK" -> ("verify", "ABCDE-FGHJK"): a command word and
        its argument (a lone word is left to the current step: it may be an answer there)."""
        word, _, rest = clean_input(text[:200]).partition(" ")
        name = self._command_words.get(match_key(word)) if rest.strip() else None
        wants = self.app.typed_command_args.get(name) if name else None
        if wants is not None and not wants(rest.strip()):
            return None  # the word starts an answer, not the command
        return (name, rest.strip()) if name else None

    @cached_property
    def _yes_no_words(self) -> tuple[frozenset[str], frozenset[str]]:
        """The words that answer a yes/no question, in every language (an Arabic reader may
        type "ok", an English one "yes" in Arabic)."""
        yes: set[str] = set()
        no: set[str] = set()
        for tr in self.catalogs.all_translators():
            yes.update(match_key(w) for w in tr.alternatives("match.yes"))
            no.update(match_key(w) for w in tr.alternatives("match.no"))
        return frozenset(yes), frozenset(no)

    @cached_property
    def _back_words(self) -> frozenset[str]:
        """The words that mean "back", in every language."""
        return frozenset(
            match_key(w)
            for tr in self.catalogs.all_translators()
            for w in tr.alternatives("match.back")
        )

    def match_typed(self, state: FlowState, inbound: Inbound, flow: Flow | None) -> Match:
        """Typed answers to offered choices: a number (any digit script) or the label as people
        type it (bot.core.choice_match). Steps that the flow declares as wanting typed text get
        it as typed; steps that want a typed number keep a number as a number."""
        if not state.shown:
            return Match()
        text = clean_input(inbound.text[:200])
        offered = [Offered(cid, label, choice_value(cid)) for cid, label in state.shown]
        back = back_choice(text, offered, self._back_words)
        if back.unique:
            return back
        if flow is not None and flow.wants_typed_text(state.step):
            # The text is the answer here (a note, a count); only the whole label of a
            # navigation button (cancel, back, skip) is still that button.
            navigation = [o for o in offered if is_navigation(o.id) or o.value in BACK_VALUES]
            return match_choice(text, navigation, whole_only=True)
        only_movement = all(choice_value(cid) in MOVEMENT for cid, _ in state.shown)
        wants_number = flow is not None and state.step in flow.number_steps
        if text.isdigit() and not only_movement and not wants_number:
            # A number picks the n-th option, unless the step offers nothing but back, keep
            # and cancel: then it asks for a number (a capacity, say) and gets it.
            index = int(text) - 1
            if 0 <= index < len(state.shown):
                return Match((state.shown[index][0],))
            return Match()
        yes, no = self._yes_no_words
        return match_choice(text, offered, yes, no)

    @staticmethod
    def _choices_only(ctx: Context, flow: Flow) -> bool:
        """Whether the current step offered choices and takes nothing else."""
        here = f"{ctx.state.flow}{CHOICE_SEP}{ctx.state.step}"
        offered_here = any(choice_prefix(cid) == here for cid, _ in ctx.state.shown)
        return offered_here and not flow.reads_input(ctx.state.step)

    @staticmethod
    async def _say_ambiguous(ctx: Context, typed: str, ids: tuple[str, ...]) -> None:
        """A prefix of several labels: name them (with the numbers that pick them) and ask
        again."""
        numbered = [(n, label) for n, (cid, label) in enumerate(ctx.state.shown, 1) if cid in ids]
        choices = ctx.list_choices(numbered)
        ctx.say("err.choice.ambiguous", typed=clean_input(typed)[:40], choices=choices)
        await ctx.show_current()

    # --- failures ------------------------------------------------------------------------
    async def _failure_reply(self, inbound: Inbound) -> list[Outbound]:
        """Say sorry and show the step the user is on; the failed update changed nothing."""
        try:
            async with self.db.engine.connect() as conn:
                ctx = await self._load(conn, inbound)
                try:
                    ctx.say("err.internal")
                    if self._gate_pending(ctx) is None:
                        await ctx.show_current()
                finally:
                    await ctx.close()
                    await conn.rollback()
                return self._localized(ctx.replies)
        except Exception as exc:
            log.error("could not even build the failure reply: %s", describe(exc))
            tr = self.catalogs.translator(self._hint_locale(inbound))
            sorry = Outbound(text=tr.t("err.internal"), hints={"locale": tr.locale})
            return self._localized([sorry])


def _without_controls(inbound: Inbound) -> Inbound:
    """Free text from every channel enters here: control characters (NUL, which PostgreSQL
    refuses, and the ones that break an XLSX export) never reach a step or the database."""
    text, args = strip_controls(inbound.text), strip_controls(inbound.args)
    name = strip_controls(inbound.display_name) if inbound.display_name else inbound.display_name
    file = inbound.file
    if file is not None and file.name:
        file = replace(file, name=strip_controls(file.name))
    if (text, args, name, file) == (inbound.text, inbound.args, inbound.display_name, inbound.file):
        return inbound
    return replace(inbound, text=text, args=args, display_name=name, file=file)
