"""A fake WhatsApp Cloud API (Meta Graph API) for tests.

It plays both sides of a WhatsApp conversation over real HTTP on 127.0.0.1:

* **the Graph API the bot calls**: ``POST /{version}/{phone_number_id}/messages`` validated the
  way Meta validates it (strictly enough to catch our mistakes) and answered with Meta's
  envelopes, plus media lookup/download for images the fake user sent;
* **the WhatsApp user**: builders for webhook bodies shaped like Meta's, a signed POST of such a
  body to the bot's webhook, and Meta's GET verification handshake::

    async with FakeWhatsAppServer(token="TEST-TOKEN", phone_number_id="123456") as fake:
        client = OurWhatsAppClient(graph_url=fake.graph_url, token="TEST-TOKEN", phone_id="123456")
        body, wamid = fake.user_text("966501234567", "مرحبا", name="سارة")
        assert await fake.post_webhook(webhook_url, body, app_secret="SECRET") == 200
        [reply] = await fake.wait_for_messages("966501234567")
        assert reply.text == "أهلاً بك"

Behaviour and where it comes from (see also /work/shared/reference/apis.md section 3):

* Error envelope ``{"error": {"message": "(#<code>) <title>", "type": "OAuthException", "code",
  "error_data": {"messaging_product": "whatsapp", "details"}, "fbtrace_id"}}``: Meta's error-codes
  page (developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes);
  ``error_subcode`` is deprecated since v16.0 and is only sent for GraphMethodException.
* Limits: text body 4096; reply buttons 1-3, title 1-20 characters and unique, id 1-256 and
  unique, body 1024, header/footer 60; list button label 20, 1-10 sections, at most 10 rows in
  total, row title 24, row description 72, row id 200, section title 24 and required when there
  is more than one section; caption 1024.  Meta's interactive pages plus WhatsApp's Node SDK
  reference (whatsapp.github.io/WhatsApp-Nodejs-SDK).  Lengths are counted in code points.
* Interactive limits are answered with code 131009 "Parameter value is not valid" (what Meta
  really answers, e.g. "Button title length invalid. Min length: 1, Max length: 20", "Total row
  count exceed max allowed count: 10", "Row title is too long. Max length is 24"); malformed or
  missing fields with code 100 "Invalid parameter".
* 24-hour customer-service window (``enforce_window``): free-form messages to a user whose last
  inbound message is more than 24 hours old (by the controllable clock ``fake.now``) get 131047;
  templates always pass.  Inbound time is recorded when a ``user_*`` builder is called.
* Webhook bodies are serialised the way Meta does before signing: compact JSON with non-ASCII as
  lowercase ``\\uXXXX`` escapes and ``/`` as ``\\/`` (Meta: "we generate the signature using an
  escaped unicode version of the payload, with lowercase hex digits"), so a bot that re-encodes
  the parsed JSON instead of hashing the raw bytes fails on Arabic text, as it would in production.

Deliberate limits: only the message types text, interactive (button, list), template, image,
document and location (and mark-as-read) are accepted; other types Meta accepts (audio, video,
sticker, reaction, contacts, cta_url...) are refused with a 400 that says so.  HTTP statuses of
the throttling errors 130429/131056 default to 429 (Meta's current table); older copies of the
table say 400, so pass ``http_status=400`` to ``fail_next`` to test that variant, and branch on
``error.code`` in the bot, as Meta recommends.  Meta sends no retry-after with them; pass
``hold=seconds`` to ``fail_next`` to keep throttling until that much of ``fake.now`` has
passed (130429: every recipient, the number's throughput; 131056: that recipient, the pair's),
so a sender that does not pause is refused again.  Without ``hold`` a throttle is one answer.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

JSON = dict[str, Any]
T = TypeVar("T")

log = logging.getLogger(__name__)

GRAPH_VERSION = "v21.0"
ERROR_CODES_URL = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
GRAPH_DOCS_URL = "https://developers.facebook.com/docs/graph-api"
SIGNATURE_HEADER = "X-Hub-Signature-256"
WINDOW_SECONDS = 24 * 60 * 60

MAX_TEXT_BODY = 4096
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_BUTTON_BODY = 1024
MAX_LIST_BODY = 4096
MAX_HEADER_TEXT = 60
MAX_FOOTER_TEXT = 60
MAX_LIST_BUTTON = 20
MAX_LIST_SECTIONS = 10
MAX_LIST_ROWS = 10
MAX_SECTION_TITLE = 24
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200
MAX_CAPTION = 1024
MAX_OPAQUE_DATA = 512

SEND_TYPES = ("text", "interactive", "template", "image", "document", "location")
STATUSES = ("sent", "delivered", "read", "failed")
TEMPLATE_COMPONENTS = frozenset({"header", "body", "button", "carousel", "limited_time_offer"})
BUTTON_SUB_TYPES = frozenset(
    {"quick_reply", "url", "copy_code", "flow", "catalog", "mpm", "voice_call"}
)
PARAMETER_TYPES = frozenset(
    {
        "text", "currency", "date_time", "image", "document", "video", "location",
        "payload", "coupon_code", "action", "product", "order_status",
    }
)  # fmt: skip
# Meta refuses template text parameters with these (verbatim details string, code 100).
BAD_TEMPLATE_TEXT = re.compile(r"[\n\t]| {5,}")
VERSION_RE = re.compile(r"v\d+\.\d+")
PHONE_RE = re.compile(r"\+?[\d\s().-]+")


# ---------------------------------------------------------------------- errors


class GraphError(Exception):
    """A Graph API error, answered as ``{"error": {...}}`` with ``http_status``."""

    def __init__(
        self,
        code: int,
        title: str,
        details: str | None = None,
        *,
        http_status: int = 400,
        error_type: str = "OAuthException",
        subcode: int | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        self.title = title
        self.details = details
        self.http_status = http_status
        self.error_type = error_type
        self.subcode = subcode
        self.message = message if message is not None else f"(#{code}) {title}"
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self, fbtrace_id: str) -> JSON:
        """The synchronous Graph API answer."""
        error: JSON = {"message": self.message, "type": self.error_type, "code": self.code}
        if self.details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["fbtrace_id"] = fbtrace_id
        return {"error": error}

    def webhook_error(self) -> JSON:
        """The same error as it appears in ``statuses[].errors[]`` of a webhook."""
        entry: JSON = {"code": self.code, "title": self.title, "message": self.title}
        if self.details is not None:
            entry["error_data"] = {"details": self.details}
        entry["href"] = ERROR_CODES_URL
        return entry


@dataclass(frozen=True)
class KnownError:
    http_status: int
    title: str
    details: str | None
    message: str | None = None  # when Meta's message is not "(#code) title"


# Shapes used by fail_next / enforce_window / status_update.  Sources in the report and the
# module docstring; details strings are Meta's where a verbatim copy was found.
KNOWN_ERRORS: dict[int, KnownError] = {
    131047: KnownError(
        400,
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    ),
    131026: KnownError(400, "Message Undeliverable", "Message Undeliverable."),
    130429: KnownError(
        429,
        "Rate limit hit",
        "Message failed to send because there were too many messages sent from this phone "
        "number in a short period of time",
    ),
    131056: KnownError(
        429,
        "(Business Account, Consumer Account) pair rate limit hit",
        "Message failed to send because there were too many messages sent from this phone "
        "number to the same phone number in a short period of time.",
    ),
    131000: KnownError(
        500, "Something went wrong", "Message failed to send due to an unknown error."
    ),
    131016: KnownError(503, "Service unavailable", "A service is temporarily unavailable."),
    190: KnownError(
        401,
        "Access token has expired",
        None,
        message="Error validating access token: Session has expired.",
    ),
}
THROUGHPUT_LIMIT, PAIR_RATE_LIMIT = 130429, 131056
THROTTLING = frozenset({THROUGHPUT_LIMIT, PAIR_RATE_LIMIT})
HTTP_ALIASES = {500: 131000, 503: 131016}  # fail_next(500) = Meta's generic 500 (131000)


def graph_error(
    code: int, *, http_status: int | None = None, details: str | None = None
) -> GraphError:
    """Meta's error for ``code`` (500/503 are aliases of 131000/131016)."""
    code = HTTP_ALIASES.get(code, code)
    known = KNOWN_ERRORS.get(code)
    if known is None:
        return GraphError(
            code,
            f"Error {code}",
            details or "Injected by the fake.",
            http_status=http_status or 400,
        )
    return GraphError(
        code,
        known.title,
        details if details is not None else known.details,
        http_status=http_status or known.http_status,
        message=known.message,
    )


