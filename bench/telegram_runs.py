"""The Telegram bench's driving of the fake and its bare echo bots, one per client library
(bench/telegram_bench.py runs them and our stack on each library, and compares)."""

from __future__ import annotations

import asyncio
import gc
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pydantic._internal._model_construction as pydantic_models
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message, Update

from fakes.telegram_api import JSON, FakeTelegramServer

RUN_TIMEOUT = 300.0  # seconds for one run before it is declared stuck
FIRST_USER_ID = 500_001
LIBRARIES = ("aiogram", "ptb")


# --- driving the fake -----------------------------------------------------------------------
class Completions:
    """update_id -> a future resolved when the bot has finished replying to that update."""

    def __init__(self) -> None:
        self._waiting: dict[int, asyncio.Future[None]] = {}
        self._early: set[int] = set()
        self._since: dict[int, float] = {}  # update_id -> when it was pushed
        self.latencies: list[float] = []  # push to handled, seconds
        self.count = 0
        self.last_at = 0.0

    def expect(self, update_id: int) -> asyncio.Future[None]:
        future = asyncio.get_running_loop().create_future()
        self._since[update_id] = time.perf_counter()
        if update_id in self._early:
            self._early.discard(update_id)
            future.set_result(None)
        else:
            self._waiting[update_id] = future
        return future

    def done(self, update_id: int) -> None:
        self.count += 1
        self.last_at = time.perf_counter()
        pushed = self._since.pop(update_id, None)
        if pushed is not None:
            self.latencies.append(self.last_at - pushed)
        future = self._waiting.pop(update_id, None)
        if future is None:
            self._early.add(update_id)
        elif not future.done():
            future.set_result(None)


class TimedFake(FakeTelegramServer):
    """The fake, also adding up the time its method handlers take (HTML parsing, storing the
    message …): CPU spent on the fake's side that a real Bot API server would spend elsewhere.
    getUpdates is left out (it waits for updates)."""

    handler_seconds = 0.0

    async def _execute(self, token: str, handler: Any, name: str, params: JSON) -> Any:
        if name == "getUpdates":
            return await super()._execute(token, handler, name, params)
        started = time.perf_counter()
        try:
            return await super()._execute(token, handler, name, params)
        finally:
            self.handler_seconds += time.perf_counter() - started


def push(fake: FakeTelegramServer, user_id: int, text: str) -> int:
    """The user writes `text` (a /command carries Telegram's bot_command entity)."""
    if text.startswith("/"):
        name, _, args = text[1:].partition(" ")
        return fake.user_command(user_id, name, args, first_name=f"User {user_id}")
    return fake.user_text(user_id, text, first_name=f"User {user_id}")


async def drive(
    fake: FakeTelegramServer, completions: Completions, texts: list[str], users: int, mode: str
) -> float:
    """Push the workload; return when every update is handled. Returns the start time
    (perf_counter at the first push)."""
    user_ids = [FIRST_USER_ID + n for n in range(users)]
    started = time.perf_counter()
    if mode == "waves":  # message k of every user, once all of wave k-1 is answered
        for text in texts:
            await asyncio.gather(*(completions.expect(push(fake, uid, text)) for uid in user_ids))
    elif mode == "burst":  # everything up front, each user's messages in order
        pushed = [push(fake, uid, text) for text in texts for uid in user_ids]
        await asyncio.gather(*(completions.expect(update_id) for update_id in pushed))
    else:  # "closed": each user sends the next message when the previous one is answered

        async def one_user(user_id: int) -> None:
            for text in texts:
                await completions.expect(push(fake, user_id, text))

        await asyncio.gather(*(one_user(uid) for uid in user_ids))
    return started


# --- pydantic model builds -------------------------------------------------------------------
class ModelBuilds:
    """Counts pydantic model classes completed (schema built): a class created during a run,
    such as aiogram's `Response[Message]` built again after the collector freed it. A counter
    around pydantic's own function (module attribute, looked up at each class creation)."""

    count = 0
    _original: Any = None

    @classmethod
    def install(cls) -> None:
        if cls._original is not None:
            return
        original = cls._original = pydantic_models.complete_model_class

        def counting(*args: Any, **kwargs: Any) -> Any:
            cls.count += 1
            return original(*args, **kwargs)

        pydantic_models.complete_model_class = counting


