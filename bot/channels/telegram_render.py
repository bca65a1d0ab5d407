"""The one way an `Outbound` becomes Telegram Bot API calls, for direct replies
(`bot.channels.telegram`) and outbox notifications (`bot.channels.telegram_transport`) alike.

The rule for a file: the words that go with it — the attachment's own caption, or else the
message's text — are its caption when they fit Telegram's 1,024 caption units (UTF-16 units of
the text after HTML parsing, so an emoji counts two); otherwise they go first, as messages of
their own, and the file follows without a caption (cutting a caption would lose words and could
break its markup). When the attachment has its own caption, the message's text is a message of
its own before the file. Any text is split into messages of at most 4,096 units, each valid HTML
(bot.core.html_split). The keyboard goes on the message that carries the text's last part (the
file itself when the text is its caption); a map pin comes last.

The calls are built here as library-neutral `Call`s (a Bot API method and its JSON parameters)
and sent by the caller through whichever client library runs (aiogram or python-telegram-bot),
which keeps its own error rules (a reply retries and remembers its menus; the outbox maps errors
to delivery outcomes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.channels.telegram_client import Call, Upload
from bot.core.choice_ids import is_navigation
from bot.core.html_split import split_html, visible_len, visible_text
from bot.core.messages import Attachment, Choice, Outbound

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
SHORT_LABEL = 16  # labels up to this many characters go two to a row

HTML = "HTML"  # every text we send is HTML (bot.core.render escapes what people typed)
Markup = dict[str, Any]  # a Bot API reply_markup object
REMOVE_KEYBOARD: Markup = {"remove_keyboard": True}


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Messages of at most `limit` UTF-16 units as Telegram counts them (after HTML parsing),
    each valid HTML on its own (see bot.core.html_split)."""
    parts = split_html(text, limit)
    # Telegram refuses a message that is only white space; such a part carries nothing.
    kept = [part for part in parts if visible_text(part).strip()]
    return kept or parts[:1]


def fits_caption(text: str) -> bool:
    return visible_len(text) <= CAPTION_LIMIT


def _rows(buttons: list[Choice], per_row: int) -> list[list[Choice]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def inline_keyboard(choices: tuple[Choice, ...]) -> Markup:
    """Options first (two to a row when short, for Arabic labels read right to left), then the
    navigation row (back, cancel …)."""
    options = [c for c in choices if not is_navigation(c.id)]
    nav = [c for c in choices if is_navigation(c.id)]
    short = all(len(c.label) <= SHORT_LABEL for c in options)
    rows = _rows(options, 2 if short else 1) + _rows(nav, 2)
    return {
        "inline_keyboard": [[{"text": c.label, "callback_data": c.id} for c in row] for row in rows]
    }


def contact_keyboard(out: Outbound) -> Markup:
    """A contact request is a reply keyboard; the step's choices ride along as text buttons,
    which the engine matches by label."""
    share = {"text": out.hints.get("contact_label", "📱 Share my number"), "request_contact": True}
    rows = [[share], *[[{"text": c.label}] for c in out.choices]]
    return {"keyboard": rows, "resize_keyboard": True, "one_time_keyboard": True}


def call(method: str, **params: Any) -> Call:
    """A `Call` without the None values (left out, as both libraries leave them out)."""
    return Call(method, {key: value for key, value in params.items() if value is not None})


@dataclass(frozen=True)
class Rendered:
    """The calls in sending order; `main` is the index of the one carrying the keyboard (whose
    sent message a reply remembers as the chat's live menu)."""

    calls: tuple[Call, ...]
    main: int


def _has_words(text: str) -> bool:
    return bool(text) and bool(visible_text(text).strip())


def _file_call(
    chat_id: int | str,
    item: Attachment,
    caption: str | None,
    markup: Markup | None,
    extra: Mapping[str, Any],
) -> Call:
    # A file Telegram already holds (a family's product photo) goes by its id; bytes we made
    # (an export) are uploaded.
    upload: str | Upload = item.file_id if item.file_id else Upload(item.data, item.filename)
    field = "photo" if item.kind == "photo" else "document"
    return call(
        "sendPhoto" if item.kind == "photo" else "sendDocument",
        chat_id=chat_id,
        **{field: upload},
        caption=caption,
        parse_mode=HTML if caption else None,
        reply_markup=markup,
        **extra,
    )


def render(
    chat_id: int | str,
    out: Outbound,
    markup: Markup | None = None,
    *,
    extra: Mapping[str, Any] | None = None,
) -> Rendered:
    """The calls that show `out` in a chat (the rule is in the module's doc). `markup`: the
    keyboard of the main message, by default the inline keyboard of `out.choices`; `extra`:
    parameters every send takes (e.g. allow_paid_broadcast)."""
    if markup is None and out.choices:
        markup = inline_keyboard(out.choices)
    extra = dict(extra or {})
    calls: list[Call] = []
    main = -1

    def texts(text: str, keyboard: Markup | None) -> int:
        chunks = split_text(text)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            calls.append(
                call(
                    "sendMessage",
                    chat_id=chat_id,
                    text=chunk,
                    parse_mode=HTML,
                    reply_markup=keyboard if last else None,
                    **extra,
                )
            )
        return len(calls) - 1

    item = out.attachment
    if item is None:
        main = texts(out.text, markup)
    else:
        own = bool(item.caption)
        words = item.caption if own else out.text
        if own and _has_words(out.text):
            main = texts(out.text, markup)
        caption: str | None = None
        if _has_words(words):
            if fits_caption(words):
                caption = words
            else:
                last = texts(words, None if main >= 0 else markup)
                main = main if main >= 0 else last
        file_markup = None if main >= 0 else markup
        calls.append(_file_call(chat_id, item, caption, file_markup, extra))
        main = main if main >= 0 else len(calls) - 1
    if out.location is not None:
        calls.append(
            call(
                "sendLocation",
                chat_id=chat_id,
                latitude=out.location.latitude,
                longitude=out.location.longitude,
                **extra,
            )
        )
    return Rendered(calls=tuple(calls), main=main)
