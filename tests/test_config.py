"""Settings: precedence, empty values, parsing, and one-sentence errors (bot/config.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import FIELDS, ConfigError, SecretStr, Settings, get_settings


def test_every_field_has_a_type_and_an_environment_variable():
    assert set(FIELDS) == set(Settings.__annotations__)
    assert len({var for var, _, _ in FIELDS.values()}) == len(FIELDS)


def test_defaults_then_env_file_then_environment_then_arguments(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Settings().webhook_port == 8443 and Settings().model == "all-MiniLM-L6-v2"
    (tmp_path / ".env").write_text(
        "REPORTBOT_WEBHOOK_PORT=9000\nREPORTBOT_RATE_LIMIT=5\n# a comment\nREPORTBOT_MODEL=\n"
    )
    assert Settings().webhook_port == 9000 and Settings().model == "all-MiniLM-L6-v2"
    monkeypatch.setenv("REPORTBOT_WEBHOOK_PORT", "9100")
    settings = Settings(rate_limit_per_minute=7)
    assert settings.webhook_port == 9100 and settings.rate_limit_per_minute == 7
    assert settings.model_copy(update={"webhook_port": 1}).webhook_port == 1
    assert settings.model_copy(update={"webhook_port": 1}).rate_limit_per_minute == 7


def test_values_are_parsed_to_their_types(monkeypatch):
    monkeypatch.setenv("REPORTBOT_ADMIN_IDS", "1, 2;3 4")
    monkeypatch.setenv("REPORTBOT_ALLOW_PRIVATE_URLS", "true")
    monkeypatch.setenv("REPORTBOT_FETCH_TIMEOUT", "2.5")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret-token")
    settings = Settings()
    assert settings.admin_ids == frozenset({1, 2, 3, 4}) and settings.allowed_ids == frozenset()
    assert settings.allow_private_urls is True and settings.fetch_timeout == 2.5
    assert isinstance(settings.index_dir, Path)
    assert settings.telegram_bot_token == SecretStr("123:secret-token")
    assert "secret-token" not in repr(settings) and "secret-token" not in str(
        settings.telegram_bot_token
    )
    assert Settings(admin_ids=frozenset({5}), telegram_bot_token="x").admin_ids == {5}


@pytest.mark.parametrize(
    ("var", "value", "says"),
    [
        ("REPORTBOT_WEBHOOK_PORT", "eighty", "must be a whole number"),
        ("REPORTBOT_ADMIN_IDS", "12,ada", "must be whole numbers"),
        ("REPORTBOT_ALLOW_PRIVATE_URLS", "perhaps", "must be true or false"),
        ("REPORTBOT_FETCH_TIMEOUT", "soon", "must be a number"),
    ],
)
def test_a_bad_value_is_one_sentence_naming_the_variable(monkeypatch, var, value, says):
    monkeypatch.setenv(var, value)
    get_settings.cache_clear()
    with pytest.raises(ConfigError) as caught:
        get_settings()
    message = str(caught.value)
    assert var in message and repr(value) in message and says in message
    assert message.endswith(".") and message.count(". ") == 0


def test_unknown_arguments_are_refused():
    with pytest.raises(TypeError, match="unknown settings: colour"):
        Settings(colour="blue")


def test_the_cli_turns_a_bad_setting_into_an_error_line(monkeypatch):
    from click.testing import CliRunner

    from bot.cli import cli

    monkeypatch.setenv("REPORTBOT_MAX_QUESTION_CHARS", "lots")
    result = CliRunner().invoke(cli, ["ask", "anything"])
    assert result.exit_code == 1
    assert "REPORTBOT_MAX_QUESTION_CHARS" in result.output and "Traceback" not in result.output