def _invalid(details: str) -> GraphError:
    """Code 100: a missing, malformed or unknown parameter."""
    return GraphError(100, "Invalid parameter", details)


def _not_valid(details: str) -> GraphError:
    """Code 131009: a parameter outside Meta's limits (counts, lengths, uniqueness)."""
    return GraphError(131009, "Parameter value is not valid", details)


def _required(name: str) -> GraphError:
    """Meta's wording for a missing top-level parameter (no error_data)."""
    return GraphError(100, "Invalid parameter", message=f"(#100) The parameter {name} is required.")


def _unsupported(method: str, object_id: str) -> GraphError:
    return GraphError(
        100,
        "Unsupported request",
        error_type="GraphMethodException",
        subcode=33,
        message=(
            f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
            "cannot be loaded due to missing permissions, or does not support this operation. "
            f"Please read the Graph API documentation at {GRAPH_DOCS_URL}"
        ),
    )


# ---------------------------------------------------------------------- records


@dataclass
class RecordedCall:
    """One HTTP request as the fake received it."""

    method: str
    path: str
    payload: JSON | None  # the parsed JSON body (None for GETs or unparsable bodies)
    time: float  # time.monotonic()
    clock: float  # fake.now when it arrived
    status: int = 200  # HTTP status answered; 0 when the connection was dropped
    response: JSON | None = None
    message_id: str | None = None  # the wamid when a message was accepted

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def error(self) -> JSON | None:
        """The ``error`` object of a failed call."""
        if self.response is None or self.ok:
            return None
        error = self.response.get("error")
        return error if isinstance(error, dict) else None

    @property
    def code(self) -> int | None:
        """Meta's error code of a failed call."""
        error = self.error
        return error.get("code") if error else None

    @property
    def kind(self) -> str | None:
        """Message type ("text", "interactive"...), "read" for receipts, None otherwise."""
        if not isinstance(self.payload, dict) or not self.path.endswith("/messages"):
            return None
        if "status" in self.payload:
            return "read"
        kind = self.payload.get("type", "text")
        return kind if isinstance(kind, str) else None

    @property
    def to(self) -> str | None:
        to = self.payload.get("to") if isinstance(self.payload, dict) else None
        return to if isinstance(to, str) else None


@dataclass
class SentMessage:
    """A message the Graph API accepted (what the user would receive)."""

    id: str  # wamid
    to: str  # as the bot sent it
    wa_id: str  # normalised
    type: str
    payload: JSON  # the exact request body
    clock: float  # fake.now when accepted
    async_error: GraphError | None = None  # accepted, but will fail (see status_update)

    @property
    def text(self) -> str | None:
        """Text body, interactive body text or media caption."""
        content = self.payload.get(self.type)
        if not isinstance(content, dict):
            return None
        if self.type == "text":
            return str(content["body"])
        if self.type == "interactive":
            return str(content["body"]["text"])
        caption = content.get("caption")
        return str(caption) if caption is not None else None

    @property
    def reply_options(self) -> list[JSON]:
        """Reply buttons (``{"id", "title"}``) or list rows (``{"id", "title", ...}``)."""
        if self.type != "interactive":
            return []
        interactive = self.payload["interactive"]
        action = interactive["action"]
        if interactive["type"] == "button":
            return [button["reply"] for button in action["buttons"]]
        return [row for section in action["sections"] for row in section["rows"]]

    @property
    def reply_ids(self) -> list[str]:
        return [option["id"] for option in self.reply_options]

    @property
    def template_name(self) -> str | None:
        return self.payload["template"]["name"] if self.type == "template" else None


@dataclass
class StoredMedia:
    """Media the fake user sent; served by ``GET /{version}/{media_id}`` and its URL."""

    id: str
    content: bytes
    mime_type: str

    @property
    def sha256(self) -> str:
        return base64.b64encode(hashlib.sha256(self.content).digest()).decode()


@dataclass
class TemplateSpec:
    """An approved template; once any is registered, unknown templates are refused."""

    name: str
    language: str
    body_params: int = 0
    header_params: int = 0


@dataclass
class WebhookDelivery:
    url: str
    body: JSON
    raw: bytes
    headers: dict[str, str]
    status: int


