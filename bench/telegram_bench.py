"""Telegram throughput: updates per second through the whole stack, against a bare echo bot.

    python -m bench.telegram_bench                   # 200 users x 10 messages = 2,000 updates
    python -m bench.telegram_bench --quick           # 50 users x 4 messages = 200 updates
    python -m bench.telegram_bench --users 500 --messages 4 --strict
    python -m bench.telegram_bench --profile         # + cProfile of our stack's run

Four runs in one process, each against a fresh fake Bot API server (fakes/telegram_api.py,
HTTP on 127.0.0.1, in the same process and event loop as the bot), for each client library
(TELEGRAM_TRANSPORT: aiogram, ptb):

* ours: the real `TelegramService.run_polling` (the library's long polling, our channel adapter,
  the engine, the outbox sender and scheduler it starts, SQLite in a fresh temporary file);
* echo: the library's bare echo bot (bench/telegram_runs.py): aiogram's `Dispatcher` with one
  message handler, or PTB's `Application` with one `MessageHandler`, answering the text with
  `send_message`.

Printed: all four rates and the ratios ours-on-PTB / PTB echo, ours-on-aiogram / aiogram echo,
and PTB / aiogram (our stack, and the echo bots).

Workload, the same for both: U users each send M plain text messages, pushed into the fake as
Telegram updates. The messages are a realistic start for our bot: "/start", the language picked
by typing its number, the privacy notice accepted by number, then main-menu inputs in turn: the
help entry's number, "مرحبا" (not understood), the help number in Arabic-Indic digits, "/help".
The numbers are looked up first with a probe user on the engine alone, so the script follows
menu changes (it fails loudly if there is no help entry). Every message gets a reply; ours
is one message (a text merged with the menu after it) with an inline keyboard, and first the
previous menu's keyboard is removed, so it makes 1.9 Bot API calls per update where the echo bot
makes one. How they are pushed (--mode):

* waves (default): message k of every user, once every update of wave k-1 is answered, so the
  bot always finds U updates waiting and polls full batches of 100 (getUpdates' limit), and no
  two updates of one user are in flight together;
* burst: all U x M updates up front (message 1 of every user, then message 2 …);
* closed: every user sends the next message as soon as the previous one is answered (the most
  realistic; the bot then polls small batches, often a single update).

An update counts as handled when its replies have been sent: for ours when
`TelegramChat.deliver` returns, for the echo bot when `send_message` returns. The clock runs
from the first push to the last handled update. Afterwards each run is checked: every update
handled, no failed Bot API call, for the echo bot one echo per update, for ours every user on the
main menu with exactly one live menu. "fake handlers" is the time the fake spent in its method
handlers (HTML parsing of our texts, storing messages): CPU a real Bot API server would spend
elsewhere, shown so it can be discounted. With --repeat N both are run N times, alternately,
and the best rate of each counts (the machine is shared; the best run is the least disturbed).
Our stack starts as `shuraka telegram` does: the start-up heap is frozen (gc.freeze).

Two stand-in runs of our stack (on aiogram) follow (skip them with --no-floor), to show where
the target stands: "silent" computes and saves every reply but sends nothing (aiogram's
dispatch, the engine and a SQLite transaction per update: the floor before any Bot API call),
and "as-echo" computes and saves them but sends what the echo bot sends (the user's text back).

Target: our stack reaches at least half of the echo bot's rate (ratio >= 0.5).
Exit status: 1 when a run is wrong or times out; with --strict also when the target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import itertools
import logging
import os
import platform
import pstats
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from bench.common import ErrorCounter, own_time_by_area
from bench.telegram_runs import (
    LIBRARIES,
    Completions,
    Result,
    TimedFake,
    run_echo,
    timed,
)
from bench.telegram_workload import check_ours, check_stand_in, discover, script
from bot.channels.telegram_render import call
from bot.core.messages import Inbound, Outbound
from bot.process.telegram import TelegramService
from bot.process.telegram_libs import open_client
from bot.runtime import create_runtime
from bot.settings import load_settings
from fakes.telegram_api import parse_html

TARGET_RATIO = 0.5  # ours / echo, at least
DEFAULT_USERS = 200
DEFAULT_MESSAGES = 10
QUICK_USERS = 50
QUICK_MESSAGES = 4
MODES = ("waves", "burst", "closed")
DATABASE_NUMBERS = itertools.count(1)


# --- our stack ------------------------------------------------------------------------------
async def run_ours(
    texts: list[str],
    users: int,
    mode: str,
    workdir: Path,
    profiler: cProfile.Profile | None = None,
    *,
    replies: str = "ours",
    library: str = "aiogram",
) -> Result:
    """`replies`: "ours" sends the bot's replies; "none" computes and saves them but sends
    nothing (what the stack costs before its first Bot API call); "echo" computes and saves
    them but sends what the echo bot sends instead (the user's text back, one short message)."""
    names = {"ours": "ours", "none": "silent", "echo": "as-echo"}
    result = Result(f"{names[replies]}-{library}", updates=users * len(texts))
    database = workdir / f"bench-{next(DATABASE_NUMBERS)}.db"
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{database}")
    runtime = await create_runtime(settings)
    # As `shuraka telegram` does after start-up (bot/cli.py): what is loaded by now lives as
    # long as the process, so the collector is kept off it. Undone after the run.
    gc.collect()
    gc.freeze()
    try:
        fake = TimedFake()
        async with fake:
            client = open_client(library, fake.token, fake.base_url)
            service = TelegramService(runtime, client=client)
            completions = Completions()
            original = service.channel.deliver
            sending = replies  # the stand-in's own `replies` is the channel method's argument

            async def deliver(
                chat_id: int,
                inbound: Inbound,
                replies: list[Outbound],
                pressed: int | None = None,
            ) -> None:
                try:
                    if sending == "ours":
                        await original(chat_id, inbound, replies, pressed)
                    elif sending == "echo":
                        echo = call("sendMessage", chat_id=chat_id, text=inbound.text or "?")
                        await service.client.call(echo)
                finally:
                    completions.done(int(inbound.update_id))

            service.channel.deliver = deliver  # type: ignore[method-assign]
            polling = asyncio.create_task(service.run_polling(handle_signals=False))
            try:
                await fake.wait_for(lambda: fake.calls("getUpdates"), timeout=30)
                since = len(fake.sent)
                if profiler is not None:
                    profiler.enable()
                try:
                    await timed(result, fake, completions, texts, users, mode)
                finally:
                    if profiler is not None:
                        profiler.disable()
            finally:
                await service.stop()
                await polling
            result.record_calls(fake, since)
            if replies != "ours":
                check_stand_in(result)
            else:
                menu_title, _ = parse_html(runtime.catalogs.translator("ar").t("menu.title"))
                check_ours(result, fake, menu_title, users, len(texts))
    finally:
        await runtime.close()
        gc.unfreeze()
    return result


# --- profile --------------------------------------------------------------------------------
AREAS: list[tuple[str, str]] = [
    ("/fakes/", "fake Bot API server (fakes/)"),
    ("/bot/channels/", "our Telegram adapter"),
    ("/bot/", "our engine, flows, i18n"),
    ("/storage/", "our storage layer"),
    ("/aiogram/", "aiogram"),
    ("/aiohttp/web", "aiohttp server side (the fake)"),
    ("/aiohttp/", "aiohttp (client + shared)"),
    ("/sqlalchemy/", "SQLAlchemy"),
    ("/aiosqlite/", "aiosqlite (event loop side)"),
    ("/pydantic", "pydantic"),
    ("/multidict/", "aiohttp (client + shared)"),
    ("/yarl/", "aiohttp (client + shared)"),
    ("/json/", "json"),
    ("/asyncio/", "asyncio event loop"),
    ("/selectors.py", "asyncio event loop"),
]


# Stages of an update, by the cumulative time of the function that is the stage (file path
# fragment, function name); nested: dispatch holds the engine and the delivery, the engine holds
# SQLAlchemy, the delivery holds rendering and the HTTP client.
STAGES: list[tuple[str, str, str]] = [
    (
        "aiogram dispatch (all under feed_update)",
        "/aiogram/dispatcher/dispatcher.py",
        "feed_update",
    ),
    ("  engine (Engine.handle)", "/bot/core/engine.py", "handle"),
    ("    SQLAlchemy (greenlet_spawn)", "/sqlalchemy/util/concurrency.py", "greenlet_spawn"),
    ("  delivery (TelegramChat.deliver)", "/bot/channels/telegram_chat.py", "deliver"),
    ("    our rendering (render)", "/bot/channels/telegram_render.py", "render"),
    ("    our rendering (merge_replies)", "/bot/channels/telegram_chat.py", "merge_replies"),
    ("    HTTP client (post_json)", "/bot/channels/telegram_session.py", "post_json"),
    ("fake server (_handle_api)", "/fakes/telegram_api.py", "_handle_api"),
]


def stage_times(stats: pstats.Stats) -> list[tuple[str, float]]:
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    times = []
    for label, fragment, function in STAGES:
        seconds = sum(
            entry[3]
            for (filename, _, name), entry in raw.items()
            if name == function and fragment in filename.replace(os.sep, "/")
        )
        times.append((label, seconds))
    return times


def profile_report(profiler: cProfile.Profile, updates: int, top: int = 25) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    areas = own_time_by_area(stats, AREAS, other="other")
    total = sum(seconds for _, seconds in areas) or 1.0
    out.write("\nprofile of our stack's run (the main thread only: SQLite runs in aiosqlite's)\n")
    out.write(f"  own time by area (total {total:.2f}s):\n")
    for area, seconds in areas:
        out.write(f"    {area:<36} {seconds:6.2f}s  {100 * seconds / total:5.1f}%\n")
    out.write(f"\n  cumulative time by stage, per update ({updates} updates):\n")
    for label, seconds in stage_times(stats):
        per_update = 1000 * seconds / updates if updates else 0.0
        out.write(f"    {label:<44} {seconds:6.2f}s  {per_update:6.2f} ms/update\n")
    out.write(f"\n  top {top} functions by own time:\n")
    stats.sort_stats("tottime").print_stats(top)
    out.write(f"\n  top {top} functions by cumulative time:\n")
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# --- main -----------------------------------------------------------------------------------
def print_result(result: Result) -> None:
    calls = ", ".join(f"{method} {n}" for method, n in result.calls.most_common())
    per_update = 1000 * result.cpu_seconds / result.handled if result.handled else 0.0
    print(
        f"{result.name:>15}: {result.handled:>6} updates in {result.seconds:7.3f}s = "
        f"{result.rate:7.1f} updates/s   CPU {result.cpu_seconds:.2f}s "
        f"({per_update:.2f} ms/update), fake handlers {result.fake_seconds:.2f}s, latency"
        f" p50 {result.latency_ms(0.5):.1f} ms p90 {result.latency_ms(0.9):.1f} ms"
    )
    per_update_calls = result.api_calls_per_update()
    print(
        f"{'':17}{per_update_calls:.2f} Bot API calls/update besides getUpdates: {calls};"
        f" pydantic models built: {result.model_builds}"
    )
    for problem in result.problems:
        print(f"{'':17}PROBLEM: {problem}")


def cpu_per_update(result: Result) -> float:
    return 1000 * result.cpu_seconds / result.handled if result.handled else 0.0


def print_floor(none: Result, echoed: Result, ours: Result, echo: Result) -> None:
    """Where the target stands against what our stack costs before it sends anything, and
    when it answers exactly like the echo bot."""

    def of_echo(result: Result) -> float:
        return result.rate / echo.rate if echo.rate else 0.0

    sending = cpu_per_update(ours) - cpu_per_update(none)
    print(
        "\nour stack (aiogram dispatch, engine, SQLite transaction per update) with stand-in"
        " replies:"
        f"\n  computed and saved, nothing sent:        {none.rate:7.1f} updates/s ="
        f" {of_echo(none):.2f} of echo"
        f"\n  computed and saved, the echo bot's reply: {echoed.rate:7.1f} updates/s ="
        f" {of_echo(echoed):.2f} of echo"
        f"\n  CPU per update: echo {cpu_per_update(echo):.2f} ms in all; ours"
        f" {cpu_per_update(none):.2f} ms before its first Bot API call + {sending:.2f} ms"
        f" sending its replies ({ours.api_calls_per_update():.2f} calls)"
    )


def best(results: list[Result]) -> Result:
    return max(results, key=lambda r: (not r.problems, r.rate))


def ratio_line(label: str, top: Result, bottom: Result, target: float | None = None) -> str:
    ratio = top.rate / bottom.rate if bottom.rate else 0.0
    verdict = ""
    if target is not None:
        verdict = f"   target >= {target:.2f}: {'PASS' if ratio >= target else 'FAIL'}"
    return f"  {label:<34} {ratio:5.2f}{verdict}   ({top.rate:.1f} / {bottom.rate:.1f} updates/s)"


async def main_async(args: argparse.Namespace, errors: ErrorCounter) -> int:
    users, messages = args.users, args.messages
    if args.quick:
        users, messages = QUICK_USERS, QUICK_MESSAGES
    print(
        f"telegram bench: {users} users x {messages} messages = {users * messages} updates per "
        f"run, mode {args.mode}; Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    profiler = cProfile.Profile() if args.profile else None
    echoes: dict[str, list[Result]] = {lib: [] for lib in LIBRARIES}
    ourses: dict[str, list[Result]] = {lib: [] for lib in LIBRARIES}
    stand_ins: dict[str, list[Result]] = {"none": [], "echo": []}
    with tempfile.TemporaryDirectory(prefix="shuraka-tg-bench-") as tmp:
        texts = script(messages, await discover(Path(tmp)))
        print(f"  each user sends: {' | '.join(texts)}")
        for _ in range(args.repeat):
            for lib in LIBRARIES:
                # The echo bot first: it also warms up what both share (aiohttp, the models).
                echoes[lib].append(await run_echo(texts, users, args.mode, lib))
                prof = profiler if lib == args.profile_library else None
                ourses[lib].append(
                    await run_ours(texts, users, args.mode, Path(tmp), prof, library=lib)
                )
            if not args.no_floor:
                for kind, runs in stand_ins.items():
                    runs.append(await run_ours(texts, users, args.mode, Path(tmp), replies=kind))
    print()
    for lib in LIBRARIES:
        for ours_run, echo_run in zip(ourses[lib], echoes[lib], strict=True):
            print_result(ours_run)
            print_result(echo_run)
    for runs in stand_ins.values():
        for stand_in in runs:
            print_result(stand_in)
    ours = {lib: best(runs) for lib, runs in ourses.items()}
    echo = {lib: best(runs) for lib, runs in echoes.items()}
    if args.repeat > 1:
        print(f"\nbest of {args.repeat} each")
    print(
        "\nupdates/s: "
        + ", ".join(f"{r.name} {r.rate:.1f}" for r in (*ours.values(), *echo.values()))
    )
    print("ratios:")
    print(ratio_line("ours-on-PTB / PTB echo", ours["ptb"], echo["ptb"], TARGET_RATIO))
    print(
        ratio_line("ours-on-aiogram / aiogram echo", ours["aiogram"], echo["aiogram"], TARGET_RATIO)
    )
    print(ratio_line("PTB / aiogram, our stack", ours["ptb"], ours["aiogram"]))
    print(ratio_line("PTB / aiogram, echo bots", echo["ptb"], echo["aiogram"]))
    missed = any(ours[lib].rate < TARGET_RATIO * echo[lib].rate for lib in LIBRARIES)
    for lib in LIBRARIES:
        o, e = ours[lib], echo[lib]
        if o.seconds > o.fake_seconds and e.seconds > e.fake_seconds:
            net = (o.handled / (o.seconds - o.fake_seconds)) / (
                e.handled / (e.seconds - e.fake_seconds)
            )
            print(f"ours/echo on {lib} with the fake's handler time taken out of both: {net:.2f}")
    if stand_ins["none"]:
        print_floor(
            best(stand_ins["none"]), best(stand_ins["echo"]), ours["aiogram"], echo["aiogram"]
        )
    if profiler is not None:
        profiled = sum(r.handled for r in ourses[args.profile_library])  # every repeat
        print(profile_report(profiler, profiled))
    if errors.count:
        print(f"NOTE: {errors.count} error(s) were logged during the runs; first: {errors.first}")
    leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    if leftover:
        print(f"PROBLEM: {len(leftover)} tasks still pending: {leftover[:3]}")
    runs = [r for group in (*ourses.values(), *echoes.values(), *stand_ins.values()) for r in group]
    if any(r.problems for r in runs) or leftover:
        return 1
    if args.strict and missed:
        return 1
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.telegram_bench",
        description="Updates/s: fake Bot API + aiogram or PTB + engine + SQLite vs bare echo bots.",
    )
    parser.add_argument("--users", type=int, default=DEFAULT_USERS, help="users at once (200)")
    parser.add_argument("--messages", type=int, default=DEFAULT_MESSAGES, help="per user (10)")
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_USERS} users x {QUICK_MESSAGES} messages"
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="waves",
        help="waves: message k of all users once wave k-1 is answered (default); "
        "burst: all updates up front; closed: each user waits for the answer",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="run both N times, best rate counts (1)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--profile", action="store_true", help="cProfile our stack's run")
    parser.add_argument(
        "--profile-library",
        choices=LIBRARIES,
        default="aiogram",
        help="whose run of our stack --profile profiles (aiogram)",
    )
    parser.add_argument(
        "--no-floor",
        action="store_true",
        help="skip the stand-in runs (our stack sending nothing, or the echo bot's reply)",
    )
    args = parser.parse_args(argv)
    if min(args.users, args.messages, args.repeat) < 1:
        parser.error("--users, --messages and --repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    errors = ErrorCounter()
    logging.getLogger().addHandler(errors)
    warnings.simplefilter("default", ResourceWarning)
    return asyncio.run(main_async(args, errors))


if __name__ == "__main__":
    sys.exit(main())
