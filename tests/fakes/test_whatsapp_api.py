"""The fake WhatsApp Cloud API, exercised over HTTP with a plain aiohttp client."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from fakes.whatsapp_api import (
    SIGNATURE_HEADER,
    FakeWhatsAppServer,
    meta_json,
    normalize_wa_id,
    sign,
)

TOKEN = "TEST-TOKEN"
PHONE_ID = "123456"
USER = "966501234567"
APP_SECRET = "shuraka-app-secret"
VERIFY_TOKEN = "shuraka-verify"

JSON = dict[str, Any]


@pytest.fixture
async def fake() -> AsyncIterator[FakeWhatsAppServer]:
    async with FakeWhatsAppServer(token=TOKEN, phone_number_id=PHONE_ID) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


Send = Callable[..., Awaitable[tuple[int, JSON]]]


@pytest.fixture
def send(fake: FakeWhatsAppServer, http: aiohttp.ClientSession) -> Send:
    """POST a message body the way our client will: JSON + bearer token."""

    async def post(
        body: JSON, *, token: str | None = TOKEN, phone_id: str = PHONE_ID
    ) -> tuple[int, JSON]:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        url = f"{fake.graph_url}/{phone_id}/messages"
        async with http.post(url, json=body, headers=headers) as response:
            return response.status, await response.json()

    return post


def text(body: str, to: str = USER) -> JSON:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"preview_url": False, "body": body},
    }


def buttons(*titles: str, body: str = "اختر", ids: list[str] | None = None) -> JSON:
    ids = ids or [f"b{i}" for i in range(len(titles))]
    return {
        "messaging_product": "whatsapp",
        "to": USER,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "header": {"type": "text", "text": "شركاء"},
            "body": {"text": body},
            "footer": {"text": "بلدية الطائف"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": i, "title": t}}
                    for i, t in zip(ids, titles, strict=True)
                ]
            },
        },
    }


def list_message(*sections: JSON, button: str = "الخيارات") -> JSON:
    return {
        "messaging_product": "whatsapp",
        "to": USER,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "اختر مبادرة"},
            "action": {"button": button, "sections": list(sections)},
        },
    }


def section(rows: int, title: str | None = "المبادرات", prefix: str = "r", **row: Any) -> JSON:
    result: JSON = {
        "rows": [{"id": f"{prefix}{i}", "title": f"مبادرة {i}", **row} for i in range(rows)]
    }
    if title is not None:
        result["title"] = title
    return result


def template(name: str = "weekly_digest", *params: str, language: str = "ar") -> JSON:
    body: JSON = {
        "messaging_product": "whatsapp",
        "to": USER,
        "type": "template",
        "template": {"name": name, "language": {"code": language}},
    }
    if params:
        parameters = [{"type": "text", "text": p} for p in params]
        body["template"]["components"] = [{"type": "body", "parameters": parameters}]
    return body


def outbound(kind: str, content: JSON) -> JSON:
    return {"messaging_product": "whatsapp", "to": USER, "type": kind, kind: content}


def assert_meta_error(body: JSON, code: int) -> JSON:
    """Meta's error envelope; returns the error object."""
    error = body["error"]
    assert error["code"] == code
    assert error["type"] == "OAuthException"
    assert error["message"].startswith(f"(#{code}) ")
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert isinstance(error["error_data"]["details"], str)
    assert isinstance(error["fbtrace_id"], str) and error["fbtrace_id"]
    return dict(error)


# ---------------------------------------------------------------- sending: valid


async def test_text_is_accepted_recorded_and_shaped_like_meta(
    fake: FakeWhatsAppServer, send: Send
) -> None:
    status, body = await send(text("أهلاً بك في شركاء"))
    assert status == 200
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": USER, "wa_id": USER}]
    [message] = body["messages"]
    assert message["id"].startswith("wamid.") and "message_status" not in message

    [sent] = fake.messages_to(USER)
    assert (sent.id, sent.type, sent.text) == (message["id"], "text", "أهلاً بك في شركاء")
    [call] = fake.calls("text", to=USER)
    assert call.ok and call.message_id == message["id"] and call.payload == text("أهلاً بك في شركاء")
    assert fake.sent == [call]


