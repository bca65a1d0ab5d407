"""Settings from the environment (and an optional .env), split per concern."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///shuraka.db"


class ConfigError(Exception):
    """A missing or invalid setting; the message is one line meant for the operator."""


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
    timezone: str = "Asia/Riyadh"
    # staff: "channel:id" entries; a bare number means a Telegram user id
    admin_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # privacy: bump when the notice text changes so users are asked again
    privacy_notice_version: str = "2026-11"
    # telegram
    bot_token: SecretStr | None = None
    telegram_api_base: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"  # where the webhook server listens (behind a TLS proxy)
    webhook_port: int = 8080

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("admin_ids")
    @classmethod
    def _normalize_admins(cls, value: list[str]) -> list[str]:
        return [item if ":" in item else f"telegram:{item}" for item in value]

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
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
