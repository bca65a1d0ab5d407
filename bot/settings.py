"""Settings from the environment (and an optional .env), split per concern."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///shuraka.db"
_QUIET = re.compile(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d")
_CONTACT_PHONE = re.compile(r"\+?[0-9][0-9 -]{1,18}[0-9]")
# Telegram bot usernames: 5-32 characters, a letter first, ending in "bot" (any case).
_BOT_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{1,28}[Bb][Oo][Tt]")
_BUSINESS_NUMBER = re.compile(r"[1-9][0-9]{7,14}")
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}")
# What an ADMIN_IDS entry's id must look like on each channel: Telegram user ids are positive
# integers, WhatsApp ids are the sender's digits (no "+"), console ids a simple word.
_ADMIN_ID_FORMS = {
    "telegram": (re.compile(r"[1-9][0-9]{0,19}"), "a positive number"),
    "whatsapp": (re.compile(r"[1-9][0-9]{5,19}"), "digits only, without '+'"),
    "console": (re.compile(r"[A-Za-z0-9_.-]{1,64}"), "a simple word"),
}
# Telegram takes 1-256 of these characters as a webhook secret; fewer than 32 is guessable.
WEBHOOK_SECRET_MIN, WEBHOOK_SECRET_MAX = 32, 256
# The web's sessions and CSRF tokens are signed with WEB_SESSION_SECRET: as long as a webhook's.
WEB_SECRET_MIN = 32
_WEBHOOK_SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]*")


class ConfigError(Exception):
    """A missing or invalid setting; the message is one line meant for the operator."""


def webhook_secret_problem(secret: str) -> str | None:
    """Why `secret` cannot be the Telegram webhook secret, or None. Never quotes the secret."""
    if not secret.strip():
        return "is empty"
    if not _WEBHOOK_SECRET_CHARS.fullmatch(secret):
        return "may only contain A-Z a-z 0-9 _ -"
    if len(secret) < WEBHOOK_SECRET_MIN:
        return f"must be at least {WEBHOOK_SECRET_MIN} characters"
    if len(secret) > WEBHOOK_SECRET_MAX:
        return f"must be at most {WEBHOOK_SECRET_MAX} characters"
    return None


def is_blank(value: SecretStr | str | None) -> bool:
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    return not (text or "").strip()


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    # storage
    database_url: str = DEFAULT_DATABASE_URL
    # language and time
    default_locale: Literal["ar", "en"] = "ar"
    # The one digit style of Arabic screens (chat replies, notifications): "western" (0-9) by
    # default, as Saudi government services (Absher, Tawakkalna, Nafath) show IDs, mobiles and
    # dates; a national ID or mobile copied from a message then pastes into any form, and a
    # stall or request number reads the same in an export and on the web. "arabic-indic"
    # (U+0660-U+0669) for a team that prefers it. What people type is accepted in either, always.
    arabic_digits: Literal["western", "arabic-indic"] = "western"
    timezone: str = "Asia/Riyadh"
    # staff: "channel:id" entries; a bare number means a Telegram user id
    admin_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # privacy: bump when the notice text changes so users are asked again
    privacy_notice_version: str = "2026-12"
    # delivery (the outbox sender)
    outbox_rate: float = Field(30.0, gt=0)  # messages per second overall
    outbox_chat_rate: float = Field(1.0, gt=0)  # messages per second to one chat
    outbox_max_attempts: int = Field(5, ge=1)  # errors that are no platform answer (bugs)
    outbox_retry_hours: float = Field(6.0, gt=0)  # how long temporary failures are retried
    outbox_concurrency: int = Field(1, ge=1)  # >1: faster, but a crash may repeat that many
    # A claimed row not sent this long is taken back by another sender (its sender died).
    outbox_lease_seconds: float = Field(120.0, ge=2)
    quiet_hours: str = "22:00-08:00"  # local time; broadcasts wait; "" turns it off
    telegram_paid_broadcast: bool = False
    paid_broadcast_rate: float = Field(1000.0, gt=0)
    # productive families: hours a family has to confirm an offered stall
    stall_offer_hours: int = Field(48, ge=1)
    # events: staff can check a volunteer in from this many minutes before the shift starts.
    # 30 lets early arrivals be checked in at the gate without letting a check-in pressed by
    # mistake on an earlier day (or hours early) count as attendance; at most 12 hours.
    checkin_opens_minutes: int = Field(30, ge=0, le=720)
    # telegram: the client library (`shuraka telegram --transport` overrides it for one run);
    # both behave the same, python-telegram-bot needs the `ptb` extra installed
    telegram_transport: Literal["aiogram", "ptb"] = "aiogram"
    bot_token: SecretStr | None = None
    telegram_api_base: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"  # where the webhook server listens (behind a TLS proxy)
    webhook_port: int = 8080

    # QR self check-in (bot.services.checkin): the bot's Telegram username, for the deep link
    # https://t.me/<username>?start=<code>, and the WhatsApp Business number (digits, with the
    # country code), for https://wa.me/<digits>?text=<check-in text>. Unset: that link is not
    # shown nor printed.
    telegram_bot_username: str | None = None
    whatsapp_business_number: str | None = None
    # whatsapp (Cloud API)
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_api_base: str = "https://graph.facebook.com/v21.0"
    whatsapp_host: str = "0.0.0.0"
    whatsapp_port: int = 8081
    # Approved templates per notification kind, for messages outside the 24-hour window:
    # {"broadcast": {"name": "announcement", "language": "ar"}, "notice": {...}}. The message
    # text goes in as the template's single body parameter.
    whatsapp_templates: dict[str, dict[str, str]] = Field(default_factory=dict)
    # Fairness: messages a minute one sender may send before the excess is dropped (with one
    # polite notice), and how many senders are worked on at the same time.
    whatsapp_sender_rate: int = Field(20, ge=1)
    whatsapp_parallel_senders: int = Field(8, ge=1)
    # Raw webhook bodies are deleted once processed; failed ones are kept this long to look at.
    inbound_failed_retention_hours: int = Field(24, ge=1)
    # the staff web workspace: where it listens, the address its links use (also in staff
    # notices in chat), the secret its sessions are signed with (required by `shuraka web`),
    # and how long an idle session lasts
    web_host: str = "127.0.0.1"
    web_port: int = Field(8090, ge=1, le=65535)
    web_base_url: str = "http://127.0.0.1:8090"
    web_session_secret: SecretStr | None = None
    web_session_hours: float = Field(8, gt=0)
    # the team's contact, in /help and in every "contact us" message (bot.core.contact). The
    # defaults are demo placeholders (a reserved example.org address): set all three for a real
    # deployment. Hours are local time on working days, Sunday to Thursday.
    contact_phone: str = "0120000000"
    contact_email: str = "shuraka@example.org"
    contact_hours: str = "08:00-15:00"
    # operations (bot.logs, bot.process.health): one JSON object a line or plain text; the
    # level (unset: INFO for the long-running services, WARNING for one-off commands); the
    # health and metrics port of a process without a server of its own (polling, sender or
    # scheduler only: unset = none), and the address it listens on
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] | None = None
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(None, ge=1, le=65535)
    # scale-out (README "Operations"): with REDIS_URL every sender shares one rate limit in
    # Redis; without it, on PostgreSQL only the sender that holds the lead sends. A follower
    # asks for the lead (the scheduler's, the sender's) this often, in seconds.
    redis_url: str | None = None
    leader_retry_seconds: float = Field(15.0, gt=0, le=60)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("admin_ids")
    @classmethod
    def _normalize_admins(cls, value: list[str]) -> list[str]:
        entries = [item if ":" in item else f"telegram:{item}" for item in value]
        for entry in entries:
            # A mistyped entry would silently grant nobody (or the wrong person) the admin role.
            channel, _, external = entry.partition(":")
            if channel not in _ADMIN_ID_FORMS:
                known = ", ".join(_ADMIN_ID_FORMS)
                raise ValueError(f"{entry!r}: unknown channel {channel!r} (use {known})")
            pattern, expected = _ADMIN_ID_FORMS[channel]
            if not pattern.fullmatch(external):
                raise ValueError(f"{entry!r}: a {channel} id is {expected}")
        return entries

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> object:
        # LOG_LEVEL=info works like INFO; an empty LOG_LEVEL= means unset.
        return (value.strip().upper() or None) if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("telegram_bot_username", mode="before")
    @classmethod
    def _bot_username(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().removeprefix("@") or None
        if isinstance(value, str) and not _BOT_USERNAME.fullmatch(value):
            raise ValueError("expected a bot username: 5-32 of A-Z a-z 0-9 _, ending in 'bot'")
        return value

    @field_validator("whatsapp_business_number", mode="before")
    @classmethod
    def _business_number(cls, value: object) -> object:
        if isinstance(value, str):
            # "+966 50 123 4567" as people write it -> the digits wa.me wants.
            value = re.sub(r"[\s-]", "", value).removeprefix("+") or None
        if isinstance(value, str) and not _BUSINESS_NUMBER.fullmatch(value):
            raise ValueError("expected the number with its country code, e.g. 966501234567")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        if value and not _QUIET.fullmatch(value):
            raise ValueError("expected HH:MM-HH:MM, e.g. 22:00-08:00")
        return value

    @field_validator("contact_phone")
    @classmethod
    def _contact_phone(cls, value: str) -> str:
        if not _CONTACT_PHONE.fullmatch(value.strip()):
            raise ValueError("expected a phone number, e.g. 0127000000 or +966127000000")
        return value.strip()

    @field_validator("contact_email")
    @classmethod
    def _contact_email(cls, value: str) -> str:
        if not _EMAIL.fullmatch(value.strip()):
            raise ValueError("expected an e-mail address, e.g. shuraka@example.org")
        return value.strip()

    @field_validator("contact_hours")
    @classmethod
    def _contact_hours(cls, value: str) -> str:
        if not _QUIET.fullmatch(value) or value[:5] >= value[6:]:
            raise ValueError("expected HH:MM-HH:MM within one day, e.g. 08:00-15:00")
        return value

    def contact_window(self) -> tuple[time, time]:
        start, end = self.contact_hours.split("-")
        return time.fromisoformat(start), time.fromisoformat(end)

    def quiet_window(self) -> tuple[time, time]:
        if not self.quiet_hours:
            return time(0, 0), time(0, 0)  # an empty window
        start, end = self.quiet_hours.split("-")
        return time.fromisoformat(start), time.fromisoformat(end)

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and (problem := webhook_secret_problem(value.get_secret_value())):
            raise ValueError(problem)
        return value

    @field_validator("web_session_secret")
    @classmethod
    def _web_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # The message never quotes the secret (ConfigError shows only the first error's text).
        if value is not None and len(value.get_secret_value().strip()) < WEB_SECRET_MIN:
            raise ValueError(f"must be at least {WEB_SECRET_MIN} characters")
        return value

    @field_validator("whatsapp_app_secret", "whatsapp_verify_token")
    @classmethod
    def _not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and is_blank(value):
            raise ValueError("is empty")
        return value

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return value


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]).upper() or "settings"
        raise ConfigError(f"configuration error: {name}: {first['msg']}") from None