async def test_ids_are_unique_and_recipients_normalised(
    fake: FakeWhatsAppServer, send: Send
) -> None:
    first = await send(text("1", to="+966 50 123 4567"))
    second = await send(text("2", to="966501234567"))
    assert first[1]["contacts"] == [{"input": "+966 50 123 4567", "wa_id": USER}]
    assert first[1]["messages"][0]["id"] != second[1]["messages"][0]["id"]
    assert [m.text for m in fake.messages_to("+966501234567")] == ["1", "2"]
    assert normalize_wa_id("+1 (650) 555-1234") == "16505551234"


async def test_reply_buttons_are_accepted(fake: FakeWhatsAppServer, send: Send) -> None:
    status, _ = await send(buttons("نعم، أشارك", "لا", "لاحقاً"))
    assert status == 200
    [sent] = fake.messages_to(USER)
    assert sent.text == "اختر" and sent.reply_ids == ["b0", "b1", "b2"]


async def test_twenty_arabic_letters_fit_a_button_title(send: Send) -> None:
    status, _ = await send(buttons("ا" * 20))  # 20 characters (40 UTF-8 bytes)
    assert status == 200
    status, body = await send(buttons("ا" * 21))
    assert status == 400 and assert_meta_error(body, 131009)


async def test_list_is_accepted_with_ten_rows_over_two_sections(
    fake: FakeWhatsAppServer, send: Send
) -> None:
    rows = section(6, "الأحياء", prefix="h", description="و" * 72)
    status, _ = await send(list_message(rows, section(4, "المدارس", prefix="s")))
    assert status == 200
    assert len(fake.messages_to(USER)[0].reply_options) == 10


async def test_template_image_document_location_are_accepted(
    fake: FakeWhatsAppServer, send: Send
) -> None:
    status, body = await send(template("weekly_digest", "سارة", "٣ مبادرات"))
    assert status == 200 and body["messages"][0]["message_status"] == "accepted"
    image_by_id = outbound("image", {"id": "1234567890", "caption": "صورة"})
    document = outbound("document", {"link": "https://example.org/a.pdf", "filename": "تقرير.pdf"})
    location = outbound("location", {"latitude": 21.27, "longitude": 40.41, "name": "الطائف"})
    for body in (image_by_id, document, location):
        status, answer = await send(body)
        assert status == 200, answer
    kinds = [(m.type, m.text) for m in fake.messages_to(USER)]
    assert kinds == [("template", None), ("image", "صورة"), ("document", None), ("location", None)]
    assert fake.messages_to(USER)[0].template_name == "weekly_digest"


async def test_mark_as_read(fake: FakeWhatsAppServer, send: Send) -> None:
    _, inbound_id = fake.user_text(USER, "مرحبا")
    receipt = {"messaging_product": "whatsapp", "status": "read", "message_id": inbound_id}
    assert await send(receipt) == (200, {"success": True})
    assert fake.read_receipts == [inbound_id] and fake.calls("read")[0].ok
    assert fake.messages_to(USER) == []
    _, sent = await send(text("x"))
    own = {**receipt, "message_id": sent["messages"][0]["id"]}
    status, body = await send(own)
    assert status == 400 and assert_meta_error(body, 100)


# ---------------------------------------------------------------- sending: refused


def _with_interactive(body: JSON, **changes: Any) -> JSON:
    body["interactive"].update(changes)
    return body


