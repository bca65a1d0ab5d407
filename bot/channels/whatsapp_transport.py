"""The outbox's way to WhatsApp, with the 24-hour rule.

Within 24 hours of the person's last message a notification goes as a normal message;
outside it, as the approved template configured for its kind (the text as the template's one
body parameter). A kind with no template is skipped with the reason, which the broadcast
summary counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from bot.channels.whatsapp import (
    CHANNEL,
    OUTSIDE_WINDOW,
    RATE_LIMITED,
    UNDELIVERABLE,
    Labels,
    is_temporary,
    render,
    to_whatsapp_text,
)
from bot.channels.whatsapp_client import GraphError, WhatsAppClient
from bot.core.messages import Outbound
from bot.delivery.transport import (
    Delivery,
    PermanentFailure,
    RetryAfter,
    Skip,
    TemporaryFailure,
    Unreachable,
)

WINDOW = timedelta(hours=24)
THROTTLE_PAUSE = 5.0  # Meta gives no retry-after; a short pause, then the sender tries again
TEMPLATE_PARAM_LIMIT = 1000
_SPACES = re.compile(r"\s+")


def utcnow() -> datetime:
    return datetime.now(UTC)


def template_parameter(text: str) -> str:
    """Template parameters may not hold new lines, tabs or runs of spaces."""
    flat = _SPACES.sub(" ", to_whatsapp_text(text)).strip()
    return flat[:TEMPLATE_PARAM_LIMIT]


class WhatsAppTransport:
    channel = CHANNEL

    def __init__(
        self,
        client: WhatsAppClient,
        templates: Mapping[str, Mapping[str, str]],
        labels: Callable[[str | None], Labels],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.client = client
        self.templates = templates
        self.labels = labels
        self.clock = clock

    async def send(self, chat_id: str, message: Outbound, delivery: Delivery) -> list[str]:
        """Returns the WhatsApp ids of the messages Meta accepted: a failure it reports
        later, in a status webhook, names one of them."""
        seen = delivery.last_inbound_at
        in_window = seen is not None and self.clock() - seen < WINDOW
        accepted: list[str] = []
        try:
            if in_window:
                try:
                    for body in render(message, self.labels(message.hints.get("locale"))):
                        accepted.append(await self.client.send(chat_id, body))
                    return accepted
                except GraphError as exc:
                    if exc.code != OUTSIDE_WINDOW:
                        raise
                    # Meta's clock says the window closed: fall back to the template.
            accepted.append(await self._template(chat_id, message, delivery))
            return accepted
        except GraphError as exc:
            raise _outcome(exc) from exc

    async def _template(self, chat_id: str, message: Outbound, delivery: Delivery) -> str:
        template = self.templates.get(delivery.kind)
        if template is None:
            raise Skip(f"outside the 24-hour window and no template for '{delivery.kind}'")
        body = {
            "type": "template",
            "template": {
                "name": template["name"],
                "language": {"code": template.get("language", "ar")},
                "components": [
                    {
                        "type": "body",
                        "parameters": [{"type": "text", "text": template_parameter(message.text)}],
                    }
                ],
            },
        }
        return await self.client.send(chat_id, body)


def _outcome(exc: GraphError) -> Exception:
    if exc.code == UNDELIVERABLE:
        return Unreachable(str(exc))
    if exc.code in RATE_LIMITED:
        return RetryAfter(THROTTLE_PAUSE, str(exc))
    if exc.code == OUTSIDE_WINDOW:
        return Skip("outside the 24-hour window")
    if is_temporary(exc):
        return TemporaryFailure(str(exc))
    return PermanentFailure(str(exc))
