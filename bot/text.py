"""Text helpers shared by cleaning, chunking and retrieval: folding and sentence spans."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)
# Lone surrogates too: they come from undecodable bytes (argv, JSON escapes) and crash the
# tokenizer, SQLite and Telegram's UTF-16 length count.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)

# Words that carry no topic in English or Spanish questions. Folded (no accents, lower case).
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "according",
        "after",
        "again",
        "against",
        "al",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "como",
        "con",
        "could",
        "cual",
        "cuales",
        "cuando",
        "cuanta",
        "cuantas",
        "cuanto",
        "cuantos",
        "de",
        "del",
        "dice",
        "dicen",
        "did",
        "do",
        "does",
        "doing",
        "donde",
        "down",
        "during",
        "e",
        "each",
        "el",
        "en",
        "entre",
        "es",
        "esas",
        "ese",
        "esos",
        "esta",
        "estan",
        "estas",
        "este",
        "estos",
        "few",
        "for",
        "from",
        "fue",
        "fueron",
        "further",
        "had",
        "has",
        "have",
        "having",
        "hay",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "informe",
        "informes",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "la",
        "las",
        "le",
        "les",
        "lo",
        "los",
        "many",
        "mas",
        "me",
        "mi",
        "more",
        "most",
        "much",
        "muy",
        "my",
        "myself",
        "no",
        "nor",
        "nos",
        "not",
        "now",
        "o",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "para",
        "pero",
        "por",
        "que",
        "quien",
        "quienes",
        "qué",
        "report",
        "reports",
        "said",
        "same",
        "say",
        "says",
        "se",
        "segun",
        "ser",
        "she",
        "should",
        "si",
        "sin",
        "so",
        "sobre",
        "some",
        "son",
        "su",
        "such",
        "sus",
        "tell",
        "tenia",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "tiene",
        "tienen",
        "to",
        "too",
        "u",
        "un",
        "una",
        "unas",
        "under",
        "unos",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "whats",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "y",
        "ya",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)


def fold(text: str) -> str:
    """Lower-case and strip accents: Córdoba, cordoba and CORDOBA fold to the same string."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def strip_control(text: str) -> str:
    """Remove control and bidi-override characters that have no place in a question."""
    return _CONTROL.sub(" ", text)


def words(text: str) -> list[str]:
    """Folded word tokens."""
    return _WORD.findall(fold(text))


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


def stem(word: str, lang: str = "en") -> str:
    """The Snowball stem of one folded word in English ("en") or Spanish ("es").

    The one stemmer of the project outside FTS5: general morphology from the Snowball
    project, not lists written for particular reports.
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
