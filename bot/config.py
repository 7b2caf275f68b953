"""Settings from environment variables and an optional `.env` file, decided in one place."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MODEL = "all-MiniLM-L6-v2"


def user_cache_dir(kind: str, env_var: str) -> Path:
    """Where reportbot caches `kind` (eval indexes, ONNX exports): $env_var, else the XDG cache."""
    if env := os.environ.get(env_var):
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "reportbot" / kind


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Every knob reportbot has. See `deploy/.env.example` for the documented list."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        env_ignore_empty=True,  # `TELEGRAM_BOT_TOKEN=` in a .env means "not set"
    )

    index_dir: Path = Field(Path("index"), validation_alias=_env("REPORTBOT_INDEX_DIR"))
    model: str = Field(DEFAULT_MODEL, validation_alias=_env("REPORTBOT_MODEL"))

    telegram_bot_token: SecretStr | None = Field(None, validation_alias=_env("TELEGRAM_BOT_TOKEN"))
    telegram_api_base_url: str | None = Field(None, validation_alias=_env("TELEGRAM_API_BASE_URL"))
    telegram_webhook_url: str | None = Field(None, validation_alias=_env("TELEGRAM_WEBHOOK_URL"))
    telegram_webhook_secret: SecretStr | None = Field(
        None, validation_alias=_env("TELEGRAM_WEBHOOK_SECRET")
    )
    webhook_listen: str = Field("0.0.0.0", validation_alias=_env("REPORTBOT_WEBHOOK_LISTEN"))
    webhook_port: int = Field(8443, validation_alias=_env("REPORTBOT_WEBHOOK_PORT"))

    admin_ids: Annotated[frozenset[int], NoDecode] = Field(
        frozenset(), validation_alias=_env("REPORTBOT_ADMIN_IDS")
    )
    allowed_ids: Annotated[frozenset[int], NoDecode] = Field(
        frozenset(), validation_alias=_env("REPORTBOT_ALLOWED_IDS")
    )
    rate_limit_per_minute: int = Field(20, validation_alias=_env("REPORTBOT_RATE_LIMIT"))
    max_question_chars: int = Field(1000, validation_alias=_env("REPORTBOT_MAX_QUESTION_CHARS"))
    max_file_bytes: int = Field(50 * 1024 * 1024, validation_alias=_env("REPORTBOT_MAX_FILE_BYTES"))
    fetch_timeout: float = Field(20.0, validation_alias=_env("REPORTBOT_FETCH_TIMEOUT"))
    allow_private_urls: bool = Field(False, validation_alias=_env("REPORTBOT_ALLOW_PRIVATE_URLS"))

    @field_validator("admin_ids", "allowed_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError as exc:
                raise ValueError(f"user ids must be whole numbers, got {value!r}") from exc
        if isinstance(value, int):
            return frozenset({value})
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
