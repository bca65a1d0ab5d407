"""One reply's Bot API calls through aiogram: the raw path against aiogram's model path.

    python -m bench.telegram_client_bench                 # 300 replies x 5 rounds
    python -m bench.telegram_client_bench --replies 1000 --rounds 3

A reply as the chat sends one after a typed answer: the old menu's keyboard removed
(editMessageReplyMarkup), then an Arabic text with an inline keyboard (sendMessage), against
the fake Bot API on 127.0.0.1 in the same process (its handlers' time is in both figures).
`AiogramClient` on the raw path (the default) and with raw=False (aiogram's method models
and `Response[...]` validation), alternately, the best round of each counts; printed: every
round's CPU per reply and wall time, and raw / model.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from bot.channels.telegram import AiogramClient, create_bot
from bot.channels.telegram_render import call, inline_keyboard
from bot.core.messages import Choice
from fakes.telegram_api import FakeTelegramServer

CHAT = 9001
TEXT = "مرحبا بك في <b>طيف</b>.\n" * 12 + "اختر من القائمة:"
KEYBOARD = inline_keyboard(tuple(Choice(f"menu:{n}", f"الخيار رقم {n}") for n in range(1, 9)))


async def replies(client: AiogramClient, count: int) -> tuple[float, float]:
    """`count` replies one after another; (CPU ms per reply, wall seconds)."""
    menu = await client.call(call("sendMessage", chat_id=CHAT, text=TEXT, reply_markup=KEYBOARD))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(count):
        await client.call(call("editMessageReplyMarkup", chat_id=CHAT, message_id=menu))
        menu = await client.call(
            call("sendMessage", chat_id=CHAT, text=TEXT, parse_mode="HTML", reply_markup=KEYBOARD)
        )
    return 1000 * (time.process_time() - cpu0) / count, time.perf_counter() - wall0


async def main_async(count: int, rounds: int) -> int:
    best: dict[str, float] = {}
    async with FakeTelegramServer() as fake:
        fake.known_chat(CHAT)
        clients = {
            "raw": AiogramClient(create_bot(fake.token, fake.base_url)),
            "model": AiogramClient(create_bot(fake.token, fake.base_url), raw=False),
        }
        try:
            for number in range(1, rounds + 1):
                for name, client in clients.items():
                    cpu, wall = await replies(client, count)
                    best[name] = min(best.get(name, cpu), cpu)
                    print(
                        f"round {number} {name:>5}: {count} replies, {cpu:.3f} ms CPU/reply,"
                        f" {wall:.2f}s wall"
                    )
        finally:
            for client in clients.values():
                await client.close()
        failed = [c for c in fake.sent if not c.ok]
    print(
        f"best of {rounds}: raw {best['raw']:.3f} ms, model {best['model']:.3f} ms CPU/reply;"
        f" raw / model = {best['raw'] / best['model']:.2f}"
    )
    if failed:
        print(f"PROBLEM: {len(failed)} failed calls, first: {failed[0].description}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.telegram_client_bench")
    parser.add_argument("--replies", type=int, default=300, help="replies per round (300)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each path (5)")
    args = parser.parse_args(argv)
    return asyncio.run(main_async(args.replies, args.rounds))


if __name__ == "__main__":
    sys.exit(main())
