"""A fake Telegram Bot API server for tests.

The real aiogram ``Bot`` talks to it over HTTP on 127.0.0.1::

    async with FakeTelegramServer(token="123456:TEST") as fake:
        session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
        bot = Bot("123456:TEST", session=session)
        fake.user_text(42, "hello")              # the user writes to the bot
        await bot.send_message(42, "<b>hi</b>", parse_mode="HTML")
        [message] = await fake.wait_for_message(42)
        assert message["text"] == "hi"           # stored as Telegram renders it

Behaviour follows the Bot API where it matters for a bot's own code: the
``{"ok": ..., "result"|"error_code"/"description"/"parameters"}`` envelope with the
HTTP status equal to ``error_code``, getUpdates offset/long-poll semantics, HTML
parse-mode errors, 4096 UTF-16 units per text, 1-64 byte callback_data, callback
answers, "message is not modified", unknown chats and blocked users.  A 429 lasts: after
``retry_after=N`` the same scope (one chat, or the whole bot for a fault without a chat) keeps
getting 429 until N seconds of the fake's ``clock`` have passed (``time.monotonic`` unless a
test passes the clock its sender uses), so a client that ignores ``retry_after`` is refused
again, as by Telegram.  Markdown parse
modes are not parsed (the text is stored as sent).  Deliberate deviation, on by default:
``strict_ampersand`` rejects a bare ``&`` in HTML, which real Telegram passes through
unchanged (tdlib ``parse_html``); pass ``strict_ampersand=False`` for the real behaviour.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import math
import mimetypes
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

import aiohttp
from aiohttp import web

JSON = dict[str, Any]
T = TypeVar("T")
Handler = Callable[[JSON], Awaitable[Any]]

log = logging.getLogger(__name__)

MAX_TEXT_UTF16 = 4096
MAX_CAPTION_UTF16 = 1024
MAX_CALLBACK_DATA_BYTES = 64
GETUPDATES_MAX_LIMIT = 100

CALLBACK_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
# Update types delivered when allowed_updates was never set (or set to []).
NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
# Form fields that are always text, never JSON (a text of "123" must stay a string).
STRING_FIELDS = frozenset(
    {
        "text", "caption", "callback_query_id", "data", "secret_token", "url", "parse_mode",
        "action", "inline_message_id", "language_code", "description", "short_description",
        "name", "title", "emoji", "phone_number", "first_name", "last_name", "username",
        "query", "ip_address", "business_connection_id", "message_effect_id", "file_id",
    }
)  # fmt: skip
COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


class TelegramError(Exception):
    """An error answer, turned into ``{"ok": false, ...}`` with HTTP status = error_code."""

    def __init__(self, error_code: int, description: str, parameters: JSON | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    @classmethod
    def bad_request(cls, detail: str) -> TelegramError:
        return cls(400, f"Bad Request: {detail}")

    @classmethod
    def retry_after(cls, seconds: int) -> TelegramError:
        return cls(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class RecordedCall:
    """One Bot API request as the fake received it (``time`` is the fake's ``clock()``)."""

    method: str
    params: JSON
    time: float
    status: int = 200  # HTTP status answered; 0 when the connection was dropped
    description: str | None = None  # error description when status != 200
    content_type: str = ""  # of the request body ("" without one)

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class UploadedFile:
    """A file part of a multipart request, as it appears in ``RecordedCall.params``."""

    file_name: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass
class StoredFile:
    """A file known to the fake (sent by the bot or by a fake user); served by getFile."""

    file_id: str
    file_unique_id: str
    file_name: str
    content: bytes
    mime_type: str
    file_path: str

    def as_document(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
        }

    def as_photo(self) -> list[JSON]:
        size = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        return [{**size, "width": 320, "height": 320, "file_size": len(self.content)}]

    def as_file(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }


@dataclass
class _Chat:
    info: JSON
    blocked: bool = False
    next_message_id: int = 1
    messages: dict[int, JSON] = field(default_factory=dict)  # the bot's live messages
    user_message_ids: set[int] = field(default_factory=set)
    reply_keyboard: JSON | None = None  # last ReplyKeyboardMarkup shown to the user

    @property
    def is_group(self) -> bool:
        return bool(self.info["type"] != "private")

    def allocate_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class _Fault:
    method: str  # lower-case method name, or "*" for any method
    error: TelegramError | None  # None = drop the connection
    remaining: int
    chat_id: int | None = None

    def matches(self, method: str, params: JSON) -> bool:
        if self.method not in ("*", method.lower()):
            return False
        return self.chat_id is None or _maybe_int(params.get("chat_id")) == self.chat_id


@dataclass
class _Penalty:
    """A 429's retry_after still running: `method` ("*" = any) to `chat_id` (None = any)."""

    method: str
    chat_id: int | None
    until: float

    def matches(self, method: str, params: JSON) -> bool:
        if self.method not in ("*", method.lower()):
            return False
        return self.chat_id is None or _maybe_int(params.get("chat_id")) == self.chat_id


@dataclass
class _Limits:
    global_per_sec: int
    per_chat_per_sec: int
    per_group_per_min: int
    chats: frozenset[int] | None = None  # None: every chat counts
    sent: deque[float] = field(default_factory=deque)
    per_chat: dict[int, deque[float]] = field(default_factory=dict)


class FakeTelegramServer:
    """In-process fake of the Telegram Bot API (see the module docstring)."""

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        username: str = "shuraka_test_bot",
        first_name: str = "Shuraka",
        strict_ampersand: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.clock = clock  # seconds; retry_after and the emulated limits run on it
        self.strict_ampersand = strict_ampersand
        self.bot_user: JSON = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self.sent: list[RecordedCall] = []
        self.files: dict[str, StoredFile] = {}
        self.uploads: list[StoredFile] = []  # files the bot uploaded, in order
        self.webhook: JSON | None = None  # setWebhook parameters while a webhook is set
        self.my_commands: dict[tuple[str, str], list[JSON]] = {}  # (scope JSON, lang) -> list
        self.pending_callbacks: set[str] = set()  # callback query ids not answered yet
        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, JSON] = {}
        self._updates: list[JSON] = []  # queued for getUpdates, ascending update_id
        self._history: dict[int, JSON] = {}  # every update ever generated, by id
        self._allowed_updates: list[str] = []
        self._next_update_id = 10_001
        self._file_numbers = itertools.count(1)
        self._callback_numbers = itertools.count(1)
        self._faults: list[_Fault] = []
        self._holds: list[_Fault] = []
        self._released = asyncio.Event()
        self._penalties: list[_Penalty] = []
        self._limits: _Limits | None = None
        self._poll_generation = 0
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in self._api_methods().items()
        }

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> FakeTelegramServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._closing = False
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Wake pending long polls and shut the server down."""
        self._closing = True
        self._notify()
        self._released.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, for ``TelegramAPIServer.from_base``."""
        if self._port is None:
            raise RuntimeError("FakeTelegramServer is not started")
        return f"http://127.0.0.1:{self._port}"

    # ------------------------------------------------------------------ inspection

    def calls(self, method: str) -> list[RecordedCall]:
        """Recorded calls of one method (case-insensitive), failed ones included."""
        return [call for call in self.sent if call.method.lower() == method.lower()]

    def messages_to(self, chat_id: int) -> list[JSON]:
        """The bot's live messages in a chat, as Message JSON (after edits and deletes)."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [json.loads(json.dumps(chat.messages[key])) for key in sorted(chat.messages)]

    def reply_keyboard(self, chat_id: int) -> JSON | None:
        """The ReplyKeyboardMarkup the user currently sees (None after remove_keyboard)."""
        chat = self._chats.get(chat_id)
        return chat.reply_keyboard if chat else None

    def update(self, update_id: int) -> JSON:
        """Any update the fake generated, even after getUpdates confirmed it."""
        return self._history[update_id]

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Wait until ``predicate()`` is truthy (re-checked after every API call)."""
        result = await self._wait_until(predicate, timeout)
        if not result:
            recent = [(c.method, c.status, c.params) for c in self.sent[-5:]]
            raise TimeoutError(f"condition not met within {timeout}s; last calls: {recent}")
        return result

    async def wait_for_message(
        self, chat_id: int, count: int = 1, timeout: float = 5.0
    ) -> list[JSON]:
        """Wait until the chat holds at least ``count`` live bot messages; return them."""

        def enough() -> list[JSON]:
            messages = self.messages_to(chat_id)
            return messages if len(messages) >= count else []

        return await self.wait_for(enough, timeout)

    # ------------------------------------------------------------------ scripting

    def known_chat(self, chat_id: int, *, first_name: str = "User", title: str = "Group") -> None:
        """Let the bot write to ``chat_id`` without the user writing first."""
        if chat_id not in self._chats:
            info: JSON = (
                {"id": chat_id, "type": "private", "first_name": first_name}
                if chat_id > 0
                else {"id": chat_id, "type": "group", "title": title}
            )
            self._chats[chat_id] = _Chat(info=info)

    def block(self, chat_id: int) -> None:
        """Every request to this chat answers 403 (user blocked the bot / bot kicked)."""
        self.known_chat(chat_id)
        self._chats[chat_id].blocked = True

    def unblock(self, chat_id: int) -> None:
        if chat_id in self._chats:
            self._chats[chat_id].blocked = False

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int = 1,
        times: int = 1,
        chat_id: int | None = None,
        description: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` ("*" = any) with an error.

        A 429 also refuses the same scope (``chat_id``, or every chat when None) until
        ``retry_after`` seconds of ``clock`` have passed; those refusals do not use up ``times``.
        """
        if error_code == 429:
            error = TelegramError.retry_after(retry_after)
        else:
            error = TelegramError(error_code, DEFAULT_DESCRIPTIONS.get(error_code, "Error"))
        if description:
            error.description = description
        self._faults.append(_Fault(method.lower(), error, times, chat_id))

    def drop_connection_next(self, method: str, times: int = 1) -> None:
        """Close the connection without answering the next call(s) of ``method``."""
        self._faults.append(_Fault(method.lower(), None, times))

    def hold_next(self, method: str, chat_id: int | None = None, times: int = 1) -> None:
        """Take the next call(s) of ``method`` and never answer them: the caller waits until it
        gives up or dies (a worker killed while its send is on the wire). A held call is not
        carried out (status 0, like a dropped one): Telegram never got it."""
        self._holds.append(_Fault(method.lower(), None, times, chat_id))

    def emulate_limits(
        self,
        global_per_sec: int = 30,
        per_chat_per_sec: int = 1,
        per_group_per_min: int = 20,
        *,
        enabled: bool = True,
        chats: Iterable[int] | None = None,
    ) -> None:
        """Answer 429 when send* calls exceed sliding-window limits (off by default).
        `chats`: only sends to these count and are limited (a broadcast's recipients, while
        replies to other chats go unlimited beside it)."""
        only = frozenset(chats) if chats is not None else None
        limits = _Limits(global_per_sec, per_chat_per_sec, per_group_per_min, only)
        self._limits = limits if enabled else None

    # ------------------------------------------------------------------ user activity

    def push_update(self, update: JSON) -> int:
        """Queue a raw Update for getUpdates; ``update_id`` is assigned when missing."""
        update_id = int(update.get("update_id", self._next_update_id))
        self._next_update_id = max(self._next_update_id, update_id + 1)
        update = {**update, "update_id": update_id}
        self._learn_chats(update)
        self._history[update_id] = update
        if self._is_allowed(update):
            self._updates.append(update)
            self._updates.sort(key=lambda item: item["update_id"])
            self._notify()
        return update_id

    def user_text(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "User",
        language_code: str | None = "ar",
        username: str | None = None,
    ) -> int:
        user = self._remember_user(user_id, first_name, language_code, username)
        return self._push_message(self._private_chat(user), user, {"text": text})

    def user_command(
        self,
        user_id: int,
        command: str,
        args: str = "",
        *,
        first_name: str = "User",
        language_code: str | None = "ar",
    ) -> int:
        """``/command args`` with the bot_command entity Telegram adds."""
        command = command if command.startswith("/") else f"/{command}"
        text = f"{command} {args}" if args else command
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
        user = self._remember_user(user_id, first_name, language_code, None)
        content = {"text": text, "entities": [entity]}
        return self._push_message(self._private_chat(user), user, content)

    def user_contact(self, user_id: int, phone: str, contact_user_id: int | None = None) -> int:
        """The user shares a contact (their own when ``contact_user_id == user_id``)."""
        user = self._user(user_id)
        contact: JSON = {"phone_number": phone, "first_name": user["first_name"]}
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        return self._push_message(self._private_chat(user), user, {"contact": contact})

    def user_location(self, user_id: int, lat: float, lon: float) -> int:
        user = self._user(user_id)
        location = {"latitude": lat, "longitude": lon}
        return self._push_message(self._private_chat(user), user, {"location": location})

    def user_document(
        self,
        user_id: int,
        file_name: str,
        content: bytes = b"fake document",
        *,
        caption: str | None = None,
    ) -> int:
        user = self._user(user_id)
        stored = self._store_file("document", file_name, content)
        message = _without_none({"document": stored.as_document(), "caption": caption})
        return self._push_message(self._private_chat(user), user, message)

    def user_photo(
        self, user_id: int, content: bytes = b"fake jpeg", *, caption: str | None = None
    ) -> int:
        user = self._user(user_id)
        stored = self._store_file("photo", "photo.jpg", content)
        message = _without_none({"photo": stored.as_photo(), "caption": caption})
        return self._push_message(self._private_chat(user), user, message)

    def user_voice(self, user_id: int, *, audio: bool = False, duration: int = 3) -> int:
        """A voice note (or, with `audio`, an audio file) recorded by the user."""
        user = self._user(user_id)
        stored = self._store_file("voice", "voice.ogg", b"fake ogg")
        media = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if audio:
            content: JSON = {"audio": {**media, "duration": duration}}
        else:
            content = {"voice": {**media, "duration": duration, "mime_type": "audio/ogg"}}
        return self._push_message(self._private_chat(user), user, content)

    def user_callback(
        self, user_id: int, data: str, message_id: int, *, chat_id: int | None = None
    ) -> int:
        """The user taps an inline button under the bot's message ``message_id``."""
        chat_id = user_id if chat_id is None else chat_id
        chat = self._chats.get(chat_id)
        if chat is None or message_id not in chat.messages:
            raise LookupError(f"the bot has no live message {message_id} in chat {chat_id}")
        query_id = str(4_000_000_000_000_000_000 + next(self._callback_numbers))
        self.pending_callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": self._user(user_id),
            "message": json.loads(json.dumps(chat.messages[message_id])),
            "chat_instance": str(-7_000_000_000 - chat_id),
            "data": data,
        }
        return self.push_update({"callback_query": query})

    def group_text(self, chat_id: int, user_id: int, text: str, *, title: str = "Group") -> int:
        user = self._user(user_id)
        chat = {"id": chat_id, "type": "group", "title": title}
        return self._push_message(chat, user, {"text": text})

    def user_undecodable(self, user_id: int, text: str, *, drop: str = "chat") -> int:
        """A private text message without the required field ``drop`` (a shape that a client
        library cannot decode, as when the Bot API adds something it does not know)."""
        user = self._user(user_id)
        update_id = self._push_message(self._private_chat(user), user, {"text": text})
        message = self._history[update_id]["message"]
        if drop not in message:
            raise KeyError(drop)
        del message[drop]  # the queued update is the same dict
        return update_id

    async def post_webhook(self, url: str, update: JSON | int, secret: str | None = None) -> int:
        """POST an Update (or the id of a generated one) to a webhook; return HTTP status.

        Like Telegram, a method returned in the webhook response body is executed.
        """
        body = self.update(update) if isinstance(update, int) else update
        # None: no header at all; "" sends an empty one.
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json=body, headers=headers) as response,
        ):
            if response.status == 200:
                await self._run_webhook_reply(response)
            return response.status

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        requested = request.match_info["method"]
        name, handler = self._methods.get(requested.lower(), (requested, None))
        try:
            params = await _read_params(request)
        except ValueError:
            params = {}
        content_type = request.content_type if request.body_exists else ""
        call = RecordedCall(name, params, self.clock(), content_type=content_type)
        self.sent.append(call)
        if self._take_fault(name, params, only_drops=True):
            call.status = 0
            self._notify()
            assert request.transport is not None
            request.transport.close()
            raise web.HTTPException()  # nothing is written: the connection is gone
        if hold := next((h for h in self._holds if h.matches(name, params)), None):
            hold.remaining -= 1
            if hold.remaining <= 0:
                self._holds.remove(hold)
            call.status = 0
            self._notify()
            await self._released.wait()  # the server stopping: the caller is long gone
            raise web.HTTPException()
        try:
            result = await self._execute(request.match_info["token"], handler, name, params)
        except TelegramError as error:
            call.status, call.description = error.error_code, error.description
            self._notify()
            return web.json_response(error.body(), status=error.error_code)
        self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _execute(self, token: str, handler: Handler | None, name: str, params: JSON) -> Any:
        if token != self.token:
            raise TelegramError(401, "Unauthorized")
        if handler is None:
            raise TelegramError(404, "Not Found")
        self._check_penalties(name, params)
        fault = self._take_fault(name, params, only_drops=False)
        if fault is not None and fault.error is not None:
            retry_after = (fault.error.parameters or {}).get("retry_after")
            if retry_after:
                until = self.clock() + retry_after
                self._penalties.append(_Penalty(fault.method, fault.chat_id, until))
            raise fault.error
        self._check_limits(name, params)
        try:
            return await handler(params)
        except TelegramError:
            raise
        except Exception:  # a bug in the fake: make it loud, not a silent hang
            log.exception("fake Telegram server failed on %s %r", name, params)
            raise TelegramError(500, "Internal Server Error: fake server bug") from None

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(TelegramError(401, "Unauthorized").body(), status=401)
        for stored in self.files.values():
            if stored.file_path == request.match_info["path"]:
                return web.Response(body=stored.content, content_type=stored.mime_type)
        return web.json_response(TelegramError(404, "Not Found").body(), status=404)

    async def _run_webhook_reply(self, response: aiohttp.ClientResponse) -> None:
        params: JSON = {}
        if response.content_type == "multipart/form-data":
            reader = aiohttp.MultipartReader(response.headers, response.content)
            fields: dict[str, str] = {}
            uploads: dict[str, UploadedFile] = {}
            while (part := await reader.next()) is not None:
                assert isinstance(part, aiohttp.BodyPartReader) and part.name
                if part.filename:
                    uploads[part.name] = UploadedFile(part.filename, await part.read())
                else:
                    fields[part.name] = await part.text()
            params = _decode_form(fields, uploads)
        elif response.content_type == "application/json":
            body = await response.json()
            params = body if isinstance(body, dict) else {}
        method = params.pop("method", None)
        if not isinstance(method, str):
            return
        name, handler = self._methods.get(method.lower(), (method, None))
        call = RecordedCall(name, params, self.clock())
        self.sent.append(call)
        try:
            await self._execute(self.token, handler, name, params)
        except TelegramError as error:  # Telegram reports nothing back for webhook replies
            call.status, call.description = error.error_code, error.description
        self._notify()

    def _take_fault(self, method: str, params: JSON, *, only_drops: bool) -> _Fault | None:
        for fault in self._faults:
            if (fault.error is None) == only_drops and fault.matches(method, params):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _check_penalties(self, method: str, params: JSON) -> None:
        now = self.clock()
        self._penalties = [p for p in self._penalties if p.until > now]
        for penalty in self._penalties:
            if penalty.matches(method, params):
                raise TelegramError.retry_after(max(1, math.ceil(penalty.until - now)))

    def _check_limits(self, method: str, params: JSON) -> None:
        limits = self._limits
        is_send = method.startswith("send") and method != "sendChatAction"
        if limits is None or not (is_send or method in ("copyMessage", "forwardMessage")):
            return
        now = self.clock()
        chat_id = _maybe_int(params.get("chat_id"))
        if limits.chats is not None and chat_id not in limits.chats:
            return
        chat_window = limits.per_chat.setdefault(chat_id or 0, deque())
        is_group = chat_id is not None and chat_id < 0
        windows = [
            (limits.sent, 1.0, limits.global_per_sec),
            (chat_window, 60.0, limits.per_group_per_min)
            if is_group
            else (chat_window, 1.0, limits.per_chat_per_sec),
        ]
        for window, span, limit in windows:
            while window and window[0] <= now - span:
                window.popleft()
            if len(window) >= limit:
                raise TelegramError.retry_after(max(1, math.ceil(window[0] + span - now)))
        for window, _, _ in windows:
            window.append(now)

    def _notify(self) -> None:
        """Wake everything waiting in ``_wait_until``; each re-checks its condition."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_until(self, predicate: Callable[[], T], timeout: float) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (result := predicate()):
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return result

    # ------------------------------------------------------------------ API methods

    def _api_methods(self) -> dict[str, Handler]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendLocation": self._send_location,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
            "close": self._return_true,
            "logOut": self._return_true,
        }

    async def _get_me(self, params: JSON) -> JSON:
        return {**self.bot_user, "can_join_groups": True, "supports_inline_queries": False}

    async def _return_true(self, params: JSON) -> bool:
        return True

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook is not None:
            raise TelegramError(409, WEBHOOK_CONFLICT)
        self._confirm_updates(_int_param(params, "offset", 0))
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"] or [])
        limit = _int_param(params, "limit", GETUPDATES_MAX_LIMIT)
        limit = min(max(limit, 1), GETUPDATES_MAX_LIMIT)
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll still waiting is now terminated

        def done() -> bool:
            return self._closing or generation != self._poll_generation or bool(self._updates)

        await self._wait_until(done, _int_param(params, "timeout", 0))
        if generation != self._poll_generation:
            raise TelegramError(409, POLL_CONFLICT)
        return self._updates[:limit]

    def _confirm_updates(self, offset: int) -> None:
        if offset < 0:  # "updates starting from -offset update from the end of the queue"
            del self._updates[:offset]
        elif offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    async def _set_webhook(self, params: JSON) -> bool:
        if not params.get("url"):
            return await self._delete_webhook(params)
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = dict(params)
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"] or [])
        return True

    async def _delete_webhook(self, params: JSON) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        return True

    async def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook:
            info["max_connections"] = _int_param(self.webhook, "max_connections", 40)
            if self._allowed_updates:
                info["allowed_updates"] = self._allowed_updates
        return info

    async def _send_message(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        text, entities = self._formatted(params, "text", params.get("entities"))
        markup = self._reply_markup(chat, params)
        content = {"text": text, "entities": entities, "reply_markup": markup}
        return self._store_bot_message(chat, content)

    async def _edit_message_text(self, params: JSON) -> JSON:
        chat, message = self._message_to_edit(params)
        if "text" not in message:
            raise TelegramError.bad_request("there is no text in the message to edit")
        text, entities = self._formatted(params, "text", params.get("entities"))
        markup = self._reply_markup(chat, params)
        new = {"text": text, "entities": entities, "reply_markup": markup}
        return self._apply_edit(message, new)

    async def _edit_message_reply_markup(self, params: JSON) -> JSON:
        chat, message = self._message_to_edit(params)
        return self._apply_edit(message, {"reply_markup": self._reply_markup(chat, params)})

    async def _delete_message(self, params: JSON) -> bool:
        chat = self._target_chat(params)
        message_id = _int_param(params, "message_id", 0)
        if chat.messages.pop(message_id, None) is None:
            if message_id not in chat.user_message_ids:
                raise TelegramError.bad_request("message to delete not found")
            chat.user_message_ids.discard(message_id)
        return True

    async def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self.pending_callbacks:
            raise TelegramError.bad_request(CALLBACK_TOO_OLD)
        self.pending_callbacks.discard(query_id)
        return True

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise TelegramError.bad_request('parameter "commands" is required')
        for command in commands:
            if not COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise TelegramError.bad_request("BOT_COMMAND_INVALID")
        self.my_commands[_commands_key(params)] = commands
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self.my_commands.get(_commands_key(params), [])

    async def _delete_my_commands(self, params: JSON) -> bool:
        self.my_commands.pop(_commands_key(params), None)
        return True

    async def _send_document(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        stored = self._input_file(params, "document")
        return self._store_media(chat, params, {"document": stored.as_document()})

    async def _send_photo(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        stored = self._input_file(params, "photo")
        return self._store_media(chat, params, {"photo": stored.as_photo()})

    async def _send_location(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        try:
            latitude = float(params["latitude"])
            longitude = float(params["longitude"])
        except (KeyError, TypeError, ValueError):
            raise TelegramError.bad_request("wrong latitude or longitude") from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise TelegramError.bad_request("wrong latitude or longitude")
        location = {"latitude": latitude, "longitude": longitude}
        return self._store_bot_message(chat, {"location": location})

    async def _send_chat_action(self, params: JSON) -> bool:
        self._target_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise TelegramError.bad_request("wrong parameter action in request")
        return True

    async def _get_file(self, params: JSON) -> JSON:
        stored = self.files.get(str(params.get("file_id", "")))
        if stored is None:
            raise TelegramError.bad_request("invalid file_id")
        return stored.as_file()

    # ------------------------------------------------------------------ method helpers

    def _target_chat(self, params: JSON) -> _Chat:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise TelegramError.bad_request("chat_id is empty")
        chat = self._chats.get(_maybe_int(chat_id) or 0)
        if chat is None:
            raise TelegramError.bad_request("chat not found")
        if chat.blocked:
            reason = "bot was kicked from the group chat" if chat.is_group else None
            raise TelegramError(403, f"Forbidden: {reason or 'bot was blocked by the user'}")
        return chat

    def _formatted(
        self, params: JSON, name: str, entities: Any, *, limit: int = MAX_TEXT_UTF16
    ) -> tuple[str, list[JSON] | None]:
        """Text after parse_mode, with its entities; Telegram's length/emptiness errors."""
        raw = params.get(name)
        if raw is None or not str(raw).strip():
            raise TelegramError.bad_request("message text is empty")
        text = str(raw)
        if params.get("parse_mode") in ("HTML", "html"):
            text, entities = parse_html(text, strict_ampersand=self.strict_ampersand)
        if not text.strip():
            raise TelegramError.bad_request("message text is empty")
        if utf16_len(text) > limit:
            what = "message is too long" if name == "text" else "message caption is too long"
            raise TelegramError.bad_request(what)
        return text, entities or None

    def _reply_markup(self, chat: _Chat, params: JSON) -> JSON | None:
        """Validate reply_markup; return it when inline (only those appear in a Message)."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise TelegramError.bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            if "keyboard" in markup:
                chat.reply_keyboard = markup
            elif markup.get("remove_keyboard"):
                chat.reply_keyboard = None
            return None
        for row in markup["inline_keyboard"]:
            for button in row:
                data = button.get("callback_data")
                size = len(str(data).encode())
                if data is not None and not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise TelegramError.bad_request("BUTTON_DATA_INVALID")
        return markup

    def _store_bot_message(self, chat: _Chat, content: JSON) -> JSON:
        message = {
            "message_id": chat.allocate_message_id(),
            "from": self.bot_user,
            "chat": chat.info,
            "date": int(time.time()),
            **_without_none(content),
        }
        chat.messages[message["message_id"]] = message
        return message

    def _store_media(self, chat: _Chat, params: JSON, media: JSON) -> JSON:
        caption: str | None = None
        entities = params.get("caption_entities")
        if params.get("caption"):
            caption, entities = self._formatted(
                params, "caption", entities, limit=MAX_CAPTION_UTF16
            )
        markup = self._reply_markup(chat, params)
        content = {**media, "caption": caption, "caption_entities": entities}
        return self._store_bot_message(chat, {**content, "reply_markup": markup})

    def _message_to_edit(self, params: JSON) -> tuple[_Chat, JSON]:
        if params.get("inline_message_id"):
            raise TelegramError.bad_request("MESSAGE_ID_INVALID")
        chat = self._target_chat(params)
        message_id = _int_param(params, "message_id", 0)
        message = chat.messages.get(message_id)
        if message is None:
            if message_id in chat.user_message_ids:
                raise TelegramError.bad_request("message can't be edited")
            raise TelegramError.bad_request("message to edit not found")
        return chat, message

    def _apply_edit(self, message: JSON, new: JSON) -> JSON:
        if all(message.get(key) == value for key, value in new.items()):
            raise TelegramError.bad_request(NOT_MODIFIED)
        for key, value in new.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = int(time.time())
        return message

    def _input_file(self, params: JSON, name: str) -> StoredFile:
        value = params.get(name)
        if isinstance(value, UploadedFile):
            stored = self._store_file(name, value.file_name, value.content)
            self.uploads.append(stored)
            return stored
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return self._store_file(name, value.rsplit("/", 1)[-1] or "file", b"")
        if value is None:
            raise TelegramError.bad_request(f"there is no {name} in the request")
        raise TelegramError.bad_request("wrong file identifier/HTTP URL specified")

    def _store_file(self, kind: str, file_name: str, content: bytes) -> StoredFile:
        number = next(self._file_numbers)
        mime_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        suffix = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = StoredFile(
            file_id=f"FAKE-{kind}-{number}",
            file_unique_id=f"U{number}",
            file_name=file_name,
            content=content,
            mime_type=mime_type,
            file_path=f"{kind}s/file_{number}.{suffix}",
        )
        self.files[stored.file_id] = stored
        return stored

    # ------------------------------------------------------------------ update helpers

    def _remember_user(
        self, user_id: int, first_name: str, language_code: str | None, username: str | None
    ) -> JSON:
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        user.update(_without_none({"language_code": language_code, "username": username}))
        self._users[user_id] = user
        return user

    def _user(self, user_id: int) -> JSON:
        return self._users.get(user_id) or self._remember_user(user_id, "User", "ar", None)

    def _private_chat(self, user: JSON) -> JSON:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        return _without_none({**chat, "username": user.get("username")})

    def _push_message(self, chat_info: JSON, user: JSON, content: JSON) -> int:
        self._learn_chat(chat_info)
        chat = self._chats[chat_info["id"]]
        message_id = chat.allocate_message_id()
        chat.user_message_ids.add(message_id)
        message = {
            "message_id": message_id,
            "from": user,
            "chat": chat_info,
            "date": int(time.time()),
            **content,
        }
        return self.push_update({"message": message})

    def _learn_chats(self, update: JSON) -> None:
        for kind in ("message", "edited_message", "channel_post", "my_chat_member"):
            if isinstance(update.get(kind), dict) and "chat" in update[kind]:
                self._learn_chat(update[kind]["chat"])

    def _learn_chat(self, chat_info: JSON) -> None:
        chat = self._chats.setdefault(chat_info["id"], _Chat(info=chat_info))
        chat.info = chat_info

    def _is_allowed(self, update: JSON) -> bool:
        kinds = [key for key in update if key != "update_id"]
        kind = kinds[0] if kinds else ""
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in NOT_DELIVERED_BY_DEFAULT


# ---------------------------------------------------------------------- request parsing


async def _read_params(request: web.Request) -> JSON:
    """Query string + JSON, urlencoded or multipart body, decoded like the Bot API does."""
    fields: dict[str, str] = dict(request.query)
    if not request.body_exists:
        return _decode_form(fields, {})
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError as error:
            raise ValueError("bad JSON body") from error
        if not isinstance(body, dict):
            raise ValueError("JSON body is not an object")
        nested = {k: v for k, v in body.items() if isinstance(v, str) and v[:1] in ("{", "[")}
        return {**_decode_form(fields, {}), **body, **_decode_form(nested, {})}
    uploads: dict[str, UploadedFile] = {}
    for key, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            uploads[key] = UploadedFile(value.filename, value.file.read(), value.content_type)
        else:
            fields[key] = value if isinstance(value, str) else bytes(value).decode()
    return _decode_form(fields, uploads)


def _decode_form(fields: Mapping[str, str], uploads: dict[str, UploadedFile]) -> JSON:
    """Form values are strings: decode JSON ones and resolve ``attach://`` file references."""
    params: JSON = {}
    for key, value in fields.items():
        params[key] = value if key in STRING_FIELDS else _json_or_string(value)
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = uploads.pop(value.removeprefix("attach://"), value)
    params.update(uploads)  # a file sent directly under its parameter name
    return params


def _json_or_string(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _maybe_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _int_param(params: JSON, name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    number = _maybe_int(value)
    if number is None:
        raise TelegramError.bad_request(f"invalid {name} specified")
    return number


def _commands_key(params: JSON) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def _without_none(values: JSON) -> JSON:
    return {key: value for key, value in values.items() if value is not None}


# ---------------------------------------------------------------------- Telegram HTML

HTML_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span",
        "tg-spoiler", "tg-emoji", "tg-time", "code", "pre", "blockquote",
    }
)  # fmt: skip
SIMPLE_ENTITIES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler", "pre": "pre",
}  # fmt: skip
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
ENTITY_RE = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|([a-zA-Z]+));?")
TAG_NAME_RE = re.compile(r"<([^\s>]*)")
START_TAG_RE = re.compile(
    r"""<[^\s>]+((?:\s+[^\s=>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']*))?)*)\s*>"""
)
ATTRIBUTE_RE = re.compile(r"""([^\s=>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']*)))?""")
END_TAG_RE = re.compile(r"</([^\s>]*)\s*>")
PLAIN_RUN_RE = re.compile(r"[^&<]+")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    attributes: dict[str, str]
    offset: int  # UTF-16 offset in the output text
    start: int  # index in the output text (for <a> without href)


class _HtmlParser:
    """Telegram's HTML parse mode (after tdlib ``parse_html``): text + entities or 400."""

    def __init__(self, source: str, *, strict_ampersand: bool) -> None:
        self.source = source
        self.strict_ampersand = strict_ampersand
        self.pos = 0
        self.out: list[str] = []
        self.offset = 0
        self.open_tags: list[_OpenTag] = []
        self.entities: list[JSON] = []

    def parse(self) -> tuple[str, list[JSON]]:
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if char == "&":
                self._entity()
            elif char == "<" and self.source.startswith("</", self.pos):
                self._end_tag()
            elif char == "<":
                self._start_tag()
            else:  # a run of plain text up to the next markup character
                run = PLAIN_RUN_RE.match(self.source, self.pos)
                assert run is not None
                self._emit(run.group())
                self.pos = run.end()
        if self.open_tags:
            name = self.open_tags[-1].name
            self._fail(f'Can\'t find end tag corresponding to start tag "{name}"')
        for entity in self.entities:
            if entity["type"] == "code":  # a language survives only on <pre><code>
                entity.pop("language", None)
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), entities

    def _fail(self, reason: str) -> NoReturn:
        raise TelegramError.bad_request(f"can't parse entities: {reason}")

    def _byte_offset(self) -> int:
        return len(self.source[: self.pos].encode())

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.offset += utf16_len(text)

    def _entity(self) -> None:
        match = ENTITY_RE.match(self.source, self.pos)
        char = _decode_entity(match) if match else None
        if match is None or char is None:
            if self.strict_ampersand:
                self._fail(f"bare '&' at byte offset {self._byte_offset()}; escape it as &amp;")
            self._emit("&")
            self.pos += 1
            return
        self._emit(char)
        self.pos = match.end()

    def _start_tag(self) -> None:
        name_match = TAG_NAME_RE.match(self.source, self.pos)
        assert name_match is not None
        at = self._byte_offset()
        name = name_match.group(1).lower()
        if name_match.end() >= len(self.source):
            self._fail(f"Unclosed start tag at byte offset {at}")
        if name not in HTML_TAGS:
            self._fail(f'Unsupported start tag "{name}" at byte offset {at}')
        tag_match = START_TAG_RE.match(self.source, self.pos)
        if tag_match is None:
            self._fail(f'Unclosed start tag "{name}" at byte offset {at}')
        attributes = {
            attr.group(1).lower(): next((v for v in attr.groups()[1:] if v is not None), "")
            for attr in ATTRIBUTE_RE.finditer(tag_match.group(1))
        }
        if name == "span" and attributes.get("class") != "tg-spoiler":
            self._fail(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        self.open_tags.append(_OpenTag(name, attributes, self.offset, len(self.out)))
        self.pos = tag_match.end()

    def _end_tag(self) -> None:
        at = self._byte_offset()
        if not self.open_tags:
            self._fail(f"Unexpected end tag at byte offset {at}")
        match = END_TAG_RE.match(self.source, self.pos)
        if match is None:
            self._fail(f"Unclosed end tag at byte offset {at}")
        name, tag = match.group(1).lower(), self.open_tags.pop()
        if name and name != tag.name:
            self._fail(
                f'Unmatched end tag at byte offset {at}, expected "</{tag.name}>", '
                f'found "</{name}>"'
            )
        self.pos = match.end()
        if self.offset > tag.offset:
            self._add_entity(tag)

    def _add_entity(self, tag: _OpenTag) -> None:
        entity: JSON = {"offset": tag.offset, "length": self.offset - tag.offset}
        attributes = tag.attributes
        if tag.name == "code":
            language = attributes.get("class", "")
            entity["type"] = "code"
            if language.startswith("language-"):
                entity["language"] = language.removeprefix("language-")
        elif tag.name == "pre":
            entity["type"] = "pre"
            last = self.entities[-1] if self.entities else None
            if last and last["type"] == "code" and "language" in last:
                same_span = (last["offset"], last["length"]) == (entity["offset"], entity["length"])
                if same_span:
                    self.entities.pop()
                    entity["language"] = last["language"]
        elif tag.name == "a":
            url = attributes.get("href") or "".join(self.out[tag.start :])
            user_id = url.removeprefix("tg://user?id=")
            if url.startswith("tg://user?id=") and user_id.isdigit():
                user = {"id": int(user_id), "is_bot": False, "first_name": ""}
                entity.update(type="text_mention", user=user)
            else:
                entity.update(type="text_link", url=url)
        elif tag.name == "blockquote":
            entity["type"] = "expandable_blockquote" if "expandable" in attributes else "blockquote"
        elif tag.name == "tg-emoji":
            entity.update(type="custom_emoji", custom_emoji_id=attributes.get("emoji-id", ""))
        elif tag.name == "tg-time":
            entity.update(type="date_time", unix_time=_maybe_int(attributes.get("unix")) or 0)
            if attributes.get("format"):
                entity["date_time_format"] = attributes["format"]
        else:
            entity["type"] = SIMPLE_ENTITIES[tag.name]
        self.entities.append(entity)


def _decode_entity(match: re.Match[str]) -> str | None:
    hexadecimal, decimal, name = match.groups()
    if name is not None:
        return NAMED_ENTITIES.get(name)
    if len(match.group(0).rstrip(";")) >= 10:  # tdlib gives up on longer references
        return None
    code = int(hexadecimal, 16) if hexadecimal is not None else int(decimal)
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[JSON]]:
    """Render Telegram HTML to (plain text, entities); raise TelegramError(400) if invalid."""
    return _HtmlParser(text, strict_ampersand=strict_ampersand).parse()
