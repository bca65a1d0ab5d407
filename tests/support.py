"""A test driver that talks to the engine as a user would, one Inbound at a time."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cache
from typing import Any

from babel.messages.pofile import read_po
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bot.core.engine import Engine
from bot.core.i18n import DEFAULT_LOCALES_DIR, po_path
from bot.core.messages import Contact, FileRef, Inbound, InboundKind, Location, Outbound
from bot.settings import Settings
from storage.db import Database
from storage.models import ChannelIdentity, Conversation

_update_ids = itertools.count(1)
RLM = "\u200f"
# The privacy notice version users are asked to accept by default (bumped with the notice's text).
NOTICE_VERSION: str = Settings.model_fields["privacy_notice_version"].default


@contextmanager
def orm_sessions_used() -> Iterator[list[str]]:
    """The ORM sessions that began a transaction meanwhile, anywhere in the process (issue 18:
    the steps that only run statements must open none)."""
    used: list[str] = []

    def began(session: Session, _transaction: Any) -> None:
        used.append(type(session).__name__)

    event.listen(Session, "after_transaction_create", began)
    try:
        yield used
    finally:
        event.remove(Session, "after_transaction_create", began)


# A complete, valid adult sign-up, answer by answer (after language and privacy).
ADULT_ANSWERS: list[tuple[str, Any]] = [
    ("text", "محمد عبدالله الغامدي"),
    ("text", "1234567897"),
    ("text", "0512345678"),
    ("press", "m"),
    ("text", "15/03/1420"),
    ("press", "hawiya"),
    ("press", "environment"),
    ("press", "events"),
    ("press", "_d"),
    ("press", "_s"),  # skills (optional): SKILLS_AT
    ("press", "we_morning"),
    ("press", "_d"),
    ("press", "_s"),
    ("press", "no"),  # no consent to keep access needs: they are not asked
    ("press", "yes"),
]

SKILLS_AT = 9  # where ADULT_ANSWERS answers the skills question


def with_skills(skills: str, answers: list[tuple[str, Any]] | None = None) -> list[tuple[str, Any]]:
    """A sign-up's answers (ADULT_ANSWERS by default) with `skills` typed at the skills step."""
    changed = list(answers or ADULT_ANSWERS)
    changed[SKILLS_AT] = ("text", skills)
    return changed


