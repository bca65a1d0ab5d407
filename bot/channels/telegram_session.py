"""The aiogram session the bot uses: Bot API calls go as JSON bodies.

aiogram's `AiohttpSession` sends every call as a form, keyboards as JSON strings inside it.
Arabic text percent-encodes to three times its UTF-8 size, which costs a byte-by-byte quote on
our side and a decode on the server's, and every reply of ours is Arabic text with a keyboard.
The Bot API takes `application/json` as well, so a call without files goes as one UTF-8 JSON
document. A call that uploads a file (an export, a photo) keeps aiogram's multipart form.

Everything else is aiogram's: the values are prepared by `prepare_value` (bot defaults such as
the HTML parse mode, dates, enums, nested objects), empty values are left out exactly as
aiogram's form leaves them out, and the answer goes through `check_response`, so errors are the
same exceptions (`TelegramRetryAfter`, `TelegramForbiddenError` …).

getUpdates is decoded here one update at a time. aiogram validates the whole batch at once, so
a single update it cannot decode (a missing field, a shape it does not know) fails every
getUpdates call at the same offset and the bot stops answering everyone. Here the good updates
go on; a bad one is logged by id and field (never its contents) and, after a few tries, skipped
and confirmed by raising the next call's offset past it.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast

import aiogram.methods
from aiogram.client.default import Default
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from aiohttp import ClientError, ClientTimeout
from pydantic import ValidationError

# Re-exported: the webhook and the tests knew it from here.
from bot.channels.telegram_client import UndecodableUpdate as UndecodableUpdate

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)

JSON_HEADERS = {"Content-Type": "application/json"}
# Decoding the same JSON fails the same way every time, so a few tries are enough; until the
# last one the updates behind a bad one wait, which keeps every chat's updates in order.
BAD_UPDATE_TRIES = 3

# aiogram validates each answer with `Response[method.__returning__]`, a pydantic generic that
# pydantic caches only weakly. The class is part of reference cycles, so the next garbage
# collection frees it and the next call builds its schema again (~10 ms of CPU each, about one
# per call under our allocation rate). Held here, one per result type: a few dozen at most,
# aiogram has that many methods.
_RESPONSE_TYPES: dict[Any, type[Response[Any]]] = {}


def keep_response_type(returning: Any) -> type[Response[Any]]:
    """aiogram's answer class for a method returning `returning`, built once per process."""
    response_type = _RESPONSE_TYPES.get(returning)
    if response_type is None:
        response_type = _RESPONSE_TYPES[returning] = Response[returning]
    return response_type


def decode_update(bot: Bot, data: object) -> Update:
    """One Bot API Update, or UndecodableUpdate (also for an update of no type aiogram knows:
    aiogram would otherwise warn about it with the whole update in the text)."""
    raw_id = data.get("update_id") if isinstance(data, dict) else None
    update_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
    try:
        update = Update.model_validate(data, context={"bot": bot})
        update.event_type  # noqa: B018 - raises for an update of an unknown type
    except ValidationError as exc:
        # `from None`: a ValidationError's text quotes the input.
        raise UndecodableUpdate(update_id, _failed_fields(exc)) from None
    except UpdateTypeLookupError:
        raise UndecodableUpdate(update_id, "no update type that the bot knows") from None
    return update


def network_error(method: TelegramMethod[Any], error: Exception) -> TelegramNetworkError:
    """aiogram's exception for a call that got no answer (as its AiohttpSession words it)."""
    if isinstance(error, TimeoutError):
        return TelegramNetworkError(method=method, message="Request timeout error")
    return TelegramNetworkError(method=method, message=f"{type(error).__name__}: {error}")


def _failed_fields(exc: ValidationError) -> str:
    errors = exc.errors(include_input=False, include_url=False, include_context=False)
    shown = [
        f"{'.'.join(str(part) for part in error['loc']) or 'update'} ({error['type']})"
        for error in errors[:3]
    ]
    more = f" and {len(errors) - 3} more" if len(errors) > 3 else ""
    return "cannot decode " + ", ".join(shown) + more