@dataclass
class _Fault:
    error: GraphError | None  # None = drop the connection
    remaining: int
    wa_id: str | None = None
    asynchronous: bool = False
    hold: float = 0.0  # throttling only: seconds of fake.now the throttle lasts

    def matches(self, wa_id: str | None) -> bool:
        return self.wa_id is None or self.wa_id == wa_id


@dataclass
class _Throttle:
    error: GraphError
    wa_id: str | None  # None: the whole number (130429)
    until: float


# ---------------------------------------------------------------------- helpers


def normalize_wa_id(to: str) -> str:
    """The WhatsApp id Meta reports for ``to``: the digits of a phone number, else as given."""
    if PHONE_RE.fullmatch(to):
        digits = re.sub(r"\D", "", to)
        return digits if 7 <= len(digits) <= 15 else ""
    return to.strip()  # business-scoped user ids ("US.1349...")


def meta_json(body: JSON) -> bytes:
    """Serialise a webhook body like Meta: compact, ``\\uXXXX`` for non-ASCII, ``\\/``."""
    return json.dumps(body, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()


def sign(raw: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` value: ``sha256=`` + hex HMAC-SHA256 of the raw body."""
    digest = hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _parse_json(raw: bytes) -> JSON | None:
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _fbtrace_id() -> str:
    return secrets.token_urlsafe(17)


def _object(parent: JSON, key: str, where: str) -> JSON:
    value = parent.get(key)
    if value is None:
        raise _invalid(f"Param {where} is required")
    if not isinstance(value, dict):
        raise _invalid(f"Param {where} must be a JSON object")
    return value


def _string(
    parent: JSON, key: str, where: str, limit: int | None = None, *, required: bool = True
) -> str | None:
    value = parent.get(key)
    if value is None:
        if required:
            raise _invalid(f"Param {where} is required")
        return None
    if not isinstance(value, str):
        raise _invalid(f"Param {where} must be a string")
    if required and not value.strip():
        raise _invalid(f"Param {where} cannot be empty")
    if limit is not None and len(value) > limit:
        raise _invalid(f"Param {where} must be at most {limit} characters long")
    return value


# ---------------------------------------------------------------------- request validation


def _check_text(payload: JSON) -> None:
    text = _object(payload, "text", "text")
    _string(text, "body", "text['body']", MAX_TEXT_BODY)
    if "preview_url" in text and not isinstance(text["preview_url"], bool):
        raise _invalid("Param text['preview_url'] must be a boolean")


def _check_media(
    parent: JSON, key: str, where: str, *, caption: bool = True, filename: bool = False
) -> None:
    media = _object(parent, key, where)
    if ("id" in media) == ("link" in media):
        raise _invalid(f"Param {where} must have exactly one of 'id' or 'link'")
    if "id" in media:
        _string(media, "id", f"{where}['id']")
    else:
        link = _string(media, "link", f"{where}['link']") or ""
        if not link.startswith(("https://", "http://")):
            raise _invalid(f"Param {where}['link'] must be an http(s) URL")
    if "caption" in media:
        if not caption:
            raise _invalid(f"Param {where}['caption'] is not supported here")
        _string(media, "caption", f"{where}['caption']", MAX_CAPTION, required=False)
    if "filename" in media:
        if not filename:
            raise _invalid(f"Param {where}['filename'] is only supported for documents")
        _string(media, "filename", f"{where}['filename']")


def _check_image(payload: JSON) -> None:
    _check_media(payload, "image", "image")


def _check_document(payload: JSON) -> None:
    _check_media(payload, "document", "document", filename=True)


def _check_location(payload: JSON) -> None:
    location = _object(payload, "location", "location")
    for key, bound in (("latitude", 90.0), ("longitude", 180.0)):
        value = location.get(key)
        if value is None:
            raise _invalid(f"Param location['{key}'] is required")
        try:
            number = float(value) if not isinstance(value, bool) else float("nan")
        except (TypeError, ValueError):
            number = float("nan")
        if not -bound <= number <= bound:
            raise _invalid(f"Param location['{key}'] must be a number between -{bound} and {bound}")
    for key in ("name", "address"):
        _string(location, key, f"location['{key}']", required=False)


def _check_interactive(payload: JSON) -> None:
    interactive = _object(payload, "interactive", "interactive")
    kind = interactive.get("type")
    if kind not in ("button", "list"):
        raise _invalid(
            f"Param interactive['type'] must be 'button' or 'list' (the fake models no {kind!r})"
        )
    body = _object(interactive, "body", "interactive['body']")
    limit = MAX_BUTTON_BODY if kind == "button" else MAX_LIST_BODY
    _string(body, "text", "interactive['body']['text']", limit)
    if "header" in interactive:
        _check_header(interactive, kind)
    if "footer" in interactive:
        footer = _object(interactive, "footer", "interactive['footer']")
        _string(footer, "text", "interactive['footer']['text']", MAX_FOOTER_TEXT)
    action = _object(interactive, "action", "interactive['action']")
    if kind == "button":
        _check_buttons(action)
    else:
        _check_list(action)


def _check_header(interactive: JSON, kind: str) -> None:
    header = _object(interactive, "header", "interactive['header']")
    header_type = header.get("type")
    if header_type == "text":
        _string(header, "text", "interactive['header']['text']", MAX_HEADER_TEXT)
    elif header_type in ("image", "video", "document") and kind == "button":
        _check_media(header, header_type, f"interactive['header']['{header_type}']")
    else:
        allowed = "text, image, video or document" if kind == "button" else "text"
        raise _invalid(f"Param interactive['header']['type'] must be {allowed} for a {kind}")


def _check_buttons(action: JSON) -> None:
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        raise _not_valid(f"Buttons count is invalid. Min count: 1, Max count: {MAX_BUTTONS}")
    ids: set[str] = set()
    titles: set[str] = set()
    for index, button in enumerate(buttons):
        where = f"interactive['action']['buttons'][{index}]"
        if not isinstance(button, dict) or button.get("type") != "reply":
            raise _invalid(f"Param {where}['type'] must be 'reply'")
        reply = _object(button, "reply", f"{where}['reply']")
        title, button_id = reply.get("title"), reply.get("id")
        if not isinstance(title, str) or not title.strip() or len(title) > MAX_BUTTON_TITLE:
            raise _not_valid(
                f"Button title length invalid. Min length: 1, Max length: {MAX_BUTTON_TITLE}"
            )
        if not isinstance(button_id, str) or not button_id or len(button_id) > MAX_BUTTON_ID:
            raise _not_valid(
                f"Button id length invalid. Min length: 1, Max length: {MAX_BUTTON_ID}"
            )
        if button_id in ids:
            raise _not_valid(f"Button ids must be unique; {button_id!r} is repeated")
        if title in titles:
            raise _not_valid(f"Button titles must be unique; {title!r} is repeated")
        ids.add(button_id)
        titles.add(title)


def _check_list(action: JSON) -> None:
    label = action.get("button")
    if not isinstance(label, str) or not label.strip() or len(label) > MAX_LIST_BUTTON:
        raise _not_valid(
            f"Button label length invalid. Min length: 1, Max length: {MAX_LIST_BUTTON}"
        )
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= MAX_LIST_SECTIONS:
        raise _not_valid(f"Sections count is invalid. Min count: 1, Max count: {MAX_LIST_SECTIONS}")
    if not all(isinstance(section, dict) for section in sections):
        raise _invalid("Param interactive['action']['sections'] must hold JSON objects")
    total = sum(len(s["rows"]) for s in sections if isinstance(s.get("rows"), list))
    if total > MAX_LIST_ROWS:
        raise _not_valid(f"Total row count exceed max allowed count: {MAX_LIST_ROWS}")
    row_ids: set[str] = set()
    for index, section in enumerate(sections):
        where = f"interactive['action']['sections'][{index}]"
        title = section.get("title")
        if title is None:
            if len(sections) > 1:
                raise _not_valid(
                    f"Section title is required when there is more than one section ({where})"
                )
        elif not isinstance(title, str) or not title.strip():
            raise _invalid(f"Param {where}['title'] must be a non-empty string")
        elif len(title) > MAX_SECTION_TITLE:
            raise _not_valid(f"Section title is too long. Max length is {MAX_SECTION_TITLE}")
        rows = section.get("rows")
        if not isinstance(rows, list) or not rows:
            raise _not_valid(f"Each section needs at least one row ({where} has none)")
        for row_index, row in enumerate(rows):
            _check_row(row, f"{where}['rows'][{row_index}]", row_ids)


def _check_row(row: Any, where: str, row_ids: set[str]) -> None:
    if not isinstance(row, dict):
        raise _invalid(f"Param {where} must be a JSON object")
    row_id = _string(row, "id", f"{where}['id']") or ""
    if len(row_id) > MAX_ROW_ID:
        raise _not_valid(f"Row id is too long. Max length is {MAX_ROW_ID}")
    if row_id in row_ids:
        raise _not_valid(f"Row ids must be unique; {row_id!r} is repeated")
    row_ids.add(row_id)
    title = _string(row, "title", f"{where}['title']") or ""
    if len(title) > MAX_ROW_TITLE:
        raise _not_valid(f"Row title is too long. Max length is {MAX_ROW_TITLE}")
    description = _string(row, "description", f"{where}['description']", required=False)
    if description is not None and len(description) > MAX_ROW_DESCRIPTION:
        raise _not_valid(f"Row description is too long. Max length is {MAX_ROW_DESCRIPTION}")


def _check_template(payload: JSON) -> None:
    template = _object(payload, "template", "template")
    _string(template, "name", "template['name']", 512)
    language = _object(template, "language", "template['language']")
    _string(language, "code", "template['language']['code']")
    if language.get("policy", "deterministic") != "deterministic":
        raise _invalid("Param template['language']['policy'] must be 'deterministic'")
    components = template.get("components")
    if components is None:
        return
    if not isinstance(components, list):
        raise _invalid("Param template['components'] must be an array")
    for index, component in enumerate(components):
        where = f"template['components'][{index}]"
        if not isinstance(component, dict):
            raise _invalid(f"Param {where} must be a JSON object")
        if component.get("type") not in TEMPLATE_COMPONENTS:
            names = ", ".join(sorted(TEMPLATE_COMPONENTS))
            raise _invalid(f"Param {where}['type'] must be one of {names}")
        if component["type"] == "button":
            if component.get("sub_type") not in BUTTON_SUB_TYPES:
                raise _invalid(f"Param {where}['sub_type'] is required for a button component")
            if str(component.get("index", "")) not in [str(i) for i in range(10)]:
                raise _invalid(f"Param {where}['index'] must be 0-9")
        parameters = component.get("parameters")
        if parameters is None:
            continue
        if not isinstance(parameters, list):
            raise _invalid(f"Param {where}['parameters'] must be an array")
        for param_index, parameter in enumerate(parameters):
            _check_template_parameter(parameter, f"{where}['parameters'][{param_index}]")


def _check_template_parameter(parameter: Any, where: str) -> None:
    if not isinstance(parameter, dict) or parameter.get("type") not in PARAMETER_TYPES:
        raise _invalid(f"Param {where}['type'] must be one of {', '.join(sorted(PARAMETER_TYPES))}")
    kind = parameter["type"]
    if kind == "text":
        text = _string(parameter, "text", f"{where}['text']") or ""
        if BAD_TEMPLATE_TEXT.search(text):
            raise _invalid(
                "Param text cannot have new-line/tab characters or more than 4 consecutive spaces"
            )
    elif kind == "payload":
        _string(parameter, "payload", f"{where}['payload']")
    elif kind in ("image", "document", "video"):
        _check_media(parameter, kind, f"{where}['{kind}']", caption=False, filename=True)
    elif kind == "currency":
        currency = _object(parameter, "currency", f"{where}['currency']")
        _string(currency, "fallback_value", f"{where}['currency']['fallback_value']")
        _string(currency, "code", f"{where}['currency']['code']")
        if not isinstance(currency.get("amount_1000"), int):
            raise _invalid(f"Param {where}['currency']['amount_1000'] must be an integer")
    elif kind == "date_time":
        date_time = _object(parameter, "date_time", f"{where}['date_time']")
        _string(date_time, "fallback_value", f"{where}['date_time']['fallback_value']")


VALIDATORS: dict[str, Callable[[JSON], None]] = {
    "text": _check_text,
    "interactive": _check_interactive,
    "template": _check_template,
    "image": _check_image,
    "document": _check_document,
    "location": _check_location,
}


# ---------------------------------------------------------------------- the fake


class FakeWhatsAppServer:
    """In-process fake of the WhatsApp Cloud API (see the module docstring)."""

    def __init__(
        self,
        token: str = "TEST-TOKEN",
        phone_number_id: str = "123456",
        *,
        version: str = GRAPH_VERSION,
        display_phone_number: str = "15550001234",
        waba_id: str = "102290129340398",
        app_secret: str = "TEST-APP-SECRET",
        verify_token: str = "TEST-VERIFY-TOKEN",
        now: float | None = None,
    ) -> None:
        self.token = token
        self.phone_number_id = str(phone_number_id)
        self.version = version
        self.display_phone_number = display_phone_number
        self.waba_id = waba_id
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.now: float = time.time() if now is None else now  # the fake's clock (unix time)
        self.sent: list[RecordedCall] = []  # every request, failed ones included
        self.read_receipts: list[str] = []  # wamids the bot marked as read
        self.deliveries: list[WebhookDelivery] = []  # webhook POSTs made by post_webhook
        self.media: dict[str, StoredMedia] = {}
        self.templates: dict[tuple[str, str], TemplateSpec] = {}
        self._messages: dict[str, SentMessage] = {}  # accepted messages by wamid, in order
        self._last_inbound: dict[str, float] = {}
        self._profiles: dict[str, str] = {}
        self._inbound_ids: set[str] = set()
        self._faults: list[_Fault] = []
        self._throttles: list[_Throttle] = []
        self._window = False
        self._window_async = False
        self._numbers = itertools.count(1)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> FakeWhatsAppServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/{version}/{phone_number_id}/messages", self._handle_messages)
        app.router.add_post("/{version}/{phone_number_id}/media", self._handle_media_upload)
        app.router.add_get("/media/{media_id}", self._handle_media_download)
        app.router.add_get("/{version}/{media_id}", self._handle_media_info)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (stands for ``https://graph.facebook.com``)."""
        if self._port is None:
            raise RuntimeError("FakeWhatsAppServer is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def graph_url(self) -> str:
        """``base_url`` + ``/v21.0``: prefix of ``/{phone_number_id}/messages``."""
        return f"{self.base_url}/{self.version}"

    # ------------------------------------------------------------------ clock

    def advance(self, seconds: float = 0.0, *, hours: float = 0.0) -> float:
        """Move ``fake.now`` forward; return the new time."""
        self.now += seconds + hours * 3600
        return self.now

    # ------------------------------------------------------------------ inspection

    def calls(self, kind: str | None = None, *, to: str | None = None) -> list[RecordedCall]:
        """Recorded ``/messages`` calls, optionally of one type ("text", "read"...) or user."""
        wa_id = normalize_wa_id(str(to)) if to is not None else None
        return [
            call
            for call in self.sent
            if call.kind is not None
            and (kind is None or call.kind == kind)
            and (wa_id is None or normalize_wa_id(call.to or "") == wa_id)
        ]

    def messages_to(self, wa_id: str | int) -> list[SentMessage]:
        """Messages the API accepted for this user, oldest first."""
        target = normalize_wa_id(str(wa_id))
        return [message for message in self._messages.values() if message.wa_id == target]

    def message(self, message_id: str) -> SentMessage:
        """An accepted message by wamid (KeyError if unknown)."""
        return self._messages[message_id]

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Wait until ``predicate()`` is truthy (re-checked after every request)."""
        result = await self._wait_until(predicate, timeout)
        if not result:
            recent = [(c.method, c.path, c.status, c.payload) for c in self.sent[-5:]]
            raise TimeoutError(f"condition not met within {timeout}s; last calls: {recent}")
        return result

    async def wait_for_messages(
        self, wa_id: str | int, count: int = 1, timeout: float = 5.0
    ) -> list[SentMessage]:
        """Wait until at least ``count`` messages were accepted for ``wa_id``; return them."""

        def enough() -> list[SentMessage]:
            messages = self.messages_to(wa_id)
            return messages if len(messages) >= count else []

        return await self.wait_for(enough, timeout)

    # ------------------------------------------------------------------ scripting

    def fail_next(
        self,
        code: int,
        times: int = 1,
        to: str | None = None,
        *,
        http_status: int | None = None,
        details: str | None = None,
        asynchronous: bool = False,
        hold: float = 0.0,
    ) -> None:
        """Answer the next ``times`` valid sends (to ``to``, if given) with Meta's error ``code``.

        Known: 131047, 131026, 130429, 131056, 131000 (alias 500), 131016 (alias 503), 190.
        ``asynchronous=True`` accepts the send (200 + wamid) the way Cloud API often does and
        keeps the error for ``status_update(wamid, "failed")``.  ``hold`` (130429/131056):
        the throttle goes on for that many seconds of ``fake.now`` (see the module docstring).
        """
        error = graph_error(code, http_status=http_status, details=details)
        wa_id = normalize_wa_id(str(to)) if to is not None else None
        self._faults.append(_Fault(error, times, wa_id, asynchronous, hold))

    def drop_connection_next(self, times: int = 1, to: str | None = None) -> None:
        """Close the connection without answering the next send(s)."""
        wa_id = normalize_wa_id(str(to)) if to is not None else None
        self._faults.append(_Fault(None, times, wa_id))

    def enforce_window(self, enabled: bool = True, *, asynchronous: bool = False) -> None:
        """Refuse free-form messages outside the 24-hour customer-service window (131047).

        The window opens when a ``user_*`` builder is called for that user (at ``fake.now``).
        With ``asynchronous=True`` the send is accepted and the 131047 is kept for a failed
        status webhook instead (``status_update(wamid, "failed")``).
        """
        self._window = enabled
        self._window_async = asynchronous

    def window_open(self, wa_id: str | int) -> bool:
        last = self._last_inbound.get(normalize_wa_id(str(wa_id)))
        return last is not None and self.now - last <= WINDOW_SECONDS

    def register_template(
        self, name: str, language: str = "ar", *, body_params: int = 0, header_params: int = 0
    ) -> None:
        """Declare an approved template; from then on unknown templates get 132001 and a
        wrong number of header/body parameters gets 132000."""
        self.templates[(name, language)] = TemplateSpec(name, language, body_params, header_params)

    # ------------------------------------------------------------------ the user side

    def user_message(
        self,
        wa_id: str | int,
        msg_type: str,
        content: JSON | list[JSON],
        *,
        name: str | None = None,
        context_message_id: str | None = None,
    ) -> tuple[JSON, str]:
        """Any inbound message: ``{"type": msg_type, msg_type: content}``; returns (body, id)."""
        user = str(wa_id)
        profile = name or self._profiles.get(user) or "User"
        self._profiles[user] = profile
        message_id = self._new_id("IN", user)
        message: JSON = {}
        if context_message_id is not None:
            message["context"] = {"from": self.display_phone_number, "id": context_message_id}
        message.update(
            {
                "from": user,
                "id": message_id,
                "timestamp": str(int(self.now)),
                "type": msg_type,
                msg_type: content,
            }
        )
        self._last_inbound[normalize_wa_id(user) or user] = self.now
        self._inbound_ids.add(message_id)
        value = {"contacts": [{"profile": {"name": profile}, "wa_id": user}], "messages": [message]}
        return self._envelope(value), message_id

    def user_text(
        self,
        wa_id: str | int,
        text: str,
        *,
        name: str | None = None,
        context_message_id: str | None = None,
    ) -> tuple[JSON, str]:
        return self.user_message(
            wa_id, "text", {"body": text}, name=name, context_message_id=context_message_id
        )

    def user_button_reply(
        self,
        wa_id: str | int,
        id: str,  # Meta's field name
        title: str | None = None,
        context_message_id: str | None = None,
        *,
        name: str | None = None,
    ) -> tuple[JSON, str]:
        """The user taps a reply button.  Without ``context_message_id`` the latest message
        to this user offering button ``id`` is the context (its title fills ``title``)."""
        if context_message_id is None or title is None:
            found = self._find_option(wa_id, "button", id, context_message_id)
            context_message_id = context_message_id or found[0]
            title = title if title is not None else str(found[1]["title"])
        reply = {"type": "button_reply", "button_reply": {"id": id, "title": title}}
        return self.user_message(
            wa_id, "interactive", reply, name=name, context_message_id=context_message_id
        )

    def user_list_reply(
        self,
        wa_id: str | int,
        id: str,  # Meta's field name
        title: str | None = None,
        description: str | None = None,
        *,
        context_message_id: str | None = None,
        name: str | None = None,
    ) -> tuple[JSON, str]:
        """The user picks a list row; context, title and description default like
        ``user_button_reply`` (from the latest list to this user offering row ``id``)."""
        selection: JSON = {"id": id}
        if context_message_id is None or title is None:
            found_id, row = self._find_option(wa_id, "list", id, context_message_id)
            context_message_id = context_message_id or found_id
            title = title if title is not None else str(row["title"])
            description = description if description is not None else row.get("description")
        selection["title"] = title
        if description is not None:
            selection["description"] = description
        reply = {"type": "list_reply", "list_reply": selection}
        return self.user_message(
            wa_id, "interactive", reply, name=name, context_message_id=context_message_id
        )

    def user_location(
        self,
        wa_id: str | int,
        lat: float,
        lon: float,
        *,
        place_name: str | None = None,
        address: str | None = None,
        name: str | None = None,
    ) -> tuple[JSON, str]:
        location: JSON = {"latitude": lat, "longitude": lon}
        if place_name is not None:
            location["name"] = place_name
        if address is not None:
            location["address"] = address
        return self.user_message(wa_id, "location", location, name=name)

    def user_contacts(
        self,
        wa_id: str | int,
        phone: str,
        name: str,
        *,
        contact_wa_id: str | None = None,
        profile_name: str | None = None,
    ) -> tuple[JSON, str]:
        """The user shares a contact card (``name`` is the contact's, not the sender's).
        ``contact_wa_id`` defaults to the phone's digits; pass "" for a non-WhatsApp number."""
        entry: JSON = {"phone": phone, "type": "CELL"}
        shared_wa_id = re.sub(r"\D", "", phone) if contact_wa_id is None else contact_wa_id
        if shared_wa_id:
            entry["wa_id"] = shared_wa_id
        first, _, last = name.partition(" ")
        contact_name: JSON = {"formatted_name": name, "first_name": first}
        if last:
            contact_name["last_name"] = last
        card = [{"name": contact_name, "phones": [entry]}]
        return self.user_message(wa_id, "contacts", card, name=profile_name)

    def user_image(
        self,
        wa_id: str | int,
        media_id: str | None = None,
        *,
        caption: str | None = None,
        content: bytes = b"\xff\xd8\xff\xe0fake-jpeg",
        mime_type: str = "image/jpeg",
        name: str | None = None,
    ) -> tuple[JSON, str]:
        """The user sends a photo; the bytes are served by the media endpoints."""
        media_id = media_id or str(1_000_000_000_000 + next(self._numbers))
        stored = StoredMedia(media_id, content, mime_type)
        self.media[media_id] = stored
        image: JSON = {"mime_type": mime_type, "sha256": stored.sha256, "id": media_id}
        if caption is not None:
            image["caption"] = caption
        return self.user_message(wa_id, "image", image, name=name)

    def status_update(
        self,
        message_id: str,
        status: str,
        *,
        recipient_id: str | None = None,
        error_code: int | None = None,
        details: str | None = None,
    ) -> tuple[JSON, str]:
        """A ``statuses`` webhook (sent, delivered, read, failed) for one of the bot's messages.

        A failed status carries ``error_code`` (Meta's shape), else the error kept by an
        asynchronous fault for that message, else 131000.
        """
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
        message = self._messages.get(message_id)
        recipient = recipient_id or (message.wa_id if message else None)
        if recipient is None:
            raise LookupError(f"unknown message {message_id}: pass recipient_id")
        entry: JSON = {
            "id": message_id,
            "status": status,
            "timestamp": str(int(self.now)),
            "recipient_id": recipient,
        }
        if status == "failed":
            if error_code is not None:
                error = graph_error(error_code, details=details)
            elif message is not None and message.async_error is not None:
                error = message.async_error
            else:
                error = graph_error(131000, details=details)
            entry["errors"] = [error.webhook_error()]
        else:
            category = (
                "utility" if message is not None and message.type == "template" else "service"
            )
            conversation: JSON = {
                "id": hashlib.md5(f"{recipient}:{category}".encode()).hexdigest()[:30],
                "origin": {"type": category},
            }
            if status == "sent":
                conversation["expiration_timestamp"] = str(int(self.now) + WINDOW_SECONDS)
            entry["conversation"] = conversation
            entry["pricing"] = {"billable": True, "pricing_model": "CBP", "category": category}
        return self._envelope({"statuses": [entry]}), message_id

    async def post_webhook(
        self,
        url: str,
        body: JSON | tuple[JSON, str],
        app_secret: str | None = None,
        signature: str | None = None,
        *,
        timeout: float = 10.0,
    ) -> int:
        """POST a webhook body to the bot like Meta does; return the HTTP status.

        The body is serialised once (``meta_json``) and signed over those exact bytes with
        ``app_secret`` (default ``fake.app_secret``).  ``signature``: None = correct,
        "bad" = signed with another secret, "missing" = no header, anything else = sent as is.
        A builder's ``(body, id)`` tuple is accepted as ``body``.
        """
        if isinstance(body, tuple):
            body = body[0]
        raw = meta_json(body)
        secret = self.app_secret if app_secret is None else app_secret
        headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
        if signature is None:
            headers[SIGNATURE_HEADER] = sign(raw, secret)
        elif signature == "bad":
            headers[SIGNATURE_HEADER] = sign(raw, secret + "-not-the-app-secret")
        elif signature != "missing":
            headers[SIGNATURE_HEADER] = signature
        client_timeout = aiohttp.ClientTimeout(total=timeout)
        async with (
            aiohttp.ClientSession(timeout=client_timeout) as session,
            session.post(url, data=raw, headers=headers) as response,
        ):
            await response.read()
            self.deliveries.append(WebhookDelivery(url, body, raw, headers, response.status))
            return response.status

    async def verify_webhook(
        self,
        url: str,
        mode: str = "subscribe",
        token: str | None = None,
        challenge: str | None = None,
        *,
        timeout: float = 10.0,
    ) -> tuple[int, str]:
        """Meta's verification GET (``hub.mode``, ``hub.challenge``, ``hub.verify_token``).

        Returns (status, body text); a correct endpoint answers 200 with the challenge.
        """
        params = {
            "hub.mode": mode,
            "hub.challenge": challenge or str(1_000_000_000 + secrets.randbelow(9 * 10**9)),
            "hub.verify_token": self.verify_token if token is None else token,
        }
        client_timeout = aiohttp.ClientTimeout(total=timeout)
        async with (
            aiohttp.ClientSession(timeout=client_timeout) as session,
            session.get(url, params=params) as response,
        ):
            return response.status, await response.text()

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle_messages(self, request: web.Request) -> web.StreamResponse:
        payload = _parse_json(await request.read())
        call = RecordedCall("POST", request.path, payload, time.monotonic(), self.now)
        self.sent.append(call)
        to = payload.get("to") if payload else None
        if self._take_fault(to if isinstance(to, str) else None, drops=True) is not None:
            call.status = 0
            self._notify()
            assert request.transport is not None
            request.transport.close()
            raise web.HTTPException()  # nothing is written: the connection is gone
        try:
            self._authorize(request)
            self._check_object(request, request.match_info["phone_number_id"], self.phone_number_id)
            result = self._send(payload, call)
        except GraphError as error:
            return self._error_response(call, error)
        except Exception:  # a bug in the fake: make it loud, not a silent hang
            log.exception("fake WhatsApp server failed on %r", payload)
            return self._error_response(call, graph_error(131000, details="fake server bug"))
        call.response = result
        self._notify()
        return web.json_response(result)

    async def _handle_media_upload(self, request: web.Request) -> web.StreamResponse:
        """The business uploads a file (multipart: messaging_product, type, file)."""
        call = RecordedCall("POST", request.path, None, time.monotonic(), self.now)
        self.sent.append(call)
        try:
            self._authorize(request)
            self._check_object(request, request.match_info["phone_number_id"], self.phone_number_id)
            form = await request.post()
            if form.get("messaging_product") != "whatsapp":
                raise _required("messaging_product")
            upload = form.get("file")
            if not isinstance(upload, web.FileField):
                raise _required("file")
            content = upload.file.read()
            mime_type = str(form.get("type") or upload.content_type)
        except GraphError as error:
            return self._error_response(call, error)
        media_id = str(1_000_000_000_000 + next(self._numbers))
        self.media[media_id] = StoredMedia(media_id, content, mime_type)
        result = {"id": media_id}
        call.response = result
        self._notify()
        return web.json_response(result)

    async def _handle_media_info(self, request: web.Request) -> web.StreamResponse:
        call = RecordedCall("GET", request.path, None, time.monotonic(), self.now)
        self.sent.append(call)
        media_id = request.match_info["media_id"]
        try:
            self._authorize(request)
            stored = self.media.get(media_id)
            self._check_object(request, media_id, media_id if stored else None)
        except GraphError as error:
            return self._error_response(call, error)
        assert stored is not None
        result = {
            "messaging_product": "whatsapp",
            "url": f"{self.base_url}/media/{media_id}",
            "mime_type": stored.mime_type,
            "sha256": stored.sha256,
            "file_size": len(stored.content),
            "id": media_id,
        }
        call.response = result
        self._notify()
        return web.json_response(result)

    async def _handle_media_download(self, request: web.Request) -> web.StreamResponse:
        call = RecordedCall("GET", request.path, None, time.monotonic(), self.now)
        self.sent.append(call)
        try:
            self._authorize(request)
        except GraphError as error:
            return self._error_response(call, error)
        stored = self.media.get(request.match_info["media_id"])
        self._notify()
        if stored is None:
            call.status = 404
            return web.Response(status=404, text="Not Found")
        return web.Response(body=stored.content, content_type=stored.mime_type)

    async def _handle_unknown(self, request: web.Request) -> web.StreamResponse:
        call = RecordedCall(request.method, request.path, None, time.monotonic(), self.now)
        self.sent.append(call)
        object_id = request.path.strip("/").split("/")[-1] or "/"
        return self._error_response(call, _unsupported(request.method, object_id))

    def _error_response(self, call: RecordedCall, error: GraphError) -> web.Response:
        call.status = error.http_status
        call.response = error.body(_fbtrace_id())
        self._notify()
        return web.json_response(call.response, status=error.http_status, headers=error.headers)

    def _authorize(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() in ("bearer", "oauth") and credentials.strip():
            token: str | None = credentials.strip()
        else:
            token = request.query.get("access_token")
        if not token:
            raise GraphError(
                104,
                "An access token is required to request this resource.",
                http_status=401,
                message="An access token is required to request this resource.",
            )
        if not hmac.compare_digest(token, self.token):
            message = "Invalid OAuth access token - Cannot parse access token"
            raise GraphError(
                190,
                message,
                http_status=401,
                message=message,
                headers={
                    "WWW-Authenticate": f'OAuth "Facebook Platform" "invalid_token" "{message}"'
                },
            )

    def _check_object(self, request: web.Request, object_id: str, expected: str | None) -> None:
        version = request.match_info.get("version", "")
        if not VERSION_RE.fullmatch(version) or object_id != expected:
            raise _unsupported(request.method, object_id)

    def _send(self, payload: JSON | None, call: RecordedCall) -> JSON:
        if payload is None or "messaging_product" not in payload:
            raise _required("messaging_product")
        if payload["messaging_product"] != "whatsapp":
            raise _invalid(
                f"Param messaging_product must be 'whatsapp', not {payload['messaging_product']!r}"
            )
        if "status" in payload:
            return self._mark_read(payload)
        to = payload.get("to")
        if to is None:
            raise _required("to")
        if not isinstance(to, str) or not normalize_wa_id(to):
            raise _invalid(
                f"Param to must be a phone number or WhatsApp user id string, not {to!r}"
            )
        if payload.get("recipient_type", "individual") != "individual":
            raise _invalid("Param recipient_type must be 'individual'")
        msg_type = payload.get("type", "text")
        if msg_type not in SEND_TYPES:
            raise _invalid(
                f"Param type must be one of {', '.join(SEND_TYPES)} (the fake models no "
                f"{msg_type!r} messages)"
            )
        VALIDATORS[msg_type](payload)
        self._check_extras(payload)
        if msg_type == "template":
            self._check_registered_template(payload["template"])
        wa_id = normalize_wa_id(to)
        async_error: GraphError | None = None
        self._check_throttles(wa_id)
        fault = self._take_fault(to, drops=False)
        if fault is not None and fault.error is not None:
            if fault.hold > 0 and fault.error.code in THROTTLING:
                scope = wa_id if fault.error.code == PAIR_RATE_LIMIT else None
                self._throttles.append(_Throttle(fault.error, scope, self.now + fault.hold))
            if not fault.asynchronous:
                raise fault.error
            async_error = fault.error
        elif self._window and msg_type != "template" and not self.window_open(wa_id):
            error = graph_error(131047)
            if not self._window_async:
                raise error
            async_error = error
        wamid = self._new_id("OUT", wa_id)
        self._messages[wamid] = SentMessage(
            wamid, to, wa_id, msg_type, payload, self.now, async_error
        )
        call.message_id = wamid
        sent: JSON = {"id": wamid}
        if msg_type == "template":
            sent["message_status"] = "accepted"
        return {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": wa_id}],
            "messages": [sent],
        }

    def _check_extras(self, payload: JSON) -> None:
        context = payload.get("context")
        if context is not None and (
            not isinstance(context, dict)
            or not isinstance(context.get("message_id"), str)
            or not context["message_id"]
        ):
            raise _invalid("Param context['message_id'] is required")
        _string(
            payload,
            "biz_opaque_callback_data",
            "biz_opaque_callback_data",
            MAX_OPAQUE_DATA,
            required=False,
        )

    def _check_registered_template(self, template: JSON) -> None:
        if not self.templates:
            return
        name, language = template["name"], template["language"]["code"]
        spec = self.templates.get((name, language))
        if spec is None:
            raise GraphError(
                132001,
                "Template name does not exist in the translation",
                f"template name ({name}) does not exist in {language}",
                http_status=404,
            )
        counts: dict[str, int] = {}
        for component in template.get("components") or []:
            counts[component["type"]] = len(component.get("parameters") or [])
        for part, expected in (("header", spec.header_params), ("body", spec.body_params)):
            got = counts.get(part, 0)
            if got != expected:
                raise GraphError(
                    132000,
                    "Number of parameters does not match the expected number of params",
                    f"{part}: number of localizable_params ({got}) does not match the expected "
                    f"number of params ({expected})",
                )

    def _mark_read(self, payload: JSON) -> JSON:
        if payload.get("status") != "read":
            raise _invalid("Param status must be 'read'")
        message_id = payload.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            raise _required("message_id")
        if message_id in self._messages:
            raise _invalid(
                f"message_id {message_id} was sent by the business; only received messages "
                "can be marked as read"
            )
        indicator = payload.get("typing_indicator")
        if indicator is not None and indicator != {"type": "text"}:
            raise _invalid("Param typing_indicator must be {'type': 'text'}")
        self.read_receipts.append(message_id)
        return {"success": True}

    def _check_throttles(self, wa_id: str) -> None:
        self._throttles = [t for t in self._throttles if t.until > self.now]
        for throttle in self._throttles:
            if throttle.wa_id in (None, wa_id):
                raise throttle.error

    def _take_fault(self, to: str | None, *, drops: bool) -> _Fault | None:
        wa_id = normalize_wa_id(to) if to else None
        for fault in self._faults:
            if (fault.error is None) == drops and fault.matches(wa_id):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _find_option(
        self, wa_id: str | int, kind: str, option_id: str, message_id: str | None
    ) -> tuple[str, JSON]:
        for message in reversed(self.messages_to(wa_id)):
            if message_id is not None and message.id != message_id:
                continue
            interactive = message.payload.get("interactive") or {}
            if interactive.get("type") != kind:
                continue
            for option in message.reply_options:
                if option["id"] == option_id:
                    return message.id, option
        what = "reply button" if kind == "button" else "list row"
        raise LookupError(
            f"no message to {wa_id} offers a {what} with id {option_id!r}; pass title= and "
            "context_message_id= to simulate a reply to a message the fake never saw"
        )

    def _envelope(self, value: JSON) -> JSON:
        metadata = {
            "display_phone_number": self.display_phone_number,
            "phone_number_id": self.phone_number_id,
        }
        value = {"messaging_product": "whatsapp", "metadata": metadata, **value}
        change = {"value": value, "field": "messages"}
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": self.waba_id, "changes": [change]}],
        }

    def _new_id(self, direction: str, wa_id: str) -> str:
        """A unique id shaped like Meta's (``wamid.`` + base64, may contain ``/+=``)."""
        raw = f"{direction}:{wa_id}:{next(self._numbers)}:".encode() + secrets.token_bytes(9)
        return "wamid." + base64.b64encode(raw).decode()

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