INVALID: list[tuple[str, JSON, int, str]] = [
    ("four buttons", buttons("أ", "ب", "ج", "د"), 131009, "Buttons count"),
    ("21-char title", buttons("x" * 21), 131009, "Button title length invalid"),
    ("empty title", buttons(" "), 131009, "Button title length invalid"),
    ("duplicate ids", buttons("أ", "ب", ids=["same", "same"]), 131009, "unique"),
    ("duplicate titles", buttons("أ", "أ"), 131009, "unique"),
    ("257-char id", buttons("أ", ids=["i" * 257]), 131009, "Button id length"),
    ("1025-char button body", buttons("أ", body="ب" * 1025), 100, "1024"),
    ("empty interactive body", buttons("أ", body=""), 100, "interactive['body']['text']"),
    (
        "61-char header",
        _with_interactive(buttons("أ"), header={"type": "text", "text": "h" * 61}),
        100,
        "60",
    ),
    (
        "11 rows in total",
        list_message(section(6, "أ", prefix="a"), section(5, "ب", prefix="b")),
        131009,
        "Total row count exceed max allowed count: 10",
    ),
    (
        "25-char row title",
        list_message({"rows": [{"id": "r", "title": "ع" * 25}]}),
        131009,
        "Row title is too long",
    ),
    (
        "73-char row description",
        list_message(section(1, description="d" * 73)),
        131009,
        "Row description is too long",
    ),
    ("201-char row id", list_message({"rows": [{"id": "i" * 201, "title": "t"}]}), 131009, "id"),
    (
        "two sections, one untitled",
        list_message(section(1, "أ", prefix="a"), section(1, None, prefix="b")),
        131009,
        "Section title is required",
    ),
    ("25-char section title", list_message(section(1, "ق" * 25)), 131009, "Section title"),
    ("empty section", list_message(section(0)), 131009, "at least one row"),
    ("duplicate row ids", list_message(section(1, "أ"), section(1, "ب")), 131009, "unique"),
    ("21-char list button", list_message(section(1), button="ز" * 21), 131009, "label"),
    ("empty text body", text(""), 100, "text['body']"),
    ("blank text body", text("   "), 100, "text['body']"),
    ("4097-char text", text("ن" * 4097), 100, "4096"),
    ("unsupported type", {**text("x"), "type": "sticker"}, 100, "sticker"),
    ("no text object", {"messaging_product": "whatsapp", "to": USER, "type": "text"}, 100, "text"),
    ("bad recipient", text("x", to="12"), 100, "Param to"),
    ("template without language", {**template(), "template": {"name": "t"}}, 100, "language"),
    (
        "template param with newline",
        template("t", "سطر\nسطر"),
        100,
        "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
    ),
    (
        "image with id and link",
        outbound("image", {"id": "1", "link": "https://example.org/a.png"}),
        100,
        "exactly one",
    ),
    (
        "location without longitude",
        outbound("location", {"latitude": 21.2}),
        100,
        "longitude",
    ),
    ("reply context without id", {**text("x"), "context": {}}, 100, "context"),
]


@pytest.mark.parametrize(
    ("body", "code", "details"), [case[1:] for case in INVALID], ids=[c[0] for c in INVALID]
)
async def test_invalid_requests_are_refused_like_meta(
    fake: FakeWhatsAppServer, send: Send, body: JSON, code: int, details: str
) -> None:
    status, answer = await send(body)
    assert status == 400
    error = assert_meta_error(answer, code)
    expected_message = "Invalid parameter" if code == 100 else "Parameter value is not valid"
    assert error["message"] == f"(#{code}) {expected_message}"
    assert details in error["error_data"]["details"]
    assert fake.messages_to(USER) == []
    [call] = fake.sent
    assert (call.status, call.code, call.ok) == (400, code, False)


async def test_missing_messaging_product_uses_metas_wording(send: Send) -> None:
    body = text("x")
    del body["messaging_product"]
    status, answer = await send(body)
    assert status == 400
    assert answer["error"]["message"] == "(#100) The parameter messaging_product is required."
    assert answer["error"]["code"] == 100 and "error_data" not in answer["error"]


async def test_bad_missing_token_and_wrong_phone_number_id(
    fake: FakeWhatsAppServer, send: Send, http: aiohttp.ClientSession
) -> None:
    url = f"{fake.graph_url}/{PHONE_ID}/messages"
    async with http.post(url, json=text("x"), headers={"Authorization": "Bearer nope"}) as r:
        assert r.status == 401
        assert 'OAuth "Facebook Platform" "invalid_token"' in r.headers["WWW-Authenticate"]
        error = (await r.json())["error"]
    assert error["code"] == 190 and error["type"] == "OAuthException"
    assert error["message"] == "Invalid OAuth access token - Cannot parse access token"
    status, body = await send(text("x"), token=None)
    assert status == 401 and body["error"]["code"] == 104
    status, body = await send(text("x"), phone_id="999")
    assert status == 400
    assert (body["error"]["type"], body["error"]["error_subcode"]) == ("GraphMethodException", 33)
    assert "Object with ID '999' does not exist" in body["error"]["message"]
    assert fake.messages_to(USER) == [] and [c.status for c in fake.sent] == [401, 401, 400]


# ---------------------------------------------------------------- fault injection


