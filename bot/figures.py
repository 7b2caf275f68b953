"""Figures: read the numbers in English and Spanish report text, and compare two of them.

`parse_figures(text)` finds every figure in a text and returns `Figure`s, each with the exact
source span (`text == source[start:end]`), a normalised `value`, a `unit`, a `kind` and a
`qualifier`. It never raises and compiles its patterns once, because ingest runs it on every chunk.

What it reads
-------------
- Numerals with either separator convention. "9,685.5" and "9.685,5" are unambiguous; so are
  "1,5" (a decimal comma), "12.000" (three zeros after one separator are always a thousands
  group) and "1.234.567". A single separator followed by exactly three digits ("9.685",
  "9,685") is *ambiguous*. It is resolved by, in order: the `locale` argument; the word right
  after it ("9.685 billion" is English, so a decimal; "9.685 millones" is Spanish, so thousands);
  the text's own language and its unambiguous numerals. When only the text's language decided
  it, the figure says `ambiguous=True`.
- Currencies before or after the number: $, US$, USD, U$S, AR$, ARS, €, EUR, £, GBP, R$, BRL,
  "dollars", "pesos", "euros", "dólares", "millones de dólares". A bare "$" is read as USD.
- Scale words and abbreviations: thousand/k, million/m/mn/M/MM, billion/bn/b, trillion/tn;
  Spanish mil, millón/millones, "mil millones" (10^9), millardo (10^9), billón (10^12: the Spanish
  billón is a million millions). A lower-case "m" means million only after a currency.
- Number words: "four hundred", "twenty-five", "half a billion", "one and a half million",
  "a dozen", "cuatrocientos", "treinta y cinco", "medio millón". A lone "one"/"a" is not a figure.
- Percentages ("27%", "27 per cent", "27 por ciento"), percentage points ("pp", "p.p.",
  "percentage points", "puntos porcentuales"; basis points are converted to percentage points),
  multipliers ("ten times", "3x", "threefold", "triple", "doubled", "triplicar") and durations
  ("four days", "3 minutes", "a four-day visit").
- Qualifiers: about/roughly/around/nearly/almost/some/~ (approximate); more than/over/at
  least/above/"50+" (lower bound); up to/less than/under/within/at most (upper bound); and the
  Spanish equivalents. "Over" before a duration means "during", so it stays exact.
- Ranges: "between 10 and 12", "10-12%", "$10 to $12 billion", "entre 10 y 12 millones"; value
  is the midpoint, `low`/`high` the ends, and the scale or unit of one end is shared with the
  other. "from X to Y" is read as a change, not a range (two figures), except for years.
- Time is kept apart from quantities: years ("since 2023"), quarters ("Q2 2025", "the second
  quarter of 2025", "segundo trimestre de 2025"), halves, months, month ranges ("July 2024 to
  June 2025"), year ranges ("2024-25") and dates. Their values are decimal years: `value` and
  `low` are the start, `high` the (exclusive) end, so Q2 2025 is 2025.25 to 2025.5.

Comparing a claim's figure with the evidence's (`compare`)
---------------------------------------------------------
Two figures are comparable only if they measure in the same unit family: the same currency (no
exchange rates), %, percentage points, multipliers, durations (converted), plain counts, or time.
Each figure then stands for an interval:

- exact: its value plus or minus half the rounding step of how it was written. "$9.7bn" is
  written to 0.1 billion, so it covers 9.65-9.75 billion; "20.8%" covers 20.75-20.85%; "four
  hundred" is written to the hundred. Trailing zeros of a numeral count as significant
  ("$30 billion" is 29.5-30.5 billion).
- approximate ("about 400"): plus or minus 10% of the value (`APPROXIMATE_TOLERANCE`), or the
  rounding step if larger.
- lower bound ("more than 52,000"): from the bound up to 20% above it (`BOUND_TOLERANCE`); a
  report that says "more than 50" is not taken to support 500. Upper bounds mirror this.
- range: its two ends, widened by the rounding step.

When the *claim* states a bound ("more than $5 billion"), it is read literally: it agrees with any
evidence value on the right side of the bound. Otherwise the figures agree (`same=True`) when the
claim's value lies in the evidence's interval or the evidence's value lies in the claim's. A lower
bound against an upper bound at the same value disagrees ("fewer than 50" vs "more than 50").
`relative_difference` is (claim - evidence) / evidence.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from bot.text import sentence_spans

APPROXIMATE_TOLERANCE = 0.10
BOUND_TOLERANCE = 0.20
TIME_KINDS = frozenset({"year", "quarter", "period", "date"})

__all__ = [
    "APPROXIMATE_TOLERANCE",
    "BOUND_TOLERANCE",
    "TIME_KINDS",
    "Comparison",
    "Figure",
    "compare",
    "figure_rows",
    "format_value",
    "mark_figures",
    "parse_figures",
    "unit_family",
]


@dataclass(frozen=True)
class Figure:
    """One figure found in a text. `text == source[start:end]` for the text it was parsed from."""

    text: str
    start: int
    end: int
    value: float
    unit: str | None  # "USD", "ARS", "EUR", "%", "pp", "x", "day"...; None for counts and time
    kind: str  # currency, percent, percentage_points, multiplier, count, duration, year, ...
    qualifier: str = "exact"  # exact, approximate, lower_bound, upper_bound, range
    low: float | None = None
    high: float | None = None
    ambiguous: bool = (
        False  # the separator could be read either way; decided by the text's language
    )
    precision: float = 1.0  # the rounding step of the notation, in the units of `value`

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Comparison:
    """How a claim's figure compares with an evidence figure."""

    comparable: bool  # same unit family; if False nothing else means anything
    same: bool
    relative_difference: float | None  # (claim - evidence) / evidence
    tolerance: float  # half-width of the evidence interval used, in the evidence's units
    rule: str  # "rounding", "approximate", "bound", "range", "claim bound", "units differ"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------------------------
# Vocabulary

_EN_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_EN_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_ES_UNITS = {
    "cero": 0, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14,
    "quince": 15, "dieciséis": 16, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18,
    "diecinueve": 19, "veintiuno": 21, "veintiún": 21, "veintidós": 22, "veintidos": 22,
    "veintitrés": 23, "veintitres": 23, "veinticuatro": 24, "veinticinco": 25,
    "veintiséis": 26, "veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
}  # fmt: skip
_ES_TENS = {
    "veinte": 20, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60,
    "setenta": 70, "ochenta": 80, "noventa": 90,
}  # fmt: skip
_ES_HUNDREDS = {
    "cien": 100, "ciento": 100, "doscientos": 200, "doscientas": 200, "trescientos": 300,
    "trescientas": 300, "cuatrocientos": 400, "cuatrocientas": 400, "quinientos": 500,
    "quinientas": 500, "seiscientos": 600, "seiscientas": 600, "setecientos": 700,
    "setecientas": 700, "ochocientos": 800, "ochocientas": 800, "novecientos": 900,
    "novecientas": 900,
}  # fmt: skip
_UNIT_WORDS = {**_EN_UNITS, **_ES_UNITS}
_TENS_WORDS = {**_EN_TENS, **_ES_TENS}
_HUNDRED_WORDS = {"hundred": 100.0, "hundreds": 100.0, "dozen": 12.0}
_THOUSAND_WORDS = {"thousand": 1e3, "mil": 1e3}
_BIG_WORDS = {
    "million": 1e6, "millions": 1e6, "billion": 1e9, "billions": 1e9, "trillion": 1e12,
    "trillions": 1e12, "millón": 1e6, "millon": 1e6, "millones": 1e6, "millardo": 1e9,
    "millardos": 1e9, "billón": 1e12, "billon": 1e12, "billones": 1e12,
}  # fmt: skip
_HALF_WORDS = {"half": 0.5, "medio": 0.5, "media": 0.5}
_ARTICLES = {"a", "an", "un", "una"}
_SPANISH_SCALE = {"mil", "millón", "millon", "millones", "millardo", "millardos", "billón"}
_SPANISH_SCALE |= {"billon", "billones", "mm"}

