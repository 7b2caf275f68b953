"""The language tables merged: what the language-neutral scanner reads.

Each language module (`lang_en`, `lang_es`) holds the same names; this module unites them and
adds the symbols no language owns (currency signs and codes). Adding a language is adding a
module with those names to `LANGUAGES`.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from bot.figures import lang_en, lang_es

LANGUAGES: dict[str, ModuleType] = {"en": lang_en, "es": lang_es}


def _union(name: str) -> Any:
    tables = [getattr(lang, name) for lang in LANGUAGES.values()]
    if isinstance(tables[0], dict):
        merged: dict = {}
        for t in tables:
            merged.update(t)
        return merged
    if isinstance(tables[0], set):
        return set().union(*tables)
    return tuple(x for t in tables for x in t)


UNIT_WORDS: dict[str, int] = _union("UNITS")
TENS_WORDS: dict[str, int] = _union("TENS")
HUNDREDS: dict[str, int] = _union("HUNDREDS")
HUNDRED_WORDS: dict[str, float] = _union("HUNDRED_WORDS")
THOUSAND_WORDS: dict[str, float] = _union("THOUSAND_WORDS")
THOUSAND_ALONE: set[str] = _union("THOUSAND_ALONE")
BIG_WORDS: dict[str, float] = _union("BIG_WORDS")
HALF_WORDS: dict[str, float] = _union("HALF_WORDS")
ARTICLES: set[str] = _union("ARTICLES")
AND_WORDS: set[str] = _union("AND_WORDS")
SCALE_ABBR: dict[str, tuple[float, bool]] = _union("SCALE_ABBR")
LANGUAGE_CUES_AFTER = {code: lang.SCALE_CUES for code, lang in LANGUAGES.items()}

# Currencies: signs and ISO codes belong to no language; the words do.
CURRENCY_CODES = {"usd": "USD", "ars": "ARS", "eur": "EUR", "gbp": "GBP", "brl": "BRL"}
CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}
DOLLAR_PREFIXES = {"us": "USD", "usd": "USD", "ar": "ARS", "ars": "ARS", "r": "BRL"}  # US$, AR$
CURRENCY_WORDS: dict[str, str] = {**_union("CURRENCY_WORDS"), **CURRENCY_CODES}
CURRENCY_COUNTRY: set[str] = _union("CURRENCY_COUNTRY")
CURRENCY_LINK: set[str] = _union("CURRENCY_LINK")

DURATIONS: dict[str, str] = _union("DURATIONS")
DURATION_SECONDS = {
    "second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0, "week": 604800.0,
    "month": 2629746.0, "year": 31556952.0, "decade": 315569520.0,
}  # fmt: skip
DURING_WORDS: set[str] = _union("DURING_WORDS")
MULTIPLIER_WORDS: dict[str, float] = _union("MULTIPLIER_WORDS")
NOT_MULTIPLIER_AFTER: set[str] = _union("NOT_MULTIPLIER_AFTER")
TIMES_WORDS: set[str] = _union("TIMES_WORDS")

PERCENT_PHRASES: tuple[tuple[str, ...], ...] = _union("PERCENT_PHRASES")
PP_PHRASES: tuple[tuple[str, ...], ...] = _union("PP_PHRASES")
BP_PHRASES: tuple[tuple[str, ...], ...] = _union("BP_PHRASES")

_SYMBOL_LOWER = (">", "≥", "> =")
_SYMBOL_UPPER = ("<", "≤", "< =")
_SYMBOL_APPROX = ("~", "≈")
QUALIFIER_PHRASES: dict[tuple[str, ...], str] = {}
for _phrases, _qual in (
    ((*_union("LOWER"), *_SYMBOL_LOWER), "lower_bound"),
    ((*_union("UPPER"), *_SYMBOL_UPPER), "upper_bound"),
    ((*_union("APPROX"), *_SYMBOL_APPROX), "approximate"),
):
    for _p in _phrases:
        QUALIFIER_PHRASES[tuple(_p.split())] = _qual
MAX_QUALIFIER_LEN = max(len(k) for k in QUALIFIER_PHRASES)
LOWER_POSTFIX: tuple[tuple[str, ...], ...] = _union("LOWER_POSTFIX")
UPPER_POSTFIX: tuple[tuple[str, ...], ...] = _union("UPPER_POSTFIX")

RANGE_BETWEEN: dict[str, str] = _union("RANGE_BETWEEN")
RANGE_FROM: set[str] = _union("RANGE_FROM")
RANGE_TO: set[str] = _union("RANGE_TO")
RANGE_DASHES = {"-", "–", "—", "‒"}

YEAR_LOWER: set[str] = _union("YEAR_LOWER")
YEAR_UPPER: set[str] = _union("YEAR_UPPER")
MONTHS: dict[str, int] = _union("MONTHS")
MONTH_NAMES: list[str] = list(lang_en.MONTH_NAMES)  # how periods are displayed
LOWERCASE_MONTH_IS_WORD: set[str] = _union("LOWERCASE_MONTH_IS_WORD")
ORDINALS: dict[str, int] = _union("ORDINALS")
QUARTER_WORDS: tuple[str, ...] = _union("QUARTER_WORDS")
HALF_YEAR_WORDS: tuple[str, ...] = _union("HALF_YEAR_WORDS")
OF_WORDS: tuple[str, ...] = _union("OF_WORDS")
YEAR_NOUNS: tuple[str, ...] = _union("YEAR_NOUNS")
FISCAL_WORDS: tuple[str, ...] = _union("FISCAL_WORDS")
PERIOD_TO: tuple[str, ...] = _union("PERIOD_TO")
DATE_LINK: tuple[str, ...] = _union("DATE_LINK")

CUES = {code: lang.CUES for code, lang in LANGUAGES.items()}
REFERENCE_WORDS: set[str] = _union("REFERENCE_WORDS")
FRAME_WORDS: frozenset[str] = frozenset(_union("FRAME_WORDS"))
CHANGE_NOUNS: frozenset[str] = frozenset(_union("CHANGE_NOUNS"))
TABLE_SCALES: dict[str, float] = _union("TABLE_SCALES")
TABLE_SCALE_INTRO: tuple[str, ...] = _union("TABLE_SCALE_INTRO")
TABLE_EXCEPT: tuple[str, ...] = _union("TABLE_EXCEPT")
PER_SHARE: tuple[str, ...] = _union("PER_SHARE")