@pytest.mark.parametrize(
    ("code", "http_status", "message", "details"),
    [
        (131047, 400, "(#131047) Re-engagement message", "more than 24 hours have passed"),
        (131026, 400, "(#131026) Message Undeliverable", "Message Undeliverable."),
        (130429, 429, "(#130429) Rate limit hit", "too many messages sent from this phone"),
        (
            131056,
            429,
            "(#131056) (Business Account, Consumer Account) pair rate limit hit",
            "to the same phone number",
        ),
        (500, 500, "(#131000) Something went wrong", "unknown error"),
    ],
)
async def test_injected_errors_have_metas_shape(
    fake: FakeWhatsAppServer,
    send: Send,
    code: int,
    http_status: int,
    message: str,
    details: str,
) -> None:
    fake.fail_next(code)
    status, body = await send(text("x"))
    assert status == http_status
    error = assert_meta_error(body, 131000 if code == 500 else code)
    assert error["message"] == message and details in error["error_data"]["details"]
    assert "error_subcode" not in error
    assert fake.messages_to(USER) == []
    assert (await send(text("x")))[0] == 200  # one failure only


async def test_fault_times_recipient_filter_and_status_override(
    fake: FakeWhatsAppServer, send: Send
) -> None:
    other = "966555555555"
    fake.fail_next(131026, times=2, to=other)
    fake.fail_next(130429, http_status=400)
    assert (await send(text("x", to=other)))[0] == 400  # the 131026 fault, matched first
    status, body = await send(text("x", to=USER))
    assert (status, body["error"]["code"]) == (400, 130429)  # status overridden
    assert (await send(text("x", to=USER)))[0] == 200
    status, body = await send(text("x", to=other))
    assert (status, body["error"]["code"]) == (400, 131026)
    assert (await send(text("x", to=other)))[0] == 200
    assert [c.code for c in fake.calls()] == [131026, 130429, None, 131026, None]


async def test_a_held_throttle_lasts_on_the_fakes_clock(
    fake: FakeWhatsAppServer, send: Send
) -> None:
    other = "966555555555"
    fake.fail_next(131056, to=USER, hold=6)  # the pair (business, USER) only
    assert (await send(text("x", to=USER)))[1]["error"]["code"] == 131056
    assert (await send(text("x", to=other)))[0] == 200
    fake.advance(5)
    assert (await send(text("x", to=USER)))[1]["error"]["code"] == 131056
    fake.advance(1)
    assert (await send(text("x", to=USER)))[0] == 200
    fake.fail_next(130429, hold=2)  # the number's throughput: every recipient
    assert (await send(text("x", to=USER)))[1]["error"]["code"] == 130429
    assert (await send(text("x", to=other)))[1]["error"]["code"] == 130429
    fake.advance(2)
    assert (await send(text("x", to=other)))[0] == 200


async def test_validation_wins_over_injected_faults(fake: FakeWhatsAppServer, send: Send) -> None:
    fake.fail_next(131047)
    status, body = await send(buttons("x" * 21))
    assert (status, body["error"]["code"]) == (400, 131009)
    assert (await send(text("x")))[1]["error"]["code"] == 131047


async def test_asynchronous_failure_arrives_as_failed_status(
    fake: FakeWhatsAppServer, send: Send
) -> None:
    fake.fail_next(131026, asynchronous=True)
    status, body = await send(text("x"))
    assert status == 200
    wamid = body["messages"][0]["id"]
    status_body, _ = fake.status_update(wamid, "failed")
    [entry] = status_body["entry"][0]["changes"][0]["value"]["statuses"]
    assert (entry["id"], entry["status"], entry["recipient_id"]) == (wamid, "failed", USER)
    [error] = entry["errors"]
    assert error["code"] == 131026 and error["title"] == "Message Undeliverable"
    assert error["error_data"] == {"details": "Message Undeliverable."}
    assert error["href"].startswith("https://developers.facebook.com/")


async def test_dropped_connection(fake: FakeWhatsAppServer, send: Send) -> None:
    fake.drop_connection_next()
    with pytest.raises(aiohttp.ClientError):
        await send(text("x"))
    assert fake.sent[0].status == 0
    assert (await send(text("x")))[0] == 200


# ---------------------------------------------------------------- 24-hour window