# Scale abbreviations: (multiplier, may be separated from the number by a space)
_SCALE_ABBR = {
    "k": (1e3, False), "m": (1e6, False), "b": (1e9, False), "bn": (1e9, True),
    "mn": (1e6, True), "mm": (1e6, True), "mln": (1e6, True), "tn": (1e12, True),
    "trn": (1e12, True), "bln": (1e9, True),
}  # fmt: skip

_CURRENCY_CODES = {"usd": "USD", "ars": "ARS", "eur": "EUR", "gbp": "GBP", "brl": "BRL"}
_CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}
_DOLLAR_PREFIXES = {"us": "USD", "usd": "USD", "ar": "ARS", "ars": "ARS", "r": "BRL"}
_CURRENCY_WORDS = {
    "dollars": "USD", "dollar": "USD", "dólares": "USD", "dolares": "USD", "dólar": "USD",
    "pesos": "ARS", "peso": "ARS", "euros": "EUR", "euro": "EUR", "reais": "BRL",
    **_CURRENCY_CODES,
}  # fmt: skip

_DURATIONS = {
    "second": "second", "seconds": "second", "sec": "second", "secs": "second",
    "segundo": "second", "segundos": "second", "minute": "minute", "minutes": "minute",
    "min": "minute", "mins": "minute", "minuto": "minute", "minutos": "minute",
    "hour": "hour", "hours": "hour", "hr": "hour", "hrs": "hour", "hora": "hour",
    "horas": "hour", "day": "day", "days": "day", "día": "day", "días": "day", "dia": "day",
    "dias": "day", "week": "week", "weeks": "week", "semana": "week", "semanas": "week",
    "month": "month", "months": "month", "mes": "month", "meses": "month", "year": "year",
    "years": "year", "yr": "year", "yrs": "year", "año": "year", "años": "year",
    "decade": "decade", "decades": "decade", "década": "decade", "décadas": "decade",
}  # fmt: skip
DURATION_SECONDS = {
    "second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0, "week": 604800.0,
    "month": 2629746.0, "year": 31556952.0, "decade": 315569520.0,
}  # fmt: skip

_MULTIPLIER_WORDS = {
    "double": 2, "doubled": 2, "doubles": 2, "doubling": 2, "twice": 2, "triple": 3,
    "tripled": 3, "triples": 3, "tripling": 3, "treble": 3, "trebled": 3, "quadruple": 4,
    "quadrupled": 4, "quadrupling": 4, "twofold": 2, "threefold": 3, "fourfold": 4,
    "fivefold": 5, "tenfold": 10, "hundredfold": 100, "halve": 0.5, "halved": 0.5,
    "halving": 0.5, "doble": 2, "duplicar": 2, "duplicó": 2, "duplica": 2, "duplican": 2,
    "duplicaron": 2, "duplicado": 2, "triplicar": 3, "triplicó": 3, "triplica": 3,
    "triplican": 3, "triplicaron": 3, "triplicado": 3, "cuadruplicar": 4, "cuadruplicó": 4,
}  # fmt: skip
_TIMES_WORDS = {"times", "veces", "fold"}

_PERCENT_PHRASES = (("per", "cent"), ("percent",), ("pct",), ("por", "ciento"), ("porciento",))
_PP_PHRASES = (
    ("percentage", "points"), ("percentage", "point"), ("pp",), ("ppt",), ("ppts",),
    ("p", ".", "p", "."), ("puntos", "porcentuales"), ("punto", "porcentual"),
)  # fmt: skip
_BP_PHRASES: tuple[tuple[str, ...], ...] = (
    ("basis", "points"),
    ("basis", "point"),
    ("bps",),
    ("bp",),
)
_BP_PHRASES += (("puntos", "básicos"), ("puntos", "basicos"))

_LOWER = (
    "more than", "over", "at least", "above", "exceeding", "in excess of", "upwards of",
    "no less than", "no fewer than", "greater than", "higher than", "just over", "más de",
    "mas de", "al menos", "por lo menos", "como mínimo", "superior a", "superiores a",
    "arriba de", ">", "≥", "> =",
)  # fmt: skip
_UPPER = (
    "up to", "less than", "fewer than", "under", "below", "at most", "no more than",
    "not more than", "within", "just under", "hasta", "menos de", "como máximo",
    "inferior a", "inferiores a", "por debajo de", "<", "≤", "< =",
)  # fmt: skip
_APPROX = (
    "about", "around", "approximately", "approx", "approx .", "roughly", "nearly", "almost",
    "close to", "some", "circa", "ca .", "an estimated", "estimated", "alrededor de",
    "aproximadamente", "aprox", "aprox .", "cerca de", "casi", "unos", "unas", "en torno a",
    "del orden de", "~", "≈",
)  # fmt: skip
_QUALIFIER_PHRASES: dict[tuple[str, ...], str] = {}
for _phrases, _qual in ((_LOWER, "lower_bound"), (_UPPER, "upper_bound"), (_APPROX, "approximate")):
    for _p in _phrases:
        _QUALIFIER_PHRASES[tuple(_p.split())] = _qual
_MAX_QUALIFIER_LEN = max(len(k) for k in _QUALIFIER_PHRASES)
_LOWER_POSTFIX: tuple[tuple[str, ...], ...] = (
    ("or", "more"),
    ("or", "above"),
    ("or", "higher"),
    ("and", "above"),
)
_LOWER_POSTFIX += (("or", "over"), ("o", "más"), ("o", "mas"), ("y", "más"))
_UPPER_POSTFIX: tuple[tuple[str, ...], ...] = (
    ("or", "less"),
    ("or", "fewer"),
    ("or", "below"),
    ("or", "under"),
)
_UPPER_POSTFIX += (("o", "menos"),)
_YEAR_LOWER = {"since", "after", "from", "desde", "después"}
_YEAR_UPPER = {"until", "till", "by", "before", "through", "antes", "hasta"}
_RANGE_DASHES = {"-", "–", "—", "‒"}

_EN_CUES = {"the", "of", "and", "to", "in", "is", "for", "that", "with", "by", "was", "are"}
_EN_CUES |= {"million", "billion", "than", "from", "this", "its"}
_ES_CUES = {"de", "la", "el", "los", "las", "que", "y", "en", "del", "por", "con", "para"}
_ES_CUES |= {"una", "millones", "mil", "según", "más", "se", "su", "fue", "es"}

