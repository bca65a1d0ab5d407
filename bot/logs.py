"""Logging for every `shuraka` process, with personal data kept out of the log lines.

Logs leave the database's protection (terminals, journald, log shippers), so phone numbers,
national IDs and platform user ids are masked in every record the process writes, message
and traceback alike, the way the bot masks them when it shows them to users. Message texts are
never passed to a log call in the first place; this filter is the net for what slips through
(an exception text quoting a value, a number in a library's message).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from aiohttp.web_log import AccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from bot.core.text import BULLET, mask_mobile, mask_national_id

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Arabic-Indic and Extended Arabic-Indic digits, one character each, so that positions found
# in the ASCII copy are positions in the original text.
_ASCII_DIGITS = {0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)}

# One pass, longest idea first: a Saudi mobile in any written form (05…, 5…, 9665…, +9665…,
# 009665…, grouped with spaces or dashes as people write them), a national ID / iqama number
# (10 digits starting 1 or 2), then anything else long enough to be a WhatsApp id (an
# international number) or a Telegram user id.
_PII = re.compile(
    r"(?<![0-9+])(?:"
    r"(?P<mobile>(?:(?:\+|00)?966[ -]?0?|0)?5[0-9](?:[0-9]{7}|[ -]?[0-9]{3}[ -]?[0-9]{4}))"
    r"|(?P<nid>[12][0-9]{9})"
    r"|(?P<intl>\+[0-9](?:[ -]?[0-9]){7,14})"
    r"|(?P<long>[0-9]{9,})"
    r")(?![0-9])"
)
_NOT_DIGIT = re.compile(r"[^0-9]")
_KEEP_DIGITS = 3


def _masked(match: re.Match[str]) -> str:
    digits = _NOT_DIGIT.sub("", match[0])
    if match["mobile"]:
        return mask_mobile("+966" + digits[-9:])
    if match["nid"]:
        return mask_national_id(digits)
    return BULLET * (len(digits) - _KEEP_DIGITS) + digits[-_KEEP_DIGITS:]


def mask_personal_data(text: str) -> str:
    """`text` with every phone number, national ID and long id masked (last digits kept)."""
    ascii_text = text.translate(_ASCII_DIGITS)
    out: list[str] = []
    last = 0
    for match in _PII.finditer(ascii_text):
        out.append(text[last : match.start()])
        out.append(_masked(match))
        last = match.end()
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


class PersonalDataFilter(logging.Filter):
    """Masks the formatted message, the exception text and the stack of every record.

    Installed on handlers (a logger's own filters do not see records from child loggers).
    The record is changed in place, so every handler after this one sees the masked text.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True  # a broken format: the handler reports it as usual
        record.msg, record.args = mask_personal_data(message), None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self._formatter.formatException(record.exc_info)
            # Without the exception object no later formatter can render the unmasked text.
            record.exc_info = None
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True


def install_filter(handlers: Iterable[logging.Handler]) -> None:
    for handler in handlers:
        if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
            handler.addFilter(PersonalDataFilter())


# What a record may carry beyond its message (`extra=`), written as JSON fields: references and
# closed sets only (an update's hashed reference, a job id, a channel, an outcome).
JSON_FIELDS = ("update", "job", "channel", "outcome", "duration_ms", "role")
# Libraries that log every update or job run at INFO (aiogram with the update and bot ids,
# APScheduler every few seconds, Alembic every step at start): the engine and the job
# tracker log updates and jobs once, as fields.
_CHATTY = ("aiogram.event", "apscheduler", "alembic")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, the known fields and the
    (masked) traceback. Runs after `PersonalDataFilter`, which masked message and traceback;
    string fields are masked here too, as a net."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in JSON_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                keep = name == "update" or not isinstance(value, str)  # a hash, or a number
                entry[name] = value if keep else mask_personal_data(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["error"] = mask_personal_data(record.exc_text)
        return json.dumps(entry, ensure_ascii=False)


def level_for(setting: str | None, service: bool, verbose: bool = False) -> int:
    """-v, else LOG_LEVEL, else INFO for a long-running service and WARNING for a command."""
    if verbose:
        return logging.DEBUG
    if setting:
        return logging.getLevelNamesMapping()[setting]
    return logging.INFO if service else logging.WARNING


def configure_logging(
    verbose: bool = False, *, level: int | None = None, fmt: str = "text"
) -> None:
    """The CLI's logging: stderr, WARNING (DEBUG with -v, or `level`), as text or one JSON
    object a line (`fmt`, LOG_FORMAT), personal data masked everywhere."""
    chosen = logging.DEBUG if verbose else (level if level is not None else logging.WARNING)
    logging.basicConfig(level=chosen, format=LOG_FORMAT)
    logging.root.setLevel(chosen)
    # aiosqlite logs every call with its arguments (the SQL parameters) at DEBUG.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, chosen))
    for name in _CHATTY:
        logging.getLogger(name).setLevel(chosen if verbose else max(logging.WARNING, chosen))
    if fmt == "json":
        for handler in logging.root.handlers:
            handler.setFormatter(JsonFormatter())
    install_filter(logging.root.handlers)


class PathOnlyAccessLogger(AccessLogger):
    """aiohttp's access log without query strings: Meta's webhook verification puts
    `hub.verify_token` there, and a secret must not reach a log file."""

    def _format_line(
        self, request: BaseRequest, response: StreamResponse, time: float
    ) -> Iterable[tuple[str | tuple[str, str], str]]:
        return [
            (key, _request_line(request) if key == "first_request_line" else value)
            for key, value in super()._format_line(request, response, time)
        ]


def _request_line(request: BaseRequest | None) -> str:
    if request is None:
        return "-"
    version = request.version
    query = "?…" if request.query_string else ""
    return f"{request.method} {request.path}{query} HTTP/{version.major}.{version.minor}"
