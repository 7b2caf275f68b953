"""Tokens of a text for the figure grammar, and the text's language (`en` or `es`)."""

from __future__ import annotations

import re

from bot.figures.vocabulary import CUES

TOKEN_RE = re.compile(r"(\d+(?:[.,]\d+)*)|([^\W\d_]+(?:['’][^\W\d_]+)*)|(\S)")
WORD_RE = re.compile(r"[^\W\d_]+")
_EN_NUM_RE = re.compile(r"\b\d{1,3}(?:,\d{3})+\.\d+\b|\b\d+\.\d{1,2}\b(?![.,]\d)")
_ES_NUM_RE = re.compile(r"\b\d{1,3}(?:\.\d{3})+,\d+\b|\b\d+,\d{1,2}\b(?![.,]\d)")


class Text:
    """The tokens of one text and the helpers the grammar needs."""

    def __init__(self, text: str, locale: str | None) -> None:
        self.text = text
        self.toks: list[str] = []
        self.low: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.types: list[int] = []  # 1 number, 2 word, 3 symbol
        for m in TOKEN_RE.finditer(text):
            self.toks.append(m.group())
            self.low.append(m.group().lower())
            self.starts.append(m.start())
            self.ends.append(m.end())
            self.types.append(m.lastindex or 3)
        self.n = len(self.toks)
        self.explicit_locale = locale in ("en", "es")
        self.locale = locale if locale in ("en", "es") else detect_locale(text)

    def adjacent(self, i: int, j: int) -> bool:
        """Token j follows token i with no space between them."""
        return 0 <= i < j < self.n and self.ends[i] == self.starts[j]

    def joined(self, i: int, j: int) -> bool:
        """Token j follows token i on the same line, with at most a couple of spaces."""
        if not (0 <= i < j < self.n):
            return False
        gap = self.text[self.ends[i] : self.starts[j]]
        return len(gap) <= 2 and "\n" not in gap

    def phrase_at(self, i: int, phrase: tuple[str, ...]) -> bool:
        k = len(phrase)
        if i < 0 or i + k > self.n:
            return False
        if any(self.low[i + t] != phrase[t] for t in range(k)):
            return False
        return all(self.joined(i + t, i + t + 1) for t in range(k - 1))

    def phrase_from(self, i: int, phrases: tuple[tuple[str, ...], ...]) -> int:
        """End index of the first phrase found starting at i, or -1."""
        for p in phrases:
            if self.phrase_at(i, p):
                return i + len(p)
        return -1


def detect_locale(text: str) -> str:
    """'es' or 'en' from common words and unambiguous numerals; English when unsure."""
    en = es = 0
    for m in WORD_RE.finditer(text[:20000]):
        w = m.group().lower()
        if w in CUES["en"]:
            en += 1
        elif w in CUES["es"]:
            es += 1
    en += 3 * len(_EN_NUM_RE.findall(text[:20000]))
    es += 3 * len(_ES_NUM_RE.findall(text[:20000]))
    return "es" if es > en else "en"
