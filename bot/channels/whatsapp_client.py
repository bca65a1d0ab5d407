"""A small WhatsApp Cloud API client on aiohttp (the HTTP library already in use).

pywa was considered: its async client is fine, but its webhook side wants to own the web
server and the update handling, while ours must store the payload first and answer at once;
a client this size keeps the adapter thin and the dependency list short.
"""

from __future__ import annotations

from typing import Any

import aiohttp


class GraphError(Exception):
    """An error answer of the Graph API (code 131047, 131026, 130429 …) or the network."""

    def __init__(self, code: int, message: str, http_status: int = 0) -> None:
        super().__init__(f"({code}) {message}")
        self.code = code
        self.http_status = http_status


NETWORK_ERROR = -1


class WhatsAppClient:
    def __init__(self, api_base: str, phone_number_id: str, token: str) -> None:
        self.url = f"{api_base.rstrip('/')}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._session: aiohttp.ClientSession | None = None

    async def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._session

    async def _post(self, url: str, **request: Any) -> Any:
        """One Graph API call; an error answer or a network failure raises GraphError."""
        session = await self._client()
        try:
            async with session.post(url, headers=self._headers, **request) as response:
                data = await response.json(content_type=None)
                if response.status >= 400 or "error" in data:
                    error = data.get("error", {}) if isinstance(data, dict) else {}
                    raise GraphError(
                        int(error.get("code", response.status)),
                        str(error.get("message", "error")),
                        response.status,
                    )
                return data
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise GraphError(NETWORK_ERROR, str(exc) or type(exc).__name__) from exc

    async def send(self, to: str, message: dict[str, Any]) -> str:
        """Send one message body (type and its object); returns Meta's message id."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        body.update(message)
        data = await self._post(self.url, json=body)
        return str(data["messages"][0]["id"])

    async def upload(self, data: bytes, filename: str, mime_type: str) -> str:
        """Upload a file we made (an export, a calendar file); returns its media id."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime_type)
        form.add_field("file", data, filename=filename, content_type=mime_type)
        url = self.url.rsplit("/", 1)[0] + "/media"
        body = await self._post(url, data=form)
        return str(body["id"])

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
