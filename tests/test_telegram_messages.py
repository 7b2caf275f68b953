"""The bot's own words per language (bot/telegram/messages.py), and Spanish through the bot."""

from __future__ import annotations

import re
import shutil
import string
from pathlib import Path

import pytest

from bot.embedding import HashEmbedder
from bot.index import ReportIndex
from bot.telegram.messages import (
    ADMIN_COMMANDS,
    COMMANDS,
    DESCRIPTION,
    EN,
    MESSAGES,
    SHORT_DESCRIPTION,
    language,
    number,
    text,
)
from tests.botapi_stub import BotApiStub, parse_telegram_html
from tests.test_telegram_bot import (
    MORE_QUESTION,
    USER,
    buttons,
    quoted,
    replies,
    run,
    shown,
)


@pytest.fixture
def index_dir(corpus_index_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the corpus index (bot.db included)."""
    return Path(shutil.copytree(corpus_index_dir, tmp_path / "index"))


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", sorted(MESSAGES))
def test_every_language_has_every_message_with_the_same_placeholders(lang: str) -> None:
    messages = MESSAGES[lang]
    assert set(messages) == set(EN)
    for key, template in EN.items():
        assert _fields(messages[key]) == _fields(template), key
        filled = messages[key].format(**{name: "x" for name in _fields(template)})
        parse_telegram_html(filled)  # each one is HTML Telegram accepts
    assert [c for c, _ in COMMANDS[lang]] == [c for c, _ in COMMANDS["en"]]
    assert [c for c, _ in ADMIN_COMMANDS[lang]] == [c for c, _ in ADMIN_COMMANDS["en"]]
    assert len(DESCRIPTION[lang]) <= 512 and len(SHORT_DESCRIPTION[lang]) <= 120


@pytest.mark.parametrize(
    ("code", "lang"),
    [("es", "es"), ("es-419", "es"), ("ES-ar", "es"), ("en", "en"), ("pt-br", "en"), (None, "en")],
)
def test_language_follows_telegram_language_code(code: str | None, lang: str) -> None:
    assert language(code) == lang


def test_numbers_and_fallbacks() -> None:
    assert number("en", 12000) == "12,000" and number("es", 12000) == "12.000"
    assert text("fr", "no_more") == EN["no_more"]  # a language the bot does not speak


def test_a_spanish_speaking_user_gets_spanish_words_and_verbatim_quotes(index_dir: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.languages[USER] = "es-419"
        stub.push_message("/help")
        await replies(stub, USER, 1)
        stub.push_message(MORE_QUESTION)  # answered by more passages than one page holds
        await replies(stub, USER, 2)
        stub.push_message("zebra quantum pancake recipe")
        await replies(stub, USER, 3)
        stub.push_message("x" * 1001)
        await replies(stub, USER, 4)

    stub = run(index_dir, scenario)
    help_text, answer, not_covered, too_long = stub.messages(USER)
    assert shown(help_text).startswith("Pregúntame sobre los informes")
    assert "Respondo preguntas sobre 2 informes" in shown(help_text)
    assert "¿Qué dice «Argentina Wants to Be an AI Hub»?" in shown(help_text)
    assert re.search(r"De los informes \(fragmento 1(–\d)?\):", shown(answer))
    assert {"Más ▸", "📖 Contexto 1", "📄 Fuente 1"} <= set(buttons(answer))
    quotes = quoted(answer)  # the reports' words, untranslated
    index = ReportIndex.open(index_dir, HashEmbedder())  # the stored text is what is quoted
    stored = "\n".join(index.document(d["id"])["text"] for d in index.documents())
    assert quotes and all(q.replace("… ", "").replace(" …", "") in stored for q in quotes)
    assert "no parecen tratar" in shown(not_covered) and "/sources" in shown(not_covered)
    assert "1.001 caracteres; el máximo es 1.000" in shown(too_long)