# --------------------------------------------------------------------------------------------
# Time patterns, matched on the raw text before anything else

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12, "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5,
    "junio": 6, "julio": 7, "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10,
    "noviembre": 11, "diciembre": 12,
}  # fmt: skip
_MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip
_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "primer": 1, "primero": 1, "segundo": 2, "tercer": 3, "tercero": 3, "cuarto": 4,
}  # fmt: skip
_M = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_Y = r"(?:1[89]\d\d|20\d\d|2100)"
_OPEN = r"(?:(?P<open>between|from|entre|desde|de)\s+)?"
_TO = r"\s*(?:to|and|through|until|till|–|—|-|a|al|y|hasta)\s*"
_TIME_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "month_range",
        re.compile(
            rf"\b{_OPEN}(?P<m1>{_M})(?:\s+(?:de\s+)?(?P<y1>{_Y}))?{_TO}(?P<m2>{_M})\s+(?:de\s+)?(?P<y2>{_Y})\b",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:de\s+)?(?P<m>{_M}),?\s+(?:de\s+)?(?P<y>{_Y})\b",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(rf"\b(?P<m>{_M})\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>{_Y})\b", re.I),
    ),
    ("iso_date", re.compile(rf"\b(?P<y>{_Y})-(?P<mo>[01]\d)-(?P<d>[0-3]\d)\b")),
    ("month", re.compile(rf"\b(?P<m>{_M})(?:\s+de(?:l)?)?\s+(?P<y>{_Y})\b", re.I)),
    ("quarter", re.compile(rf"\bQ(?P<q>[1-4])(?:\s*(?:of\s+)?|[-/'’]\s?)(?P<y>{_Y}|\d\d)\b")),
    ("quarter", re.compile(rf"\b(?P<q>[1-4])Q\s?['’]?(?P<y>{_Y}|\d\d)\b")),
    ("quarter", re.compile(rf"\b(?P<y>{_Y})\s?-?Q(?P<q>[1-4])\b")),
    (
        "quarter",
        re.compile(
            rf"\b(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)\s+(?:fiscal\s+)?quarter\s+(?:of\s+)?(?:fiscal\s+)?(?P<y>{_Y})\b",
            re.I,
        ),
    ),
    (
        "quarter",
        re.compile(
            rf"\b(?P<ord>primer|primero|segundo|tercer|tercero|cuarto)\s+trimestre\s+(?:de(?:l)?\s+)?(?:año\s+)?(?P<y>{_Y})\b",
            re.I,
        ),
    ),
    ("half", re.compile(rf"\bH(?P<h>[12])\s?['’]?(?P<y>{_Y}|\d\d)\b")),
    ("half", re.compile(rf"\b(?P<ord>first|second)\s+half\s+(?:of\s+)?(?P<y>{_Y})\b", re.I)),
    (
        "half",
        re.compile(
            rf"\b(?P<ord>primer|segundo)\s+semestre\s+(?:de(?:l)?\s+)?(?:año\s+)?(?P<y>{_Y})\b",
            re.I,
        ),
    ),
    ("fiscal", re.compile(r"\bFY\s?'?(?P<y>(?:19|20)\d\d|\d\d)\b")),
    (
        "year_range",
        re.compile(
            rf"\b{_OPEN}(?P<y1>{_Y})\s*(?:[/–—-]|to|through|a|al|hasta)\s*(?P<y2>{_Y}|\d\d)\b(?![.,]\d)",
            re.I,
        ),
    ),
]

_TOKEN_RE = re.compile(r"(\d+(?:[.,]\d+)*)|([^\W\d_]+(?:['’][^\W\d_]+)*)|(\S)")
_WORD_RE = re.compile(r"[^\W\d_]+")
_EN_NUM_RE = re.compile(r"\b\d{1,3}(?:,\d{3})+\.\d+\b|\b\d+\.\d{1,2}\b(?![.,]\d)")
_ES_NUM_RE = re.compile(r"\b\d{1,3}(?:\.\d{3})+,\d+\b|\b\d+,\d{1,2}\b(?![.,]\d)")


# --------------------------------------------------------------------------------------------
# Parsing


@dataclass
class _Num:
    value: float
    end: int  # index of the first token after the number
    precision: float
    words: bool  # written in words
    ambiguous: bool = False
    lang: str | None = None  # "en"/"es" if the scale word gave the language away
    scaled: bool = False
    last: int = -1  # index of the number's last token, before any scale word


class _Text:
    """The tokens of one text and the helpers the grammar needs."""

    def __init__(self, text: str, locale: str | None) -> None:
        self.text = text
        self.toks: list[str] = []
        self.low: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.types: list[int] = []  # 1 number, 2 word, 3 symbol
        for m in _TOKEN_RE.finditer(text):
            self.toks.append(m.group())
            self.low.append(m.group().lower())
            self.starts.append(m.start())
            self.ends.append(m.end())
            self.types.append(m.lastindex or 3)
        self.n = len(self.toks)
        self.explicit_locale = locale in ("en", "es")
        self.locale = locale if locale in ("en", "es") else _detect_locale(text)

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


def _detect_locale(text: str) -> str:
    """'es' or 'en' from common words and unambiguous numerals; English when unsure."""
    en = es = 0
    for m in _WORD_RE.finditer(text[:20000]):
        w = m.group().lower()
        if w in _EN_CUES:
            en += 1
        elif w in _ES_CUES:
            es += 1
    en += 3 * len(_EN_NUM_RE.findall(text[:20000]))
    es += 3 * len(_ES_NUM_RE.findall(text[:20000]))
    return "es" if es > en else "en"


def _read_numeral(s: str, locale: str | None) -> tuple[float, int, bool] | None:
    """(value, decimals, ambiguous form) for a numeral token, or None if it is not a number.

    `locale` resolves the ambiguous form; None means the form is ambiguous and no locale is known
    yet (the caller asks again with one).
    """
    seps = [c for c in s if c in ".,"]
    if not seps:
        return float(s), 0, False
    groups = re.split(r"[.,]", s)
    if len(seps) == 1:
        head, tail = groups
        decimal = (head + "." + tail, len(tail))
        if len(tail) != 3 or head.startswith("0") or len(head) > 3:
            return float(decimal[0]), decimal[1], False
        if tail == "000":
            return float(head + tail), 0, False
        grouping = (seps[0] == "," and locale == "en") or (seps[0] == "." and locale == "es")
        if grouping:
            return float(head + tail), 0, True
        return float(decimal[0]), decimal[1], True
    if len(set(seps)) == 1:
        # One separator used several times: a thousands grouping (Indian lakh grouping allowed).
        if len(groups[0]) > 3 or len(groups[-1]) != 3:
            return None
        if any(len(g) != 3 for g in groups[1:]) and not (
            seps[0] == "," and all(len(g) == 2 for g in groups[1:-1])
        ):
            return None
        return float("".join(groups)), 0, False
    # Two different separators: the last one is the decimal mark, the others group thousands.
    dec = seps[-1]
    if any(c == dec for c in seps[:-1]) or len(groups[0]) > 3:
        return None
    if any(len(g) != 3 for g in groups[1:-1]):
        return None
    return float("".join(groups[:-1]) + "." + groups[-1]), len(groups[-1]), False