class JsonBodySession(AiohttpSession):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bad_tries: dict[int, int] = {}  # update id -> failed decodes so far
        self._offset_floor = 0  # the next getUpdates confirms every update below this
        self._default_params: dict[str, dict[str, Any]] = {}  # method -> defaults it takes

    def json_body(self, bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
        """The call as a JSON document, or None when it carries files (multipart needed)."""
        files: dict[str, Any] = {}
        payload: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared:  # aiogram's form drops falsy values too; keep the same requests
                payload[key] = prepared
        if files:
            return None
        return json.dumps(payload, ensure_ascii=False).encode()

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,
    ) -> TelegramType:
        if isinstance(method, GetUpdates):
            self._raise_offset(method)
        body = self.json_body(bot, method)
        if body is None:
            return await super().make_request(bot, method, timeout)
        try:
            status, raw_result = await self.post_json(bot, method.__api_method__, body, timeout)
        except (TimeoutError, ClientError) as e:
            raise network_error(method, e) from e
        if isinstance(method, GetUpdates) and status == HTTPStatus.OK:
            updates = self._decode_updates(bot, raw_result)
            if updates is not None:
                return cast(TelegramType, updates)
        response = self.check_response(
            bot=bot, method=method, status_code=status, content=raw_result
        )
        return cast(TelegramType, response.result)

    async def post_json(
        self, bot: Bot, api_method: str, body: bytes, timeout: int | None = None
    ) -> tuple[int, str]:
        """One call as a JSON document: the HTTP status and the answer's text. Raises what
        aiohttp raises (TimeoutError, ClientError); `network_error` is aiogram's reading."""
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=api_method)
        async with session.post(
            url,
            data=body,
            headers=JSON_HEADERS,
            timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
        ) as resp:
            return resp.status, await resp.text()

    def raw_body(self, bot: Bot, api_method: str, params: dict[str, Any]) -> bytes:
        """The body aiogram would send for `api_method` with these JSON parameters, without
        building its method model: the bot's defaults (the HTML parse mode) where a parameter
        is not given, and falsy values left out as `json_body` leaves them out."""
        payload = {k: v for k, v in self._defaults(bot, api_method).items() if k not in params}
        payload.update((key, value) for key, value in params.items() if value)
        return json.dumps(payload, ensure_ascii=False).encode()

    def _defaults(self, bot: Bot, api_method: str) -> dict[str, Any]:
        """The parameters aiogram fills from the bot's defaults for this method (a field whose
        default is `Default(name)`), as prepared values; worked out once per method."""
        found = self._default_params.get(api_method)
        if found is None:
            cls = getattr(aiogram.methods, api_method[0].upper() + api_method[1:])
            found = {}
            for name, info in cls.model_fields.items():
                if isinstance(info.default, Default):
                    value = self.prepare_value(info.default, bot=bot, files={}, _dumps_json=False)
                    if value:
                        found[name] = value
            self._default_params[api_method] = found
        return found

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        # Kept alive, `Response[...]` in aiogram's check is the pydantic cache's hit.
        keep_response_type(method.__returning__)
        return super().check_response(
            bot=bot, method=method, status_code=status_code, content=content
        )

    # --- getUpdates ------------------------------------------------------------------------------
    def _raise_offset(self, method: GetUpdates) -> None:
        # aiogram moves the offset only past updates it was given, so a skipped update that
        # ends a batch would come back forever without this floor.
        floor, offset = self._offset_floor, method.offset
        if floor and (offset is None or 0 <= offset < floor):  # negative offsets count back
            method.offset = offset = floor
        if offset is not None and offset > 0:  # forget updates this call confirms
            self._bad_tries = {uid: n for uid, n in self._bad_tries.items() if uid >= offset}

    def _decode_updates(self, bot: Bot, raw: str) -> list[Update] | None:
        """The batch's decodable updates, in order; None when the answer itself is not a
        successful getUpdates result (aiogram's `check_response` reports that)."""
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("ok") is not True:
            return None
        result = data.get("result")
        if not isinstance(result, list):
            return None
        updates: list[Update] = []
        for item in result:
            try:
                updates.append(decode_update(bot, item))
            except UndecodableUpdate as exc:
                if not self._skip(exc):
                    break  # the updates behind it wait for the next try
        return updates

    def _skip(self, exc: UndecodableUpdate) -> bool:
        """Whether to go past a bad update now (True) or try it again on the next call."""
        update_id = exc.update_id
        if update_id is None:
            # Nothing to confirm it by; the offset of the update after it confirms it.
            log.error("%s; skipped", exc)
            return True
        tries = self._bad_tries.get(update_id, 0) + 1
        if tries < BAD_UPDATE_TRIES:
            self._bad_tries[update_id] = tries
            log.warning("%s; try %d of %d", exc, tries, BAD_UPDATE_TRIES)
            return False
        self._bad_tries.pop(update_id, None)
        self._offset_floor = max(self._offset_floor, update_id + 1)
        log.error("%s; skipped after %d tries", exc, tries)
        return True
