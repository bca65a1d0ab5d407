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
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import ClientError

if TYPE_CHECKING:
    from aiogram import Bot

JSON_HEADERS = {"Content-Type": "application/json"}


class JsonBodySession(AiohttpSession):
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
        body = self.json_body(bot, method)
        if body is None:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=body,
                headers=JSON_HEADERS,
                timeout=self.timeout if timeout is None else timeout,
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        response = self.check_response(
            bot=bot, method=method, status_code=resp.status, content=raw_result
        )
        return cast(TelegramType, response.result)