class Chat:
    def __init__(
        self,
        engine: Engine,
        user: str = "u1",
        channel: str = "console",
        caps: frozenset[str] = frozenset(),
        language_hint: str | None = None,
    ) -> None:
        self.engine = engine
        self.user = user
        self.channel = channel
        self.caps = caps
        self.language_hint = language_hint
        self.last: list[Outbound] = []
        self.history: list[Outbound] = []
        self.last_inbound: Inbound | None = None
        self.sender_phone: str | None = None

    # --- sending ---------------------------------------------------------------------------
    def inbound(self, kind: InboundKind, text: str = "", **kw: Any) -> Inbound:
        return Inbound(
            channel=self.channel,
            external_user_id=self.user,
            chat_id=self.user,
            update_id=f"t{next(_update_ids)}",
            kind=kind,
            text=text,
            language_hint=self.language_hint,
            caps=self.caps,
            sender_phone=self.sender_phone,
            **kw,
        )

    async def deliver(self, inbound: Inbound) -> list[Outbound]:
        self.last_inbound = inbound
        self.last = await self.engine.handle(inbound)
        self.history += self.last
        return self.last

    async def send(self, text: str) -> list[Outbound]:
        if text.startswith("/"):
            name, _, args = text[1:].partition(" ")
            return await self.deliver(self.inbound(InboundKind.COMMAND, name, args=args))
        return await self.deliver(self.inbound(InboundKind.TEXT, text))

    async def press(self, value: str) -> list[Outbound]:
        """Press the offered choice whose value (last id part) is `value`."""
        return await self.deliver(self.inbound(InboundKind.CHOICE, self.choice_id(value)))

    async def press_id(self, choice_id: str) -> list[Outbound]:
        return await self.deliver(self.inbound(InboundKind.CHOICE, choice_id))

    async def contact(self, phone: str, own: bool = True) -> list[Outbound]:
        return await self.deliver(
            self.inbound(InboundKind.CONTACT, contact=Contact(phone=phone, is_own=own))
        )

    async def location(self) -> list[Outbound]:
        return await self.deliver(
            self.inbound(InboundKind.LOCATION, location=Location(21.27, 40.41))
        )

    async def file(self) -> list[Outbound]:
        return await self.deliver(
            self.inbound(InboundKind.FILE, file=FileRef(file_id="f1", kind="photo"))
        )

    async def redeliver(self) -> list[Outbound]:
        """The same update again (same update id), as a webhook retry would send it."""
        assert self.last_inbound is not None
        return await self.deliver(replace(self.last_inbound))

    async def answer(self, how: str, value: Any) -> list[Outbound]:
        return await (self.press(value) if how == "press" else self.send(value))

    # --- reading ---------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return "\n".join(o.text for o in self.last)

    @property
    def choices(self) -> list[tuple[str, str]]:
        for out in reversed(self.last):
            if out.choices:
                return [(c.id, c.label) for c in out.choices]
        return []

    def choice_id(self, value: str) -> str:
        for cid, _ in self.choices:
            if cid.rsplit(":", 1)[-1] == value:
                return cid
        raise AssertionError(f"no choice {value!r} offered; offered: {self.choices}")

    def offers(self, value: str) -> bool:
        return any(cid.rsplit(":", 1)[-1] == value for cid, _ in self.choices)

    # --- whole paths -----------------------------------------------------------------------
    async def onboard(self, locale: str = "ar") -> None:
        """First contact: language, privacy notice, main menu."""
        await self.send("/start")
        await self.press(locale)
        await self.press("yes")

    async def start_signup(self, locale: str = "ar") -> None:
        await self.onboard(locale)
        await self.press("vol")

    async def signup_with_id(self, seed: str) -> None:
        """A complete sign-up with a national ID of its own (several volunteers per test)."""
        from bot.demo import _with_check_digit

        body = str(100_000_000 + sum(ord(c) * 7919**i for i, c in enumerate(seed)) % 99_999_999)
        answers = list(ADULT_ANSWERS)
        answers[1] = ("text", _with_check_digit(body[:9]))
        await self.signup(answers)

    async def signup(self, answers: list[tuple[str, Any]] | None = None) -> None:
        await self.start_signup()
        for how, value in answers or ADULT_ANSWERS:
            await self.answer(how, value)
        await self.press("_ok")


# --- catalog knowledge ------------------------------------------------------------------------
@cache
def catalog(locale: str) -> dict[str, object]:
    """msgid -> msgstr (a tuple of forms for plural messages), read straight from the .po."""
    with po_path(DEFAULT_LOCALES_DIR, locale).open("rb") as fh:
        cat = read_po(fh)
    # The neutral entries only: gendered variants (msgctxt) share their msgid.
    return {
        str(m.id[0] if isinstance(m.id, tuple) else m.id): m.string
        for m in cat
        if m.id and not m.context
    }


def text_of(locale: str, msgid: str) -> str:
    value = catalog(locale)[msgid]
    assert isinstance(value, str), msgid
    return value


@cache
def error_fragments(locale: str) -> tuple[str, ...]:
    """The longest literal piece of every user-facing error message (placeholders cut out)."""
    fragments = []
    for msgid, value in catalog(locale).items():
        if not msgid.startswith(("err.", "form.err.", "vol.err.")) or msgid == "err.internal":
            continue
        assert isinstance(value, str)
        pieces = [p.strip() for p in re.split(r"\{[^}]*\}", value)]
        fragments.append(max(pieces, key=len))
    return tuple(fragments)


@cache
def msgid_pattern() -> re.Pattern[str]:
    """Matches an untranslated message id ("err.name.chars", "form.keep" …) in a reply."""
    prefixes = sorted({msgid.split(".")[0] for msgid in catalog("ar") if "." in msgid})
    return re.compile(rf"\b(?:{'|'.join(prefixes)})\.[a-z_]+")


def plain(text: str) -> str:
    """Reply text without the right-to-left marks the engine puts at line starts."""
    return text.replace(RLM, "")


