"""Figures: read the numbers in English and Spanish report text, and compare two of them.

The package keeps language data apart from language-neutral logic, the way quantulum3 does:
`lang_en` and `lang_es` hold the words (number words, scales, currencies, units, qualifiers,
time words), `vocabulary` merges them, and the scanner (`scanner`, with `tokens`, `numbers`
and `timex`) reads only the merged tables. `formatting` writes figures for people and
`comparison` decides whether two figures agree. Add a language by adding a `lang_xx` module
with the same names to `vocabulary.LANGUAGES`.

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

from bot.figures.comparison import compare, unit_family
from bot.figures.formatting import format_value
from bot.figures.scanner import figure_rows, mark_figures, parse_figures
from bot.figures.types import (
    APPROXIMATE_TOLERANCE,
    BOUND_TOLERANCE,
    TIME_KINDS,
    Comparison,
    Figure,
    Kind,
    Qualifier,
)
from bot.figures.vocabulary import DURATION_SECONDS

__all__ = [
    "APPROXIMATE_TOLERANCE",
    "BOUND_TOLERANCE",
    "DURATION_SECONDS",
    "TIME_KINDS",
    "Comparison",
    "Figure",
    "Kind",
    "Qualifier",
    "compare",
    "figure_rows",
    "format_value",
    "mark_figures",
    "parse_figures",
    "unit_family",
]
