"""Settings from environment variables and an optional `.env` file, decided in one place.

Precedence: values given to `Settings(...)`, then environment variables, then `.env` (read by
python-dotenv), then the defaults; an empty value means "not set" (`TELEGRAM_BOT_TOKEN=` in a
.env). A plain class rather than pydantic-settings: importing pydantic cost about 0.3 s of every
cold `reportbot ask`, as much as the bare-import floor itself, for seven kinds of value.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.errors import ReportbotError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
ENV_FILE = ".env"


def user_cache_dir(kind: str, env_var: str) -> Path:
    """Where reportbot caches `kind` (eval indexes, ONNX exports): $env_var, else the XDG cache."""
    if env := os.environ.get(env_var):
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "reportbot" / kind


class ConfigError(ReportbotError):
    """A setting has a value reportbot cannot use (named, with the value, in one sentence)."""


class SecretStr:
    """A secret (the bot token): shown as stars in repr, str and logs; read it on purpose
    with `get_secret_value()` (pydantic's names, which the callers already use)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _secret(value: Any) -> SecretStr:
    return value if isinstance(value, SecretStr) else SecretStr(str(value))


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be true or false")


def _ids(value: Any) -> frozenset[int]:
    """User ids: a frozenset, one int, or a string separated by commas, semicolons or spaces."""
    if isinstance(value, int):
        return frozenset({value})
    if isinstance(value, str):
        value = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        return frozenset(int(p) for p in value)
    except (TypeError, ValueError) as exc:
        raise ValueError("must be whole numbers separated by commas") from exc


def _int(value: Any) -> int:
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        return int(str(value).strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError("must be a whole number") from exc


def _float(value: Any) -> float:
    try:
        return float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError("must be a number") from exc


def _str(value: Any) -> str:
    return str(value)


def _path(value: Any) -> Path:
    return Path(value)


# name: (environment variable, conversion, default). The one list of knobs; the annotations on
# `Settings` give their types (tests/test_config.py checks the two agree).
FIELDS: dict[str, tuple[str, Callable[[Any], Any], Any]] = {
    "index_dir": ("REPORTBOT_INDEX_DIR", _path, Path("index")),
    "index": ("REPORTBOT_INDEX", _str, ""),  # postgresql://... instead of the directory
    "model": ("REPORTBOT_MODEL", _str, DEFAULT_MODEL),
    "telegram_bot_token": ("TELEGRAM_BOT_TOKEN", _secret, None),
    "telegram_api_base_url": ("TELEGRAM_API_BASE_URL", _str, None),
    "telegram_webhook_url": ("TELEGRAM_WEBHOOK_URL", _str, None),
    "telegram_webhook_secret": ("TELEGRAM_WEBHOOK_SECRET", _secret, None),
    "webhook_listen": ("REPORTBOT_WEBHOOK_LISTEN", _str, "0.0.0.0"),
    "webhook_port": ("REPORTBOT_WEBHOOK_PORT", _int, 8443),
    "admin_ids": ("REPORTBOT_ADMIN_IDS", _ids, frozenset()),
    "allowed_ids": ("REPORTBOT_ALLOWED_IDS", _ids, frozenset()),
    "rate_limit_per_minute": ("REPORTBOT_RATE_LIMIT", _int, 20),
    "max_question_chars": ("REPORTBOT_MAX_QUESTION_CHARS", _int, 1000),
    "max_file_bytes": ("REPORTBOT_MAX_FILE_BYTES", _int, 50 * 1024 * 1024),
    "fetch_timeout": ("REPORTBOT_FETCH_TIMEOUT", _float, 20.0),
    "allow_private_urls": ("REPORTBOT_ALLOW_PRIVATE_URLS", _bool, False),
}


class Settings:
    """Every knob reportbot has. See `deploy/.env.example` for the documented list."""

    index_dir: Path
    index: str
    model: str
    telegram_bot_token: SecretStr | None
    telegram_api_base_url: str | None
    telegram_webhook_url: str | None
    telegram_webhook_secret: SecretStr | None
    webhook_listen: str
    webhook_port: int
    admin_ids: frozenset[int]
    allowed_ids: frozenset[int]
    rate_limit_per_minute: int
    max_question_chars: int
    max_file_bytes: int
    fetch_timeout: float
    allow_private_urls: bool

    def __init__(self, **values: Any) -> None:
        if unknown := set(values) - set(FIELDS):
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        dotenv: dict[str, str | None] | None = None
        for name, (var, convert, default) in FIELDS.items():
            if name in values:
                raw, source = values[name], name
            elif os.environ.get(var, "") != "":
                raw, source = os.environ[var], var
            else:
                if dotenv is None:
                    dotenv = _read_env_file()
                raw, source = dotenv.get(var) or None, f"{var} in {ENV_FILE}"
            if raw is None:
                setattr(self, name, default)
                continue
            try:
                setattr(self, name, convert(raw))
            except ValueError as exc:  # each conversion says what the value "must be"
                raise ConfigError(
                    f"The setting {source} is {_shown(name, raw)}, but it {exc}."
                ) from exc

    @property
    def location(self) -> Path | str:
        """Where the index is: the `index` URL when set (PostgreSQL), else `index_dir`."""
        return self.index or self.index_dir

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Settings:
        """A copy with some values replaced (pydantic's name, which the CLI already uses)."""
        return Settings(**{**self.as_dict(), **(update or {})})

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and other.as_dict() == self.as_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable, like pydantic's models

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"Settings({shown})"


def _read_env_file() -> dict[str, str | None]:
    if not Path(ENV_FILE).is_file():
        return {}
    from dotenv import dotenv_values  # only when there is a file: its import is not free

    return dict(dotenv_values(ENV_FILE, encoding="utf-8"))


def _shown(name: str, raw: Any) -> str:
    return "(hidden)" if FIELDS[name][1] is _secret else repr(raw)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
