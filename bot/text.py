"""Text helpers shared by cleaning, chunking and retrieval: folding and sentence spans."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

_WORD = re.compile(r"\w+", re.UNICODE)
_LETTERS = re.compile(r"[^\W\d_]+")
# Lone surrogates too: they come from undecodable bytes (argv, JSON escapes) and crash the
# tokenizer, SQLite and Telegram's UTF-16 length count.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)

STOPWORDS_PATH = Path(__file__).parent / "data" / "stopwords.txt"


def _read_stopwords(path: Path = STOPWORDS_PATH) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


# Words that carry no topic in English or Spanish questions (folded): the one list, a data file.
STOPWORDS = _read_stopwords()


def fold(text: str) -> str:
    """Lower-case and strip accents: Córdoba, cordoba and CORDOBA fold to the same string."""
    if text.isascii():  # most of a report: nothing to strip (20 times faster)
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def strip_control(text: str) -> str:
    """Remove control and bidi-override characters that have no place in a question."""
    return _CONTROL.sub(" ", text)


def words(text: str) -> list[str]:
    """Folded word tokens: the one tokeniser of answering, lexical search and fact-checks."""
    return _WORD.findall(fold(text))


def word_matches(text: str) -> Iterator[re.Match[str]]:
    """The word tokens of `words()` as matches in the unfolded text (for their offsets)."""
    return _WORD.finditer(text)


def letter_matches(text: str) -> Iterator[re.Match[str]]:
    """Runs of letters, without digits or underscores: the words around a figure ("grew 21%"),
    as matches in the unfolded text."""
    return _LETTERS.finditer(text)


def letter_words(text: str) -> list[str]:
    """The runs of letters of `letter_matches`, as written."""
    return _LETTERS.findall(text)


def content_words(text: str) -> list[str]:
    """Folded word tokens minus stop words (English and Spanish)."""
    return [w for w in words(text) if w not in STOPWORDS]


# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) when the next
# non-space character starts a new sentence (capital, digit, opening quote, bullet), and the
# word before the stop is not an abbreviation such as "D.C." or "U.S." or "Mr.".
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9ÁÉÍÓÚÑ¿¡•])")
_ABBREV = re.compile(
    r"(?:\b[A-Z]\.(?:[A-Z]\.)*|\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Sra|Jr|St|vs|etc|e\.g|i\.e|No|Inc|Ltd|Co|Corp|approx|Fig|Eq)\.)$"
)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the sentences in text[start:end], trimmed of surrounding white space.

    Newlines always end a sentence (headings, bullets). Offsets index into `text`.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        line_start = start + line.start()
        segment = line.group()
        cut = 0
        for m in _BOUNDARY.finditer(segment):
            stop = m.start() + len(m.group().rstrip())
            if _ABBREV.search(segment[: m.start() + 1]):
                continue
            spans.append((line_start + cut, line_start + stop))
            cut = m.end()
        spans.append((line_start + cut, line_start + len(segment)))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def highlight_spans(text: str) -> list[tuple[int, int]]:
    """A passage's candidate highlights: its sentences, or the whole text if it has none."""
    return sentence_spans(text) or [(0, len(text))]


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


_STEMMERS: dict[str, object] = {}
_LANGUAGES = {"en": "english", "es": "spanish"}


@lru_cache(maxsize=200_000)
def stem(word: str, lang: str = "en") -> str:
    """The Snowball stem of one folded word in English ("en") or Spanish ("es").

    The one stemmer of the project outside FTS5: general morphology from the Snowball
    project, not lists written for particular reports. Memoised: the pure-Python stemmer
    takes about 0.1 ms a word, and a fact-check stems the same report words again and again.
    """
    return _stemmer(lang).stemWord(word)


def stem_words(tokens: list[str], lang: str = "en") -> list[str]:
    """Snowball stems of folded word tokens, in order."""
    return _stemmer(lang).stemWords(tokens)


def _stemmer(lang: str):
    stemmer = _STEMMERS.get(lang)
    if stemmer is None:
        import snowballstemmer  # small, but only the callers that stem pay for it

        stemmer = _STEMMERS[lang] = snowballstemmer.stemmer(_LANGUAGES[lang])
    return stemmer