# --- reply checks (every test folder uses them) ----------------------------------------
TELEGRAM_TAGS = frozenset({"b", "i", "u", "s", "code", "pre", "a"})
_HTML_TOKEN = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)>"  # a tag
    r"|&(?:amp|lt|gt|quot|#[0-9]+|#x[0-9A-Fa-f]+);"  # an entity
    r"|[<>&]"  # a raw special character: never allowed outside tags and entities
)


def html_problems(text: str) -> list[str]:
    """Why `text` is not Telegram-safe HTML (empty when it is)."""
    problems: list[str] = []
    stack: list[str] = []
    for m in _HTML_TOKEN.finditer(text):
        token = m.group(0)
        if token in ("<", ">", "&"):
            problems.append(
                f"raw {token!r} at {m.start()}: …{text[max(0, m.start() - 20) : m.end() + 20]}…"
            )
            continue
        if token.startswith("&"):
            continue
        closing, name, attrs = m.group(1), m.group(2).lower(), m.group(3).strip()
        if name not in TELEGRAM_TAGS:
            problems.append(f"tag <{closing}{name}> is not one Telegram knows")
            continue
        if closing:
            if attrs:
                problems.append(f"closing tag </{name}> has attributes")
            if not stack or stack[-1] != name:
                problems.append(f"</{name}> does not close {stack[-1] if stack else 'anything'}")
            else:
                stack.pop()
        else:
            if attrs and not (name == "a" and re.fullmatch(r'href="[^"<>]*"', attrs)):
                problems.append(f"<{name}> has unexpected attributes {attrs!r}")
            stack.append(name)
    if stack:
        problems.append(f"unclosed tags: {stack}")
    return problems


_EMBEDS = frozenset("\u202a\u202b\u202c\u202d\u202e")


def bidi_problems(text: str) -> list[str]:
    """Embeddings and overrides (U+202A-U+202E) never belong in a reply: one from user text
    would flip the rest of the line. Isolates (U+2066-U+2068 ... U+2069) must pair up."""
    problems = [f"bidi control U+{ord(ch):04X} in a reply" for ch in set(text) if ch in _EMBEDS]
    depth = 0
    for ch in text:
        if ch in "\u2066\u2067\u2068":
            depth += 1
        elif ch == "\u2069":
            depth -= 1
            if depth < 0:
                problems.append("a bidi isolate is closed that was never opened")
                depth = 0
    if depth:
        problems.append("a bidi isolate is left open")
    return problems


def reply_problems(replies: Iterable[Outbound]) -> list[str]:
    """Problems every reply must be free of: a crash, a leaked message id, broken HTML,
    stray bidi controls."""
    problems: list[str] = []
    sorry = {plain(text_of(loc, "err.internal")) for loc in ("ar", "en")}
    for out in replies:
        text = plain(out.text)
        if any(s in text for s in sorry):
            problems.append("the bot said sorry (err.internal): something crashed")
        for piece in [text, *(c.label for c in out.choices)]:
            if leaked := msgid_pattern().search(piece):
                problems.append(f"message id {leaked.group(0)!r} shown instead of its text")
        problems += html_problems(out.text)
        problems += bidi_problems(out.text)
        if "<script" in out.text.lower():
            problems.append("user HTML came back unescaped")
    return problems


def assert_clean(replies: Iterable[Outbound]) -> None:
    problems = reply_problems(replies)
    assert not problems, "\n".join(problems)


def step_of(out: Outbound) -> str | None:
    """The form step a reply asks, read from its choice ids ("vol:<step>:<value>")."""
    steps = {c.id.split(":")[1] for c in out.choices if c.id.startswith("vol:")}
    return steps.pop() if len(steps) == 1 else None


async def conversation(db: Database, chat: Chat) -> Conversation:
    async with db.sessions() as session:
        row = (
            await session.execute(
                select(Conversation)
                .join(ChannelIdentity, ChannelIdentity.user_id == Conversation.user_id)
                .where(
                    ChannelIdentity.channel == chat.channel,
                    ChannelIdentity.external_id == chat.user,
                )
            )
        ).scalar_one()
        return row


def state_key(conv: Conversation) -> tuple[object, ...]:
    data = conv.data or {}
    return conv.flow, conv.step, data.get("f"), data.get("drafts")