def _parse_words(t: _Text, i: int) -> _Num | None:
    """A number written in words starting at token i ("four hundred", "half a billion")."""
    total = 0.0  # flushed by million, billion...
    thou = 0.0  # flushed by thousand / mil
    current: float | None = None  # below a thousand
    prec = 1.0  # rounding step of the least significant term
    last = ""  # kind of the last number word: unit, tens, hundred, thousand, big, half
    good: tuple[float, int, float, bool] | None = None  # value, end, precision, scaled
    scaled = False
    j = i
    while j < t.n:
        if j > i and not t.joined(j - 1, j):
            break
        w = t.low[j]
        nxt = t.low[j + 1] if j + 1 < t.n else ""
        if w in _ARTICLES:
            # "a billion", "half a billion", "one and a half", "un millón": an article only
            # before a scale word or "half"
            if nxt in _HALF_WORDS and last != "half":
                j += 1
                continue
            if nxt not in _HUNDRED_WORDS and nxt not in _THOUSAND_WORDS and nxt not in _BIG_WORDS:
                break
            if last == "half":
                j += 1
                continue
            if current is not None:
                break
            current, last = 1.0, "unit"
            j += 1
            continue
        if w in ("and", "y", "-") and (current is not None or thou):
            # "four hundred and twenty", "treinta y cinco", "twenty-five", "one and a half"
            if w == "-" and not t.adjacent(j - 1, j):
                break
            j += 1
            continue
        if w in _UNIT_WORDS:
            if last in ("unit", "half") or (last == "tens" and _UNIT_WORDS[w] >= 10):
                break
            current = (current or 0.0) + _UNIT_WORDS[w]
            prec, last = 1.0, "unit"
        elif w in _TENS_WORDS:
            if last in ("unit", "tens", "half"):
                break
            current = (current or 0.0) + _TENS_WORDS[w]
            prec, last = 1.0, "tens"
        elif w in _ES_HUNDREDS:
            if last in ("unit", "tens", "hundred", "half"):
                break
            current = (current or 0.0) + _ES_HUNDREDS[w]
            prec, last = 1.0, "hundred"
        elif w in _HALF_WORDS:
            if j > i and t.low[j - 1] in ("a", "an") and current is not None:
                current += 0.5  # "one and a half"
            elif current is None and last not in ("unit", "tens", "hundred"):
                current = 0.5
            else:
                break
            prec, last = 0.5, "half"
        elif w in _HUNDRED_WORDS:
            if current is None or last in ("hundred", "thousand", "big") or w == "hundreds":
                break
            current *= _HUNDRED_WORDS[w]
            prec *= _HUNDRED_WORDS[w]
            last = "hundred"
        elif w in _THOUSAND_WORDS:
            if current is None and w == "mil" and j == i:
                current = 1.0
            if current is None or last in ("thousand", "big"):
                break
            thou += current * 1e3
            current = None
            prec *= 1e3
            last, scaled = "thousand", True
        elif w in _BIG_WORDS:
            if current is None and not thou:
                break
            total += (thou + (current or 0.0)) * _BIG_WORDS[w]
            thou, current = 0.0, None
            prec *= _BIG_WORDS[w]
            last, scaled = "big", True
        else:
            break
        j += 1
        good = (total + thou + (current or 0.0), j, prec, scaled)
    if good is None:
        return None
    return _Num(good[0], good[1], good[2], True, scaled=good[3])


def _parse_core(t: _Text, i: int, currency: bool, second: bool = False) -> _Num | None:
    """The number at token i with its scale words ("9.7bn", "four hundred", "1,5 mil millones").

    `second` is set for the second end of a range, which may follow a dash ("10-12").
    """
    if t.types[i] == 1:
        if t.adjacent(i - 1, i) and t.types[i - 1] == 2 and t.low[i - 1] not in _CURRENCY_CODES:
            return None  # "A100", "G20", "COVID19"
        if (
            not second
            and t.adjacent(i - 1, i)
            and t.toks[i - 1] in ("-", ".", ",", "/", ":")
            and t.adjacent(i - 2, i - 1)
            and t.types[i - 2] in (1, 2)
        ):
            return None  # "COVID-19", "1.2.3", "24/7", "10:30"
        read = _read_numeral(t.toks[i], t.locale)
        if read is None:
            return None
        value, decimals, ambiguous_form = read
        num = _Num(value, i + 1, 10.0**-decimals, False)
        if ambiguous_form:
            cue = _local_cue(t, i + 1)
            if t.explicit_locale:
                cue = t.locale
            if cue is not None:
                read = _read_numeral(t.toks[i], cue)
                if read is not None:
                    num.value, num.precision = read[0], 10.0 ** -read[1]
            num.ambiguous = cue is None
    else:
        words_num = _parse_words(t, i)
        if words_num is None:
            return None
        num = words_num
    # Scale words and abbreviations after the number.
    num.last = num.end - 1
    j = num.end
    while j < t.n and t.joined(j - 1, j):
        w = t.low[j]
        adjacent = t.adjacent(j - 1, j)
        mult = 0.0
        if w in _BIG_WORDS or w in _THOUSAND_WORDS:
            if w == "mil" and num.words:
                break
            mult = _BIG_WORDS.get(w) or _THOUSAND_WORDS[w]
            num.lang = "es" if w in _SPANISH_SCALE else "en"
        elif w in _SCALE_ABBR and not num.words:
            mult, spaced_ok = _SCALE_ABBR[w]
            if not (adjacent or spaced_ok):
                break
            if w == "mm":
                num.lang = "es"
            if j + 1 < t.n and t.adjacent(j, j + 1) and t.types[j + 1] != 3:
                break
        else:
            break
        num.value *= mult
        num.precision *= mult
        num.scaled = True
        j += 1
    num.end = j
    if t.types[i] == 1 and j < t.n and t.adjacent(j - 1, j):
        if t.types[j] == 2 and t.low[j] not in _ADJACENT_SUFFIXES:
            return None  # "2nd", "3D", "10am", "1990s"
        if t.toks[j] in ("/", ":") and t.adjacent(j, j + 1) and t.types[j + 1] == 1:
            return None  # "24/7", "10:30"
    return num


_ADJACENT_SUFFIXES = {"x", "k", "m", "b", "bn", "mn", "mm", "pp", "bps", "bp", "ppt", "fold"}
_ADJACENT_SUFFIXES |= {"usd", "ars", "eur"}


def _local_cue(t: _Text, j: int) -> str | None:
    """The language the words right after a numeral are written in, if they tell."""
    if j >= t.n or not t.joined(j - 1, j):
        return None
    w = t.low[j]
    if w in _SPANISH_SCALE or w in ("dólares", "dolares", "por"):
        return "es"
    if w in ("thousand", "million", "billion", "trillion", "bn", "mn", "k"):
        return "en"
    if w in ("per", "percent") or w == "%":
        return None
    return None


