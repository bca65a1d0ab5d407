"""The .ics file: RFC 5545 lines (CRLF, folding at 75 octets, escaping), Riyadh wall time with
its VTIMEZONE, the place and its coordinates."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.calendar import CalendarEntry, build_ics, escape_text, fold

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def unfold(data: bytes) -> list[str]:
    text = data.decode("utf-8")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")  # only CRLF line ends
    lines: list[str] = []
    for raw in text.split("\r\n")[:-1]:
        if raw.startswith(" "):
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    return lines


def entry(**overrides: object) -> CalendarEntry:
    values: dict[str, object] = {
        "uid": "shuraka-registration-7@taif",
        "title": "حملة تشجير الردف",
        "starts_at": datetime(2026, 12, 1, 5, 0, tzinfo=UTC),  # 08:00 in Riyadh
        "ends_at": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        "description": "نزرع الأشجار معًا; أحضر قبعة, وماء\nسطر ثان",
        "location": "منتزه الردف، البوابة الشمالية",
        "geo": (21.2703, 40.4158),
        "url": "https://maps.google.com/?q=21.270300,40.415800",
    }
    values.update(overrides)
    return CalendarEntry(**values)  # type: ignore[arg-type]


def test_one_shift_as_an_event_in_riyadh_time() -> None:
    lines = unfold(build_ics([entry()], NOW))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines
    assert any(line.startswith("PRODID:") for line in lines)
    # the time zone is described, with Riyadh's fixed +03:00 offset
    tz_block = lines[lines.index("BEGIN:VTIMEZONE") : lines.index("END:VTIMEZONE") + 1]
    assert "TZID:Asia/Riyadh" in tz_block
    assert "TZOFFSETFROM:+0300" in tz_block and "TZOFFSETTO:+0300" in tz_block
    event = lines[lines.index("BEGIN:VEVENT") : lines.index("END:VEVENT") + 1]
    assert "DTSTART;TZID=Asia/Riyadh:20261201T080000" in event
    assert "DTEND;TZID=Asia/Riyadh:20261201T123000" in event
    assert "DTSTAMP:20261125T090000Z" in event
    assert "UID:shuraka-registration-7@taif" in event
    assert "SUMMARY:حملة تشجير الردف" in event
    assert "LOCATION:منتزه الردف، البوابة الشمالية" in event
    assert "GEO:21.270300;40.415800" in event
    assert "URL:https://maps.google.com/?q=21.270300,40.415800" in event
    # TEXT values are escaped: ; , \\ and new lines
    assert "DESCRIPTION:نزرع الأشجار معًا\\; أحضر قبعة\\, وماء\\nسطر ثان" in event


def test_long_lines_fold_at_75_octets_without_splitting_characters() -> None:
    long_title = "مهرجان الطائف للورد " * 10
    data = build_ics([entry(title=long_title)], NOW)
    for raw in data.split(b"\r\n"):
        assert len(raw) <= 75
        raw.decode("utf-8")  # no multi-byte character cut in half
    assert f"SUMMARY:{long_title}" in unfold(data)


def test_without_a_pin_there_is_no_geo() -> None:
    lines = unfold(build_ics([entry(geo=None, url="")], NOW))
    assert not any(line.startswith(("GEO:", "URL:")) for line in lines)


def test_helpers() -> None:
    assert escape_text("a,b;c\\d\r\ne") == "a\\,b\\;c\\\\d\\ne"
    assert fold("x" * 75) == ["x" * 75]
    assert fold("x" * 76) == ["x" * 75, " x"]