# --- results --------------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    updates: int = 0
    handled: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    fake_seconds: float = 0.0
    model_builds: int = 0  # pydantic classes built during the timed part
    latencies: list[float] = field(default_factory=list)  # per update, push to handled

    def latency_ms(self, share: float) -> float:
        """The latency below which `share` of the updates were handled, in ms."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    calls: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.handled / self.seconds if self.seconds > 0 else 0.0

    def record_calls(self, fake: FakeTelegramServer, since: int) -> None:
        for call in fake.sent[since:]:
            self.calls[call.method] += 1
            # PTB's Updater, when stopped, confirms the offset with a short getUpdates while its
            # cancelled long poll is still open on the server: that one 409 is the shutdown's.
            shutdown = call.method == "getUpdates" and call.status == 409
            if not call.ok and not shutdown:
                self.failed[f"{call.method} {call.status} {call.description}"] += 1

    def api_calls_per_update(self) -> float:
        sending = sum(n for method, n in self.calls.items() if method != "getUpdates")
        return sending / self.handled if self.handled else 0.0


async def timed(
    result: Result,
    fake: TimedFake,
    completions: Completions,
    texts: list[str],
    users: int,
    mode: str,
) -> None:
    gc.collect()
    fake.handler_seconds = 0.0
    ModelBuilds.install()
    builds0 = ModelBuilds.count
    cpu0 = time.process_time()
    try:
        work = drive(fake, completions, texts, users, mode)
        started = await asyncio.wait_for(work, RUN_TIMEOUT)
        result.seconds = completions.last_at - started
    except TimeoutError:
        result.problems.append(
            f"timed out after {RUN_TIMEOUT:.0f}s with {completions.count} updates handled"
        )
        result.seconds = RUN_TIMEOUT
    result.cpu_seconds = time.process_time() - cpu0
    result.handled = completions.count
    result.fake_seconds = fake.handler_seconds
    result.model_builds = ModelBuilds.count - builds0
    result.latencies = completions.latencies


def check_echo(result: Result, fake: FakeTelegramServer) -> None:
    if result.handled != result.updates:
        result.problems.append(f"{result.handled} of {result.updates} updates handled")
    sent = sum(1 for c in fake.calls("sendMessage") if c.ok)
    if sent != result.updates:
        result.problems.append(f"{sent} echoes sent for {result.updates} updates")
    if result.failed:
        result.problems.append(f"failed Bot API calls: {dict(result.failed)}")


async def run_echo(texts: list[str], users: int, mode: str, library: str = "aiogram") -> Result:
    """The library's bare echo bot: long polling, one handler answering the text."""
    if library == "ptb":
        return await run_ptb_echo(texts, users, mode)
    result = Result("echo-aiogram", updates=users * len(texts))
    fake = TimedFake()
    async with fake:
        session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
        bot = Bot(fake.token, session=session)
        completions = Completions()
        dispatcher = Dispatcher()

        @dispatcher.message()
        async def echo(message: Message, bot: Bot, event_update: Update) -> None:
            try:
                await bot.send_message(message.chat.id, message.text or "?")
            finally:
                completions.done(event_update.update_id)

        polling = asyncio.create_task(
            dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False)
        )
        try:
            await fake.wait_for(lambda: fake.calls("getUpdates"), timeout=30)
            since = len(fake.sent)
            await timed(result, fake, completions, texts, users, mode)
        finally:
            await dispatcher.stop_polling()
            await polling
            await bot.session.close()
        result.record_calls(fake, since)
        check_echo(result, fake)
    return result


async def run_ptb_echo(texts: list[str], users: int, mode: str) -> Result:
    """python-telegram-bot's bare echo bot, as its examples write one: an Application with
    one MessageHandler and `message.reply_text`-like `send_message`, polling with its Updater
    (updates handled side by side, as aiogram's polling does)."""
    from telegram import Update as PtbUpdate
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    result = Result("echo-ptb", updates=users * len(texts))
    fake = TimedFake()
    async with fake:
        completions = Completions()
        app = (
            ApplicationBuilder()
            .token(fake.token)
            .base_url(f"{fake.base_url}/bot")
            .concurrent_updates(True)
            .build()
        )

        async def echo(update: PtbUpdate, context: ContextTypes.DEFAULT_TYPE) -> None:
            message = update.message
            assert message is not None
            try:
                await context.bot.send_message(message.chat.id, message.text or "?")
            finally:
                completions.done(update.update_id)

        app.add_handler(MessageHandler(filters.ALL, echo))
        updater = app.updater
        assert updater is not None
        await app.initialize()
        await app.start()
        await updater.start_polling(timeout=10)
        try:
            await fake.wait_for(lambda: fake.calls("getUpdates"), timeout=30)
            since = len(fake.sent)
            await timed(result, fake, completions, texts, users, mode)
        finally:
            await updater.stop()
            await app.stop()
            await app.shutdown()
        result.record_calls(fake, since)
        check_echo(result, fake)
    return result