def _currency_before(t: _Text, i: int) -> tuple[str, int] | None:
    """A currency written before token i: (code, index of its first token)."""
    k = i - 1
    if k < 0 or not t.joined(k, i):
        return None
    tok = t.toks[k]
    if tok in _CURRENCY_SYMBOLS:
        code, first = _CURRENCY_SYMBOLS[tok], k
        if tok == "$" and k >= 1:
            prev = t.low[k - 1]
            if prev in _DOLLAR_PREFIXES and t.joined(k - 1, k):
                code, first = _DOLLAR_PREFIXES[prev], k - 1
        return code, first
    if (
        t.low[k] == "s"
        and k >= 2
        and t.toks[k - 1] == "$"
        and t.low[k - 2] == "u"
        and t.adjacent(k - 2, k - 1)
        and t.adjacent(k - 1, k)
    ):
        return "USD", k - 2  # U$S, the Argentine way of writing US dollars
    if t.low[k] in _CURRENCY_CODES and t.types[k] == 2:
        return _CURRENCY_CODES[t.low[k]], k
    return None


def _qualifier_before(t: _Text, i: int) -> tuple[str, int] | None:
    """A qualifier phrase ending just before token i: (qualifier, index of its first token)."""
    for size in range(_MAX_QUALIFIER_LEN, 0, -1):
        k = i - size
        if k < 0 or not t.joined(i - 1, i):
            continue
        phrase = tuple(t.low[k:i])
        if phrase in _QUALIFIER_PHRASES and all(t.joined(x, x + 1) for x in range(k, i - 1)):
            if k > 0 and t.adjacent(k - 1, k) and t.types[k - 1] == 2:
                continue
            return _QUALIFIER_PHRASES[phrase], k
    return None


@dataclass
class _Part:
    """One side of a figure: the number, its currency and unit, and its token span."""

    first: int
    num: _Num
    end: int
    currency: str | None = None
    unit: str | None = None
    kind: str | None = None
    factor: float = 1.0  # basis points to percentage points


def _unit_after(t: _Text, j: int, part: _Part) -> int:
    """Read a unit after the number (%, pp, currency, times, days); returns the new end."""
    if j >= t.n or not t.joined(j - 1, j):
        return j
    w = t.low[j]
    if w == "%" or w == "٪":
        part.unit, part.kind = "%", "percent"
        return j + 1
    for phrases, unit, kind, factor in (
        (_PERCENT_PHRASES, "%", "percent", 1.0),
        (_PP_PHRASES, "pp", "percentage_points", 1.0),
        (_BP_PHRASES, "pp", "percentage_points", 0.01),
    ):
        end = t.phrase_from(j, phrases)
        if end > 0:
            part.unit, part.kind, part.factor = unit, kind, factor
            return end
    if w in _TIMES_WORDS or (w in ("x", "×") and (t.adjacent(j - 1, j) or w == "×")):
        if w == "x" and j + 1 < t.n and t.adjacent(j, j + 1) and t.types[j + 1] != 3:
            return j
        part.unit, part.kind = "x", "multiplier"
        return j + 1
    if w == "-" and t.adjacent(j - 1, j) and j + 1 < t.n and t.adjacent(j, j + 1):
        nxt = t.low[j + 1]
        if nxt == "fold":
            part.unit, part.kind = "x", "multiplier"
            return j + 2
        if nxt in _DURATIONS:
            part.unit, part.kind = _DURATIONS[nxt], "duration"
            return j + 2
        return j
    if w in _DURATIONS and part.currency is None and not part.num.scaled:
        part.unit, part.kind = _DURATIONS[w], "duration"
        return j + 1
    # Currency after the number: "500 dollars", "500 US dollars", "500 millones de dólares".
    k = j
    if w == "de" and part.num.scaled and k + 1 < t.n and t.joined(k, k + 1):
        k += 1
    if t.low[k] in ("us", "u.s") and k + 1 < t.n and t.low[k + 1] in ("dollars", "dollar"):
        k += 1
    if t.phrase_at(k, ("u", ".", "s", ".", "dollars")):
        k += 4
    code = _CURRENCY_WORDS.get(t.low[k]) if t.types[k] == 2 else None
    if t.toks[k] in ("€", "£"):
        code = _CURRENCY_SYMBOLS[t.toks[k]]
    if (
        code
        and (part.currency is None or part.currency == code)
        and all(t.joined(x, x + 1) for x in range(j, k))
    ):
        part.currency = code
        return k + 1
    return j


def _parse_part(t: _Text, i: int, allow_words: bool = True, second: bool = False) -> _Part | None:
    """Currency, number, scale and unit starting at token i (the currency may precede i)."""
    first = i
    currency = None
    if t.types[i] != 1 and t.types[i] != 2:
        cur = None
        # A currency prefix at i itself: "$", "US$", "USD", "U$S"
        for k in range(i + 1, min(i + 4, t.n)):
            if t.types[k] == 1 and all(t.joined(x, x + 1) for x in range(i, k)):
                found = _currency_before(t, k)
                if found and found[1] == i:
                    cur = (found[0], k)
                break
        if cur is None:
            return None
        currency, i = cur
    elif t.types[i] == 2 and t.low[i] in _CURRENCY_CODES | _DOLLAR_PREFIXES.keys() | {"u"}:
        for k in range(i + 1, min(i + 4, t.n)):
            if t.types[k] == 1 and all(t.joined(x, x + 1) for x in range(i, k)):
                found = _currency_before(t, k)
                if found and found[1] == i:
                    currency, i = found[0], k
                break
    if t.types[i] == 2 and not allow_words:
        return None
    num = _parse_core(t, i, currency is not None, second)
    if num is None:
        return None
    part = _Part(first, num, num.end, currency)
    part.end = _unit_after(t, num.end, part)
    return part


def _finish_kind(part: _Part) -> tuple[str, str | None]:
    if part.currency:
        return "currency", part.currency
    if part.kind:
        return part.kind, part.unit
    return "count", None


def _standalone_multiplier(t: _Text, i: int) -> tuple[float, int] | None:
    w = t.low[i]
    if w not in _MULTIPLIER_WORDS:
        return None
    if (
        w.startswith("doub")
        and i + 2 < t.n
        and t.toks[i + 1] == "-"
        and t.low[i + 2]
        in (
            "digit",
            "digits",
            "check",
            "edged",
        )
    ):
        return None
    return float(_MULTIPLIER_WORDS[w]), i + 1


def _is_year(part: _Part, qualifier: str | None, t: _Text) -> bool:
    if part.currency or part.kind or part.num.words or part.num.scaled:
        return False
    tok = t.toks[part.num.last]
    if not (len(tok) == 4 and tok.isdigit() and 1800 <= int(tok) <= 2100):
        return False
    return qualifier is None


def _time_figure(
    t: _Text, start: int, end: int, kind: str, low: float, high: float, qualifier: str = "exact"
) -> Figure:
    return Figure(
        text=t.text[start:end],
        start=start,
        end=end,
        value=low,
        unit=None,
        kind=kind,
        qualifier=qualifier,
        low=low,
        high=high,
        precision=high - low,
    )


