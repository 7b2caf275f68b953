"""bot.language: detection of the question's language, and Apertium's English rendering."""

from __future__ import annotations

import logging

import pytest

from bot import language

needs_apertium = pytest.mark.skipif(
    not language.available(),
    reason="Apertium's Spanish-English pair is not installed (Debian: apertium-eng-spa; "
    "`make apertium` installs it as root)",
)


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("¿Cuántos empleos públicos se eliminaron?", "es"),
        ("¿Quién es el presidente de Argencon?", "es"),
        ("Cuánto exportaron los servicios basados en conocimiento", "es"),
        ("Who is the CEO of INVAP?", "en"),
        ("How many GPUs does the Córdoba lab have?", "en"),
        ("What share of Indian scientists who emigrate come back?", "en"),
    ],
)
def test_detects_english_and_spanish_questions(question, lang):
    assert language.detect(question) == lang


@needs_apertium
def test_spanish_to_english_keeps_names_and_figures():
    english = language.to_english("¿Cuánto invirtió Salesforce en Argentina en 2025?")
    assert english is not None
    assert "Salesforce" in english and "Argentina" in english and "2025" in english
    assert "invest" in english.lower()


@needs_apertium
def test_many_questions_translate_in_one_run_in_order():
    questions = ["¿Quién proclamó el embargo?", "¿Cuándo empezó la crisis del petróleo?"]
    english = language.to_english_many(questions)
    assert english is not None and len(english) == 2
    assert "embargo" in english[0] and "crisis" in english[1]
    # and the rendering reads as English to the detector: the round trip closes
    assert [language.detect(e) for e in english] == ["en", "en"]


def test_without_apertium_it_says_so_once_and_returns_none(monkeypatch, caplog):
    monkeypatch.setenv("REPORTBOT_APERTIUM", "no-such-apertium-binary")
    language.reset()
    try:
        with caplog.at_level(logging.WARNING, logger="bot.language"):
            assert language.to_english("¿Quién es?") is None
            assert language.to_english("¿Dónde está?") is None
        warnings = [r for r in caplog.records if "without translation" in r.getMessage()]
        assert len(warnings) == 1
    finally:
        monkeypatch.delenv("REPORTBOT_APERTIUM")
        language.reset()
