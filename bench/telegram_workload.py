"""The Telegram bench's workload (the script every user types, found on the engine alone) and
the checks of a run of our stack (bench/telegram_bench.py runs it; bench/webhook_workers_bench.py
uses the same script)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from bench.telegram_runs import FIRST_USER_ID, Result
from bot.core.messages import Inbound, InboundKind, Outbound
from bot.runtime import create_runtime
from bot.settings import load_settings
from fakes.telegram_api import FakeTelegramServer


@dataclass(frozen=True)
class Numbers:
    """Where the choices the script types sit in the menus (1-based), found by `discover`, so
    the script keeps working when features add or reorder menu entries."""

    arabic: int  # in the language question
    accept: int  # in the privacy notice
    help: int  # on the main menu


def to_arabic_indic(number: int) -> str:
    return "".join(chr(0x0660 + int(d)) for d in str(number))


def script(messages: int, numbers: Numbers) -> list[str]:
    """The `messages` texts one user sends, in order: /start, the language and the privacy
    notice answered by number, then main-menu inputs in turn: help by number, a greeting the
    menu does not understand, help by number in Arabic-Indic digits, the /help command."""
    opening = ["/start", str(numbers.arabic), str(numbers.accept)]
    menu = [str(numbers.help), "مرحبا", to_arabic_indic(numbers.help), "/help"]
    texts = itertools.chain(opening, itertools.cycle(menu))
    return list(itertools.islice(texts, messages))


OPENING_LENGTH = 3


def _position(replies: list[Outbound], value: str) -> int:
    """1-based number of the choice whose id ends with ':value' in the last menu shown."""
    menus = [out for out in replies if out.choices]
    if menus:
        for number, choice in enumerate(menus[-1].choices, 1):
            if choice.id.rsplit(":", 1)[-1] == value:
                return number
    raise RuntimeError(f"the bot's menu has no {value!r} choice: {replies}")


async def discover(workdir: Path) -> Numbers:
    """One probe user through the engine alone (own database): the numbers to type."""
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{workdir / 'probe.db'}")
    runtime = await create_runtime(settings)
    try:
        update_ids = itertools.count(1)

        async def say(kind: InboundKind, text: str) -> list[Outbound]:
            inbound = Inbound(
                channel="telegram",
                external_user_id="1",
                chat_id="1",
                update_id=f"probe-{next(update_ids)}",
                kind=kind,
                text=text,
                language_hint="ar",
                display_name="Probe",
            )
            return await runtime.engine.handle(inbound)

        arabic = _position(await say(InboundKind.COMMAND, "start"), "ar")
        accept = _position(await say(InboundKind.TEXT, str(arabic)), "yes")
        help_number = _position(await say(InboundKind.TEXT, str(accept)), "help")
        return Numbers(arabic=arabic, accept=accept, help=help_number)
    finally:
        await runtime.close()


# --- checks ---------------------------------------------------------------------------------
def check_ours(
    result: Result, fake: FakeTelegramServer, menu_title: str, users: int, messages: int
) -> None:
    if result.handled != result.updates:
        result.problems.append(f"{result.handled} of {result.updates} updates handled")
    if result.failed:
        result.problems.append(f"failed Bot API calls: {dict(result.failed)}")
    off_script = 0
    for n in range(users):
        mine = [m for m in fake.messages_to(FIRST_USER_ID + n) if m["from"].get("is_bot")]
        live = [m for m in mine if m.get("reply_markup")]
        if not mine or menu_title not in mine[-1].get("text", "") or len(live) != 1:
            off_script += 1
    if off_script and messages >= OPENING_LENGTH:
        result.problems.append(f"{off_script} users not on the main menu with one live menu")


def check_stand_in(result: Result) -> None:
    if result.handled != result.updates:
        result.problems.append(f"{result.handled} of {result.updates} updates handled")
    if result.failed:
        result.problems.append(f"failed Bot API calls: {dict(result.failed)}")
    expected = 0.0 if result.name.startswith("silent") else 1.0
    if result.api_calls_per_update() != expected:
        result.problems.append(f"{result.api_calls_per_update():.2f} calls/update, not {expected}")