def _full_year(y: str, ref: int | None = None) -> int:
    if len(y) == 4:
        return int(y)
    century = (ref // 100 * 100) if ref else 2000
    return century + int(y)


def _time_spans(t: _Text) -> list[Figure]:
    """Years, quarters, halves, months, month ranges and dates, matched on the raw text."""
    found: list[tuple[int, int, Figure]] = []
    for name, pattern in _TIME_PATTERNS:
        for m in pattern.finditer(t.text):
            fig = _time_match(t, name, m)
            if fig is not None:
                found.append((fig.start, -(fig.end - fig.start), fig))
    found.sort(key=lambda x: (x[0], x[1]))
    chosen: list[Figure] = []
    last_end = -1
    for start, _, fig in found:
        if start >= last_end:
            chosen.append(fig)
            last_end = fig.end
    return chosen


def _time_match(t: _Text, name: str, m: re.Match[str]) -> Figure | None:
    g = m.groupdict()
    start, end = m.start(), m.end()
    if name == "month_range":
        m1, m2 = _MONTHS[g["m1"].lower().rstrip(".")], _MONTHS[g["m2"].lower().rstrip(".")]
        y2 = int(g["y2"])
        y1 = int(g["y1"]) if g["y1"] else (y2 if m1 <= m2 else y2 - 1)
        low, high = y1 + (m1 - 1) / 12, y2 + m2 / 12
        if high <= low:
            return None
        return _time_figure(t, start, end, "period", low, high, "range")
    if name in ("date", "iso_date"):
        month = int(g["mo"]) if name == "iso_date" else _MONTHS[g["m"].lower().rstrip(".")]
        day = int(g["d"])
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        low = int(g["y"]) + (month - 1) / 12 + (day - 1) / 365.25
        return _time_figure(t, start, end, "date", low, low + 1 / 365.25)
    if name == "month":
        month = _MONTHS[g["m"].lower().rstrip(".")]
        if g["m"].lower().rstrip(".") in ("may", "mar") and not g["m"][0].isupper():
            return None  # "may 2025" is more likely a verb than a month
        low = int(g["y"]) + (month - 1) / 12
        return _time_figure(t, start, end, "period", low, low + 1 / 12)
    if name == "quarter":
        q = int(g["q"]) if g.get("q") else _ORDINALS[g["ord"].lower()]
        year = _full_year(g["y"])
        low = year + (q - 1) / 4
        return _time_figure(t, start, end, "quarter", low, low + 0.25)
    if name == "half":
        h = int(g["h"]) if g.get("h") else _ORDINALS[g["ord"].lower()]
        year = _full_year(g["y"])
        low = year + (h - 1) / 2
        return _time_figure(t, start, end, "period", low, low + 0.5)
    if name == "fiscal":
        year = _full_year(g["y"])
        return _time_figure(t, start, end, "period", float(year), year + 1.0)
    if name == "year_range":
        if g.get("open") and g["open"].lower() == "de":
            start = m.start("y1")
        y1 = int(g["y1"])
        y2 = _full_year(g["y2"], y1)
        if not (y1 < y2 <= y1 + 50):
            return None
        return _time_figure(t, start, end, "period", float(y1), y2 + 1.0, "range")
    return None


def parse_figures(text: str, locale: str | None = None) -> list[Figure]:
    """Every figure in `text`, in order; `locale` ("en"/"es") overrides language detection."""
    if not text or not isinstance(text, str):
        return []
    t = _Text(text, locale)
    figures = _time_spans(t)
    blocked: list[tuple[int, int]] = [(f.start, f.end) for f in figures]
    bi = 0
    free = 0  # tokens before this index belong to a figure already
    i = 0
    while i < t.n:
        while bi < len(blocked) and blocked[bi][1] <= t.starts[i]:
            bi += 1
        if bi < len(blocked) and blocked[bi][0] < t.ends[i]:
            i += 1
            free = i
            continue
        limit = blocked[bi][0] if bi < len(blocked) else len(text)
        fig, nxt = _figure_at(t, i, free, limit)
        if fig is not None:
            figures.append(fig)
            i = free = nxt
            continue
        i += 1
    figures.sort(key=lambda f: f.start)
    return figures


def _is_anchor(t: _Text, i: int) -> bool:
    if t.types[i] == 1:
        return True
    if t.types[i] == 3:
        return t.toks[i] in _CURRENCY_SYMBOLS
    w = t.low[i]
    if w in _CURRENCY_CODES or w in _DOLLAR_PREFIXES or w == "u":
        return True
    if w in _UNIT_WORDS or w in _TENS_WORDS or w in _ES_HUNDREDS or w in _MULTIPLIER_WORDS:
        return True
    nxt = t.low[i + 1] if i + 1 < t.n else ""
    if w in _ARTICLES or w in _HALF_WORDS:
        return (
            nxt in _BIG_WORDS
            or nxt in _HUNDRED_WORDS
            or nxt in _ARTICLES
            or nxt
            in (
                "thousand",
                *_HALF_WORDS,
            )
        )
    return w == "mil" and nxt in _BIG_WORDS


def _figure_at(t: _Text, i: int, free: int, limit: int) -> tuple[Figure | None, int]:
    """The figure whose number starts at token i (looking left for currency and qualifiers)."""
    if not _is_anchor(t, i):
        return None, i
    # Enumerations at the start of a line: "1. Path towards..."
    line_start = i == 0 or "\n" in t.text[t.ends[i - 1] : t.starts[i]]
    listed = i + 1 < t.n and t.toks[i + 1] in (".", ")") and t.adjacent(i, i + 1)
    if t.types[i] == 1 and line_start and listed:
        return None, i + 2
    mult = _standalone_multiplier(t, i)
    if mult is not None:
        left = _qualifier_before(t, i) if i > free else None
        first = left[1] if left and left[1] >= free else i
        qualifier = left[0] if left and left[1] >= free else "exact"
        return _make(t, first, mult[1], mult[0], "x", "multiplier", qualifier, 0.5), mult[1]
    part = _parse_part(t, i)
    if part is None or t.starts[part.end - 1] >= limit:
        return None, i
    first = part.first
    # Currency written before the number (when the anchor was the number itself).
    if part.currency is None and t.types[i] == 1:
        cur = _currency_before(t, i)
        if cur and cur[1] >= free:
            part.currency, first = cur[0], cur[1]
            if part.kind and part.kind != "currency":
                part.currency = None
                first = part.first
    # A sign directly before a numeral: "-3.2%".
    signed = t.types[i] == 1 and first == i and i > free and t.toks[i - 1] in ("-", "−")
    if signed and t.adjacent(i - 1, i) and not (i >= 2 and t.adjacent(i - 2, i - 1)):
        part.num.value = -part.num.value
        first = i - 1
    qual = _qualifier_before(t, first) if first > free else None
    qualifier = "exact"
    if qual and qual[1] >= free:
        qualifier, first = qual
    end = part.end
    low = high = None
    value = part.num.value * part.factor
    precision = part.num.precision * part.factor
    kind, unit = _finish_kind(part)
    # Ranges: "between 10 and 12", "10-12%", "$10 to $12 billion", "entre 10 y 12".
    rng = _range_after(t, part, first, free, limit)
    if rng is not None:
        other, end, opener = rng
        a, b = part, other
        if not a.num.scaled and b.num.scaled and a.num.value <= b.num.value:
            raw = _raw_value(t, b)
            scale = b.num.value / raw if raw else 1.0
            a.num.value *= scale
            a.num.precision *= scale
        if a.currency is None and a.kind is None:
            a.currency, a.unit, a.kind, a.factor = b.currency, b.unit, b.kind, b.factor
        if b.currency is None and b.kind is None:
            b.currency, b.unit, b.kind, b.factor = a.currency, a.unit, a.kind, a.factor
        kind, unit = _finish_kind(a)
        if _finish_kind(b) != (kind, unit):
            rng = None
        else:
            lo, hi = a.num.value * a.factor, b.num.value * b.factor
            if _is_year(a, None, t) and _is_year(b, None, t):
                if opener is not None:
                    first = opener
                return _make_time_range(t, first, end, lo, hi), end
            if lo > hi:
                rng = None
            else:
                if opener is not None:
                    first = opener
                low, high = lo, hi
                value = (lo + hi) / 2
                precision = min(a.num.precision * a.factor, b.num.precision * b.factor)
                qualifier = "range"
    if rng is None:
        end = part.end
        post = _postfix_qualifier(t, end)
        if post is not None and qualifier == "exact":
            qualifier, end = post
    if kind == "count" and part.num.words and abs(value) < 2 and qualifier == "exact":
        return None, i  # a lone "one" or "a"
    if kind == "count" and rng is None and _is_year(part, None, t):
        if qualifier != "exact":
            pass  # "over 2000 jobs": a count
        else:
            return _year_figure(t, first, end, int(value), free), end
    if kind == "duration" and qualifier == "lower_bound" and t.low[first] == "over":
        qualifier, first = "exact", first + 1  # "over four days" = during four days
    if qualifier == "lower_bound" and low is None:
        low = value
    elif qualifier == "upper_bound" and high is None:
        high = value
    fig = _make(t, first, end, value, unit, kind, qualifier, precision, part.num.ambiguous)
    if low is not None or high is not None:
        fig = replace(fig, low=low, high=high)
    if not math.isfinite(fig.value):
        return None, end
    return fig, end


def _raw_value(t: _Text, part: _Part) -> float:
    """The value of a part's number before its scale words."""
    if part.num.words:
        return part.num.value
    for k in range(part.first, part.num.end):
        if t.types[k] == 1:
            read = _read_numeral(t.toks[k], t.locale)
            return read[0] if read else part.num.value
    return part.num.value


def _range_after(
    t: _Text, part: _Part, first: int, free: int, limit: int
) -> tuple[_Part, int, int | None] | None:
    j = part.end
    if j >= t.n or not t.joined(j - 1, j):
        return None
    opener = None
    if (
        first - 1 >= free
        and first >= 1
        and t.joined(first - 1, first)
        and t.low[first - 1] in ("between", "entre", "from", "de", "desde")
    ):
        opener = first - 1
    w = t.low[j]
    open_word = t.low[opener] if opener is not None else None
    if w in _RANGE_DASHES:
        if t.types[part.num.last] != 1:
            return None
    elif w == "to" or w == "a":
        if w == "a" and open_word not in (None, "entre"):
            return None
    elif (w, open_word) not in (("and", "between"), ("y", "entre")):
        return None
    k = j + 1
    if k >= t.n or not t.joined(j, k):
        return None
    other = _parse_part(t, k, allow_words=t.types[part.num.last] == 2, second=True)
    if other is None or t.starts[other.end - 1] >= limit:
        return None
    if open_word in ("from", "de", "desde") and not (
        _is_year(part, None, t) and _is_year(other, None, t)
    ):
        return None  # "rose from 10% to 20%" is a change, not a range
    if w in _RANGE_DASHES and t.types[other.num.last] != 1:
        return None
    # "2024-25": a two-digit second year
    if _is_year(part, None, t) and not _is_year(other, None, t):
        tok = t.toks[other.num.last]
        if len(tok) == 2 and tok.isdigit() and other.currency is None and other.kind is None:
            other.num.value = _full_year(tok, int(part.num.value))
            if other.num.value > part.num.value:
                return other, other.end, opener
        return None
    if open_word in ("between", "entre") and w not in ("and", "y") and w not in _RANGE_DASHES:
        opener = None
    if open_word in ("from", "de", "desde") and w not in ("to", "a", "al", "hasta", *_RANGE_DASHES):
        return None
    return other, other.end, opener


def _postfix_qualifier(t: _Text, j: int) -> tuple[str, int] | None:
    if j < t.n and t.toks[j] == "+" and t.adjacent(j - 1, j):
        return "lower_bound", j + 1
    if j < t.n and t.joined(j - 1, j):
        end = t.phrase_from(j, _LOWER_POSTFIX)
        if end > 0:
            return "lower_bound", end
        end = t.phrase_from(j, _UPPER_POSTFIX)
        if end > 0:
            return "upper_bound", end
    return None


def _year_figure(t: _Text, first: int, end: int, year: int, free: int) -> Figure:
    qualifier = "exact"
    high: float = year + 1.0
    low: float = float(year)
    prev = t.low[first - 1] if first >= 1 and first - 1 >= free else ""
    if prev in _YEAR_LOWER:
        qualifier, high = "lower_bound", math.inf
    elif prev in _YEAR_UPPER:
        qualifier, low = "upper_bound", -math.inf
    fig = _time_figure(t, t.starts[first], t.ends[end - 1], "year", float(year), year + 1.0)
    if qualifier != "exact":
        fig = replace(
            fig,
            qualifier=qualifier,
            low=None if math.isinf(low) else low,
            high=None if math.isinf(high) else high,
        )
    return fig


def _make_time_range(t: _Text, first: int, end: int, y1: float, y2: float) -> Figure:
    return _time_figure(t, t.starts[first], t.ends[end - 1], "period", y1, y2 + 1.0, "range")


def _make(
    t: _Text,
    first: int,
    end: int,
    value: float,
    unit: str | None,
    kind: str,
    qualifier: str,
    precision: float,
    ambiguous: bool = False,
) -> Figure:
    start, stop = t.starts[first], t.ends[end - 1]
    return Figure(
        text=t.text[start:stop],
        start=start,
        end=stop,
        value=value,
        unit=unit,
        kind=kind,
        qualifier=qualifier,
        ambiguous=ambiguous,
        precision=precision,
    )


# --------------------------------------------------------------------------------------------
# Display


def _number(x: float) -> str:
    """A plain number for display: comma thousands, no float noise ("9.685", "65,000")."""
    if not math.isfinite(x):
        return str(x)
    rounded = float(f"{x:.10g}")
    if rounded == int(rounded) and abs(rounded) < 1e15:
        return f"{int(rounded):,}"
    text = f"{rounded:,.6f}".rstrip("0").rstrip(".")
    return text


def _scaled(x: float) -> str:
    """A large amount with a scale word: "9.685 billion", "500 million", "42,000"."""
    for scale, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(x) >= scale:
            return f"{_number(x / scale)} {word}"
    return _number(x)


_QUALIFIER_WORDS = {"approximate": "about ", "lower_bound": "more than ", "upper_bound": "up to "}


def format_value(fig: Figure) -> str:
    """A figure for people: "USD 9.685 billion", "about 400", "20.8%", "Q2 2025"."""
    if fig.kind in TIME_KINDS:
        return _format_time(fig)
    if fig.qualifier == "range" and fig.low is not None and fig.high is not None:
        return _format_amount(fig, fig.low, fig.high)
    return _QUALIFIER_WORDS.get(fig.qualifier, "") + _format_amount(fig, fig.value, None)


def _format_amount(fig: Figure, value: float, high: float | None) -> str:
    if fig.kind == "currency":
        body = _scaled(value) if high is None else f"{_scaled(value)} to {_scaled(high)}"
        return f"{fig.unit} {body}"
    if fig.unit == "%":
        return f"{_number(value)}%" if high is None else f"{_number(value)}% to {_number(high)}%"
    if fig.unit == "pp":
        body = _number(value) if high is None else f"{_number(value)} to {_number(high)}"
        return f"{body} percentage points"
    if fig.unit == "x":
        body = _number(value) if high is None else f"{_number(value)} to {_number(high)}"
        return f"{body} times"
    body = _scaled(value) if high is None else f"{_scaled(value)} to {_scaled(high)}"
    if fig.kind == "duration" and fig.unit:
        plural = "" if high is None and value == 1 else "s"
        return f"{body} {fig.unit}{plural}"
    return body


def _month_label(x: float) -> str:
    year = math.floor(x + 1e-9)
    month = round((x - year) * 12)
    if month == 12:
        year, month = year + 1, 0
    return f"{_MONTH_NAMES[month]} {year}"


def _format_time(fig: Figure) -> str:
    low = fig.low if fig.low is not None else fig.value
    high = fig.high
    if fig.kind == "year":
        label = str(round(fig.value))
        return {"lower_bound": "since ", "upper_bound": "by "}.get(fig.qualifier, "") + label
    if high is None:
        return _number(low)
    span = high - low
    year = math.floor(low + 1e-9)
    if fig.kind == "quarter":
        return f"Q{round((low - year) * 4) + 1} {year}"
    if fig.kind == "date":
        return fig.text
    if abs(span - 0.5) < 1e-6 and abs((low - year) * 2 - round((low - year) * 2)) < 1e-6:
        return f"H{round((low - year) * 2) + 1} {year}"
    if abs(low - year) < 1e-9 and abs(span - round(span)) < 1e-9:
        last = round(high) - 1
        return str(year) if last == year else f"{year} – {last}"
    if abs(span - 1 / 12) < 1e-6:
        return _month_label(low)
    return f"{_month_label(low)} – {_month_label(high - 1 / 12)}"


# --------------------------------------------------------------------------------------------
# Comparing


def unit_family(fig: Figure) -> str:
    """What a figure measures, for matching: "USD", "%", "pp", "x", "duration", "count", "time"."""
    if fig.kind in TIME_KINDS:
        return "time"
    if fig.kind == "duration":
        return "duration"
    return fig.unit or "count"


def _in_base(fig: Figure, x: float) -> float:
    if fig.kind == "duration" and fig.unit in DURATION_SECONDS:
        return x * DURATION_SECONDS[fig.unit]
    return x


def _interval(fig: Figure) -> tuple[float, float, float]:
    """(low, high, half-width used) of what a figure asserts, in base units."""
    v = _in_base(fig, fig.value)
    h = _in_base(fig, fig.precision) / 2
    if fig.qualifier == "approximate":
        h = max(h, abs(v) * APPROXIMATE_TOLERANCE)
        return v - h, v + h, h
    if fig.qualifier == "lower_bound":
        return v - h, v + abs(v) * BOUND_TOLERANCE + h, abs(v) * BOUND_TOLERANCE
    if fig.qualifier == "upper_bound":
        return v - abs(v) * BOUND_TOLERANCE - h, v + h, abs(v) * BOUND_TOLERANCE
    if fig.qualifier == "range" and fig.low is not None and fig.high is not None:
        lo, hi = _in_base(fig, fig.low), _in_base(fig, fig.high)
        return lo - h, hi + h, (hi - lo) / 2 + h
    return v - h, v + h, h


def compare(claim: Figure, evidence: Figure) -> Comparison:
    """Does the claim's figure agree with the evidence's? The rule is in the module docstring."""
    if unit_family(claim) != unit_family(evidence):
        return Comparison(False, False, None, 0.0, "units differ")
    if unit_family(claim) == "time":
        c_lo = claim.low if claim.low is not None else -math.inf
        c_hi = claim.high if claim.high is not None else math.inf
        e_lo = evidence.low if evidence.low is not None else -math.inf
        e_hi = evidence.high if evidence.high is not None else math.inf
        overlap = c_lo < e_hi and e_lo < c_hi
        bounded = ("lower_bound", "upper_bound")
        if claim.qualifier in bounded and claim.qualifier == evidence.qualifier:
            overlap = claim.value == evidence.value  # "since 2020" is not "since 2023"
        return Comparison(True, overlap, None, 0.0, "time overlap")
    cv, ev = _in_base(claim, claim.value), _in_base(evidence, evidence.value)
    rel = (cv - ev) / abs(ev) if ev else None
    e_lo, e_hi, e_tol = _interval(evidence)
    c_lo, c_hi, _ = _interval(claim)
    slack = max(_in_base(claim, claim.precision), _in_base(evidence, evidence.precision)) / 2
    slack *= 1 + 1e-9
    if claim.qualifier == "lower_bound":
        ok = ev + slack >= cv and evidence.qualifier != "upper_bound"
        if evidence.qualifier == "upper_bound":
            ok = ev > cv + slack
        return Comparison(True, ok, rel, slack, "claim bound")
    if claim.qualifier == "upper_bound":
        ok = ev <= cv + slack and evidence.qualifier != "lower_bound"
        if evidence.qualifier == "lower_bound":
            ok = ev < cv - slack
        return Comparison(True, ok, rel, slack, "claim bound")
    if claim.qualifier == "range" and claim.low is not None and claim.high is not None:
        lo, hi = _in_base(claim, claim.low), _in_base(claim, claim.high)
        ok = lo - slack <= ev <= hi + slack
        return Comparison(True, ok, rel, slack, "range")
    rule = {
        "approximate": "approximate",
        "lower_bound": "bound",
        "upper_bound": "bound",
        "range": "range",
    }.get(evidence.qualifier, "rounding")
    if claim.qualifier == "approximate" and rule == "rounding":
        rule = "approximate"
    ok = e_lo - 1e-9 * abs(ev) <= cv <= e_hi + 1e-9 * abs(ev) or (
        evidence.qualifier in ("exact", "approximate") and c_lo <= ev <= c_hi
    )
    return Comparison(True, ok, rel, max(e_tol, slack), rule)


# --------------------------------------------------------------------------------------------
# Rows for the figures table, and marking


def figure_rows(chunk_text: str, chunk_start: int = 0, **extra: Any) -> list[dict[str, Any]]:
    """Rows for the `figures` table: each figure with document offsets and its sentence.

    `chunk_start` is the chunk's offset in the document; `extra` (chunk_id, doc_id) is copied
    into every row.
    """
    sentences = sentence_spans(chunk_text)
    rows = []
    for fig in parse_figures(chunk_text):
        sentence = next((chunk_text[a:b] for a, b in sentences if a <= fig.start < b), chunk_text)
        row = fig.to_dict()
        row["start"] += chunk_start
        row["end"] += chunk_start
        row["sentence"] = sentence
        row.update(extra)
        rows.append(row)
    return rows


def mark_figures(text: str, before: str = "«", after: str = "»") -> str:
    """`text` with each figure wrapped in markers, for highlighting figures in an answer."""
    out = []
    pos = 0
    for fig in parse_figures(text):
        out.append(text[pos : fig.start])
        out.append(before + fig.text + after)
        pos = fig.end
    out.append(text[pos:])
    return "".join(out)