async def test_window_enforcement_with_a_controllable_clock(
    fake: FakeWhatsAppServer, send: Send
) -> None:
    fake.enforce_window(True)
    status, body = await send(text("مرحبا"))  # the user never wrote
    assert status == 400 and assert_meta_error(body, 131047)
    assert (await send(template()))[0] == 200  # templates always pass

    fake.user_text(USER, "السلام عليكم")
    assert (await send(text("وعليكم السلام")))[0] == 200
    fake.advance(hours=24)  # exactly 24 hours: still open
    assert (await send(buttons("نعم")))[0] == 200
    fake.advance(seconds=1)
    status, body = await send(buttons("نعم"))
    assert status == 400 and body["error"]["code"] == 131047
    assert not fake.window_open(USER)
    assert (await send(template()))[0] == 200

    fake.user_button_reply(USER, "b0")  # replying to the earlier buttons reopens it
    assert fake.window_open(USER) and (await send(text("شكراً")))[0] == 200
    fake.enforce_window(False)
    fake.advance(hours=100)
    assert (await send(text("x")))[0] == 200


async def test_window_can_fail_asynchronously(fake: FakeWhatsAppServer, send: Send) -> None:
    fake.enforce_window(asynchronous=True)
    status, body = await send(text("x"))
    assert status == 200
    message = fake.message(body["messages"][0]["id"])
    assert message.async_error is not None and message.async_error.code == 131047
    failed, _ = fake.status_update(message.id, "failed")
    errors = failed["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"]
    assert errors[0]["code"] == 131047


# ---------------------------------------------------------------- templates


async def test_registered_templates(fake: FakeWhatsAppServer, send: Send) -> None:
    fake.register_template("weekly_digest", "ar", body_params=2)
    assert (await send(template("weekly_digest", "سارة", "٣")))[0] == 200
    status, body = await send(template("weekly_digest", "سارة"))
    assert status == 400 and assert_meta_error(body, 132000)
    assert "body: number of localizable_params (1)" in body["error"]["error_data"]["details"]
    status, body = await send(template("weekly_digest", "أ", "ب", language="en"))
    assert status == 404 and assert_meta_error(body, 132001)
    assert body["error"]["error_data"]["details"] == (
        "template name (weekly_digest) does not exist in en"
    )


# ---------------------------------------------------------------- the user side


def value_of(body: JSON) -> JSON:
    assert body["object"] == "whatsapp_business_account"
    [entry] = body["entry"]
    [change] = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {"display_phone_number": "15550001234", "phone_number_id": PHONE_ID}
    return dict(value)


def test_user_text_builder(fake: FakeWhatsAppServer) -> None:
    fake.now = 1_760_000_000.5
    body, message_id = fake.user_text(USER, "أريد التطوع", name="سارة")
    value = value_of(body)
    assert value["contacts"] == [{"profile": {"name": "سارة"}, "wa_id": USER}]
    [message] = value["messages"]
    assert message == {
        "from": USER,
        "id": message_id,
        "timestamp": "1760000000",
        "type": "text",
        "text": {"body": "أريد التطوع"},
    }
    assert message_id.startswith("wamid.")
    # The profile name is remembered for the user's next messages.
    again, other_id = fake.user_location(USER, 21.27, 40.41)
    assert value_of(again)["contacts"][0]["profile"]["name"] == "سارة"
    assert other_id != message_id


async def test_button_and_list_replies_point_at_the_offering_message(
    fake: FakeWhatsAppServer, send: Send
) -> None:
    _, sent = await send(buttons("نعم", "لا", ids=["yes", "no"]))
    buttons_id = sent["messages"][0]["id"]
    rows = section(2, "المبادرات", prefix="init:", description="وصف")
    _, sent = await send(list_message(rows))
    list_id = sent["messages"][0]["id"]

    body, _ = fake.user_button_reply(USER, "no")
    [message] = value_of(body)["messages"]
    assert message["type"] == "interactive"
    assert message["context"] == {"from": "15550001234", "id": buttons_id}
    assert message["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "no", "title": "لا"},
    }

    body, _ = fake.user_list_reply(USER, "init:1")
    [message] = value_of(body)["messages"]
    assert message["context"]["id"] == list_id
    assert message["interactive"] == {
        "type": "list_reply",
        "list_reply": {"id": "init:1", "title": "مبادرة 1", "description": "وصف"},
    }

    with pytest.raises(LookupError):
        fake.user_button_reply(USER, "maybe")
    stale, _ = fake.user_button_reply(USER, "old", "قديم", context_message_id="wamid.OLD")
    assert value_of(stale)["messages"][0]["context"]["id"] == "wamid.OLD"


