"""iCalendar (RFC 5545) files for "add to my calendar": one shift as one VEVENT.

Times are written as Asia/Riyadh wall time with a VTIMEZONE (UTC+3 all year, no daylight
saving), so calendar apps show the local time whatever the phone's zone. Text values are
escaped and lines folded at 75 octets without splitting a UTF-8 character.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

PRODID = "-//Taif Municipality//Shuraka//EN"
CONTENT_TYPE = "text/calendar"
MAX_OCTETS = 75


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    title: str
    starts_at: datetime  # aware (UTC in storage)
    ends_at: datetime
    description: str = ""
    location: str = ""
    geo: tuple[float, float] | None = None
    url: str = ""


def escape_text(value: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> list[str]:
    """Split a content line into lines of at most 75 octets; continuations start with a space."""
    parts: list[str] = []
    current = ""
    size = 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > MAX_OCTETS:
            parts.append(current)
            current, size = " ", 1
        current += ch
        size += width
    parts.append(current)
    return parts


def _local(dt: datetime, tz: ZoneInfo) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(tz).strftime("%Y%m%dT%H%M%S")


def _utc(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _offset(tz: ZoneInfo, at: datetime) -> str:
    delta = at.astimezone(tz).utcoffset()
    minutes = int(delta.total_seconds() // 60) if delta is not None else 0
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}{minutes % 60:02d}"


def build_ics(entries: list[CalendarEntry], now: datetime, tz_name: str = "Asia/Riyadh") -> bytes:
    tz = ZoneInfo(tz_name)
    offset = _offset(tz, now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VTIMEZONE",
        f"TZID:{tz_name}",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        f"TZOFFSETFROM:{offset}",
        f"TZOFFSETTO:{offset}",
        f"TZNAME:{offset[:3]}",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]
    for entry in entries:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{entry.uid}",
            f"DTSTAMP:{_utc(now)}",
            f"DTSTART;TZID={tz_name}:{_local(entry.starts_at, tz)}",
            f"DTEND;TZID={tz_name}:{_local(entry.ends_at, tz)}",
            f"SUMMARY:{escape_text(entry.title)}",
        ]
        if entry.description:
            lines.append(f"DESCRIPTION:{escape_text(entry.description)}")
        if entry.location:
            lines.append(f"LOCATION:{escape_text(entry.location)}")
        if entry.geo is not None:
            lines.append(f"GEO:{entry.geo[0]:.6f};{entry.geo[1]:.6f}")
        if entry.url:
            lines.append(f"URL:{entry.url}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    folded = [part for line in lines for part in fold(line)]
    return ("\r\n".join(folded) + "\r\n").encode("utf-8")


def map_url(lat: float, lon: float) -> str:
    return f"https://maps.google.com/?q={lat:.6f},{lon:.6f}"
