"""Outbound messages as WhatsApp bodies, within WhatsApp's limits."""

from __future__ import annotations

from bot.channels.whatsapp import Labels, page_count, render, to_whatsapp_text
from bot.core.messages import Choice, Location, Outbound

LABELS = Labels("الخيارات", "التالي", "السابق", "اختر:")


def choices(n: int, nav: int = 0) -> tuple[Choice, ...]:
    items = [Choice(f"f:s:o{i}", f"خيار {i}") for i in range(n)]
    items += [Choice(f"f:s:_{i}", f"تنقل {i}") for i in range(nav)]
    return tuple(items)


def test_three_choices_are_reply_buttons_and_long_labels_stay_whole_in_the_body() -> None:
    out = Outbound("<b>سؤال</b> &amp; جواب", (Choice("f:s:a", "نعم"), Choice("f:s:b", "ب" * 30)))
    [body] = render(out, LABELS)
    interactive = body["interactive"]
    assert interactive["type"] == "button"
    titles = [b["reply"]["title"] for b in interactive["action"]["buttons"]]
    assert titles[0] == "نعم" and len(titles[1]) == 20 and titles[1].endswith("…")
    assert interactive["body"]["text"].startswith("*سؤال* & جواب")
    assert "ب" * 30 in interactive["body"]["text"]


def test_ten_choices_are_one_list() -> None:
    [body] = render(Outbound("اختر", choices(10)), LABELS)
    rows = body["interactive"]["action"]["sections"][0]["rows"]
    assert body["interactive"]["type"] == "list" and len(rows) == 10


def test_a_menu_of_twelve_pages_with_next_and_previous() -> None:
    menu = Outbound("اختر", choices(10, nav=2))  # 12 choices: 10 options, back and cancel
    assert page_count(menu.choices) == 2
    first = render(menu, LABELS, 0)[0]["interactive"]["action"]["sections"][0]["rows"]
    second = render(menu, LABELS, 1)[0]["interactive"]["action"]["sections"][0]["rows"]
    assert [r["id"] for r in first] == [
        *(f"f:s:o{i}" for i in range(6)),
        "~pg:1",
        "f:s:_0",
        "f:s:_1",
    ]
    assert [r["id"] for r in second] == [
        *(f"f:s:o{i}" for i in range(6, 10)),
        "~pg:0",
        "f:s:_0",
        "f:s:_1",
    ]
    assert all(len(r["title"]) <= 24 for r in first + second)


def test_long_text_is_split_and_a_pin_follows() -> None:
    out = Outbound("سطر\n" * 3000, location=Location(21.27, 40.41))
    bodies = render(out, LABELS)
    assert all(len(b["text"]["body"]) <= 4096 for b in bodies[:-1] if b["type"] == "text")
    assert bodies[-1] == {"type": "location", "location": {"latitude": 21.27, "longitude": 40.41}}


def test_html_becomes_whatsapp_markup() -> None:
    assert to_whatsapp_text('<b>a</b> <i>b</i> <a href="https://x.sa">c</a> &lt;d&gt;') == (
        "*a* _b_ c (https://x.sa) <d>"
    )