def test_location_contacts_and_image_builders(fake: FakeWhatsAppServer) -> None:
    body, _ = fake.user_location(USER, 21.2703, 40.4158, place_name="الطائف", address="حي الشهداء")
    [message] = value_of(body)["messages"]
    assert message["type"] == "location"
    assert message["location"] == {
        "latitude": 21.2703,
        "longitude": 40.4158,
        "name": "الطائف",
        "address": "حي الشهداء",
    }

    body, _ = fake.user_contacts(USER, "+966 55 000 1111", "خالد العتيبي", profile_name="سارة")
    value = value_of(body)
    assert value["contacts"][0]["profile"]["name"] == "سارة"
    [card] = value["messages"][0]["contacts"]
    assert card["name"] == {
        "formatted_name": "خالد العتيبي",
        "first_name": "خالد",
        "last_name": "العتيبي",
    }
    assert card["phones"] == [
        {"phone": "+966 55 000 1111", "type": "CELL", "wa_id": "966550001111"}
    ]

    body, _ = fake.user_image(USER, media_id="777", caption="بلاغ")
    [message] = value_of(body)["messages"]
    assert message["type"] == "image"
    assert message["image"]["id"] == "777" and message["image"]["caption"] == "بلاغ"
    assert message["image"]["mime_type"] == "image/jpeg" and message["image"]["sha256"]


async def test_media_lookup_and_download(
    fake: FakeWhatsAppServer, http: aiohttp.ClientSession
) -> None:
    fake.user_image(USER, media_id="777", content=b"JPEG!")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with http.get(f"{fake.graph_url}/777", headers=auth) as response:
        assert response.status == 200
        info = await response.json()
    assert info["id"] == "777" and info["mime_type"] == "image/jpeg" and info["file_size"] == 5
    async with http.get(info["url"], headers=auth) as response:
        assert (response.status, await response.read()) == (200, b"JPEG!")
    async with http.get(info["url"]) as response:
        assert response.status == 401
    async with http.get(f"{fake.graph_url}/404404", headers=auth) as response:
        assert response.status == 400
        assert (await response.json())["error"]["error_subcode"] == 33


async def test_status_update_builder(fake: FakeWhatsAppServer, send: Send) -> None:
    _, sent = await send(text("x"))
    wamid = sent["messages"][0]["id"]
    body, status_id = fake.status_update(wamid, "delivered")
    value = value_of(body)
    assert status_id == wamid and "messages" not in value and "contacts" not in value
    [entry] = value["statuses"]
    assert (entry["id"], entry["status"], entry["recipient_id"]) == (wamid, "delivered", USER)
    assert entry["timestamp"] == str(int(fake.now)) and "errors" not in entry
    assert entry["pricing"]["category"] == "service"

    failed, _ = fake.status_update(wamid, "failed", error_code=131047)
    error = value_of(failed)["statuses"][0]["errors"][0]
    assert error["code"] == 131047 and error["title"] == error["message"] == "Re-engagement message"
    with pytest.raises(ValueError):
        fake.status_update(wamid, "seen")
    with pytest.raises(LookupError):
        fake.status_update("wamid.unknown", "read")


# ---------------------------------------------------------------- webhooks to the bot


