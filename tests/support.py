"""A test driver that talks to the engine as a user would, one Inbound at a time."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

from bot.core.engine import Engine
from bot.core.messages import Contact, FileRef, Inbound, InboundKind, Location, Outbound

_update_ids = itertools.count(1)

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
    ("press", "we_morning"),
    ("press", "_d"),
    ("press", "_s"),
    ("press", "yes"),
]


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