class TinyWebhook:
    """A minimal bot endpoint: Meta's GET handshake and HMAC check on the raw bytes."""

    def __init__(self, app_secret: str, verify_token: str) -> None:
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.raw: list[bytes] = []
        self.bodies: list[JSON] = []

    async def verify(self, request: web.Request) -> web.Response:
        query = request.query
        if (query.get("hub.mode"), query.get("hub.verify_token")) == (
            "subscribe",
            self.verify_token,
        ):
            return web.Response(text=query.get("hub.challenge", ""))
        return web.Response(status=403)

    async def receive(self, request: web.Request) -> web.Response:
        raw = await request.read()
        header = request.headers.get(SIGNATURE_HEADER)
        if header is None:
            return web.Response(status=401)
        expected = hmac.new(self.app_secret.encode(), raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(header, f"sha256={expected}"):
            return web.Response(status=403)
        self.raw.append(raw)
        self.bodies.append(json.loads(raw))
        return web.Response(text="EVENT_RECEIVED")


@pytest.fixture
async def webhook() -> AsyncIterator[tuple[TinyWebhook, str]]:
    hook = TinyWebhook(APP_SECRET, VERIFY_TOKEN)
    app = web.Application()
    app.router.add_get("/wa", hook.verify)
    app.router.add_post("/wa", hook.receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield hook, f"http://127.0.0.1:{port}/wa"
    await runner.cleanup()


async def test_post_webhook_signs_the_raw_bytes(
    fake: FakeWhatsAppServer, webhook: tuple[TinyWebhook, str]
) -> None:
    hook, url = webhook
    body, _ = fake.user_text(USER, "مرحبا / أهلاً", name="سارة")
    assert await fake.post_webhook(url, body, app_secret=APP_SECRET) == 200
    [raw] = hook.raw
    assert hook.bodies == [body]
    # Meta signs an ASCII-only serialisation: Arabic as \uXXXX (lowercase) and "/" as "\/".
    assert raw == meta_json(body) and raw.isascii()
    assert b"\\u0645\\u0631\\u062d\\u0628\\u0627 \\/ " in raw
    assert fake.deliveries[0].headers[SIGNATURE_HEADER] == sign(raw, APP_SECRET)
    # A bot that re-encodes the parsed JSON computes a different HMAC.
    reencoded = json.dumps(json.loads(raw), ensure_ascii=False).encode()
    assert sign(reencoded, APP_SECRET) != sign(raw, APP_SECRET)

    # A builder's (body, id) tuple is accepted as is.
    assert await fake.post_webhook(url, fake.user_text(USER, "x"), app_secret=APP_SECRET) == 200
    assert await fake.post_webhook(url, body, app_secret=APP_SECRET, signature="bad") == 403
    assert await fake.post_webhook(url, body, app_secret="another-secret") == 403
    assert await fake.post_webhook(url, body, app_secret=APP_SECRET, signature="missing") == 401
    assert await fake.post_webhook(url, body, app_secret=APP_SECRET, signature="sha256=00") == 403
    assert len(hook.bodies) == 2
    assert [d.status for d in fake.deliveries] == [200, 200, 403, 403, 401, 403]


def test_sign_matches_a_hand_computed_hmac() -> None:
    raw = b'{"object":"whatsapp_business_account"}'
    digest = hmac.new(b"secret", raw, hashlib.sha256).hexdigest()
    assert sign(raw, "secret") == "sha256=" + digest


async def test_verification_round_trip(
    fake: FakeWhatsAppServer, webhook: tuple[TinyWebhook, str]
) -> None:
    _, url = webhook
    assert await fake.verify_webhook(url, token=VERIFY_TOKEN, challenge="1158201444") == (
        200,
        "1158201444",
    )
    status, challenge = await fake.verify_webhook(url, token=VERIFY_TOKEN)
    assert status == 200 and challenge.isdigit()
    assert (await fake.verify_webhook(url, token="wrong"))[0] == 403
    assert (await fake.verify_webhook(url, mode="unsubscribe", token=VERIFY_TOKEN))[0] == 403
    fake.verify_token = VERIFY_TOKEN
    assert (await fake.verify_webhook(url, challenge="42")) == (200, "42")


# ---------------------------------------------------------------- waiting


async def test_wait_for_messages_wakes_on_arrival(fake: FakeWhatsAppServer, send: Send) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await send(text("1"))
        await send(text("2"))

    task = asyncio.create_task(later())
    messages = await fake.wait_for_messages(USER, count=2, timeout=2)
    assert [m.text for m in messages] == ["1", "2"]
    await task
    assert await fake.wait_for(lambda: fake.calls("text"), timeout=0.1)


async def test_wait_for_times_out_with_context(fake: FakeWhatsAppServer, send: Send) -> None:
    await send(buttons("x" * 21))
    with pytest.raises(TimeoutError, match="last calls"):
        await fake.wait_for_messages(USER, timeout=0.05)


async def test_base_and_graph_urls() -> None:
    server = FakeWhatsAppServer()
    with pytest.raises(RuntimeError):
        _ = server.base_url
    async with server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.graph_url == server.base_url + "/v21.0"
