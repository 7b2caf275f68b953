"""Time expressions: years, quarters, halves, months, month ranges, fiscal years and dates.

They are matched on the raw text before quantities, and kept apart from them: their values are
decimal years (`value` and `low` the start, `high` the exclusive end), so Q2 2025 is 2025.25 to
2025.5.
"""

from __future__ import annotations

import calendar
import re

from bot.figures.tokens import Text
from bot.figures.types import Figure, Kind, Qualifier
from bot.figures.vocabulary import (
    DATE_LINK,
    FISCAL_WORDS,
    HALF_YEAR_WORDS,
    LOWERCASE_MONTH_IS_WORD,
    MONTHS,
    OF_WORDS,
    ORDINALS,
    PERIOD_TO,
    QUARTER_WORDS,
    RANGE_BETWEEN,
    RANGE_FROM,
    RANGE_TO,
    YEAR_NOUNS,
)

_M = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_Y = r"(?:1[89]\d\d|20\d\d|2100)"


def _alt(words) -> str:
    """A regex alternation of words (longest first; spaces match any run of spaces)."""
    return (
        "(?:"
        + "|".join(
            re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True)
        )
        + ")"
    )


_OPEN = rf"(?:(?P<open>{_alt([*RANGE_BETWEEN, *RANGE_FROM])})\s+)?"
_TO = rf"\s*(?:{_alt(PERIOD_TO)}|–|—|-)\s*"
_LINK = rf"(?:{_alt(DATE_LINK)}\s+)?" if DATE_LINK else ""  # "julio de 2025"
_OF = rf"(?:{_alt(OF_WORDS)}\s+)?"
_FISCAL = rf"(?:{_alt(FISCAL_WORDS)}\s+)?" if FISCAL_WORDS else ""
_NOUN = rf"(?:{_alt([*FISCAL_WORDS, *YEAR_NOUNS])}\s+)?"
_ORD = _alt(ORDINALS)
_ORD_HALF = _alt([w for w, n in ORDINALS.items() if n <= 2 and not w[0].isdigit()])
_TIME_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "month_range",
        re.compile(
            rf"\b{_OPEN}(?P<m1>{_M})(?:\s+{_LINK}(?P<y1>{_Y}))?{_TO}(?P<m2>{_M})\s+{_LINK}(?P<y2>{_Y})\b",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+{_LINK}(?P<m>{_M}),?\s+{_LINK}(?P<y>{_Y})\b",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(rf"\b(?P<m>{_M})\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>{_Y})\b", re.I),
    ),
    ("iso_date", re.compile(rf"\b(?P<y>{_Y})-(?P<mo>[01]\d)-(?P<d>[0-3]\d)\b")),
    ("month", re.compile(rf"\b(?P<m>{_M})(?:\s+{_alt(OF_WORDS)})?\s+(?P<y>{_Y})\b", re.I)),
    ("quarter", re.compile(rf"\bQ(?P<q>[1-4])(?:\s*{_OF}|[-/'’]\s?)(?P<y>{_Y}|\d\d)\b")),
    ("quarter", re.compile(rf"\b(?P<q>[1-4])Q\s?['’]?(?P<y>{_Y}|\d\d)\b")),
    ("quarter", re.compile(rf"\b(?P<y>{_Y})\s?-?Q(?P<q>[1-4])\b")),
    (
        "quarter",
        re.compile(
            rf"\b(?P<ord>{_ORD})\s+{_FISCAL}{_alt(QUARTER_WORDS)}\s+{_OF}{_NOUN}(?P<y>{_Y})\b",
            re.I,
        ),
    ),
    ("half", re.compile(rf"\bH(?P<h>[12])\s?['’]?(?P<y>{_Y}|\d\d)\b")),
    (
        "half",
        re.compile(
            rf"\b(?P<ord>{_ORD_HALF})\s+{_alt(HALF_YEAR_WORDS)}\s+{_OF}{_NOUN}(?P<y>{_Y})\b", re.I
        ),
    ),
    ("fiscal", re.compile(r"\bFY\s?'?(?P<y>(?:19|20)\d\d|\d\d)\b")),
    (
        "year_range",
        re.compile(
            rf"\b{_OPEN}(?P<y1>{_Y})\s*(?:[/–—-]|{_alt(RANGE_TO)})\s*(?P<y2>{_Y}|\d\d)\b(?![.,]\d)",
            re.I,
        ),
    ),
]


def time_figure(
    t: Text,
    start: int,
    end: int,
    kind: Kind,
    low: float,
    high: float,
    qualifier: Qualifier = "exact",
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


def full_year(y: str, ref: int | None = None) -> int:
    if len(y) == 4:
        return int(y)
    century = (ref // 100 * 100) if ref else 2000
    return century + int(y)


def time_spans(t: Text) -> list[Figure]:
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


def _time_match(t: Text, name: str, m: re.Match[str]) -> Figure | None:
    g = m.groupdict()
    start, end = m.start(), m.end()
    if name == "month_range":
        m1, m2 = MONTHS[g["m1"].lower().rstrip(".")], MONTHS[g["m2"].lower().rstrip(".")]
        y2 = int(g["y2"])
        y1 = int(g["y1"]) if g["y1"] else (y2 if m1 <= m2 else y2 - 1)
        low, high = y1 + (m1 - 1) / 12, y2 + m2 / 12
        if high <= low:
            return None
        return time_figure(t, start, end, "period", low, high, "range")
    if name in ("date", "iso_date"):
        month = int(g["mo"]) if name == "iso_date" else MONTHS[g["m"].lower().rstrip(".")]
        day = int(g["d"])
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        year = int(g["y"])
        days = calendar.monthrange(year, month)[1]
        if day > days:
            return None  # "February 30"
        # On the months' scale that periods and quarters use, so December 31 ends where
        # January begins, and March 1 lies in March.
        low = year + (month - 1 + (day - 1) / days) / 12
        high = year + (month - 1 + day / days) / 12
        return time_figure(t, start, end, "date", low, high)
    if name == "month":
        month = MONTHS[g["m"].lower().rstrip(".")]
        if g["m"].lower().rstrip(".") in LOWERCASE_MONTH_IS_WORD and not g["m"][0].isupper():
            return None  # "may 2025" is more likely a verb than a month
        low = int(g["y"]) + (month - 1) / 12
        return time_figure(t, start, end, "period", low, low + 1 / 12)
    if name == "quarter":
        q = int(g["q"]) if g.get("q") else ORDINALS[g["ord"].lower()]
        year = full_year(g["y"])
        low = year + (q - 1) / 4
        return time_figure(t, start, end, "quarter", low, low + 0.25)
    if name == "half":
        h = int(g["h"]) if g.get("h") else ORDINALS[g["ord"].lower()]
        year = full_year(g["y"])
        low = year + (h - 1) / 2
        return time_figure(t, start, end, "period", low, low + 0.5)
    if name == "fiscal":
        year = full_year(g["y"])
        return time_figure(t, start, end, "period", float(year), year + 1.0)
    if name == "year_range":
        if g.get("open") and g["open"].lower() in RANGE_FROM and g["open"].lower() in DATE_LINK:
            start = m.start("y1")
        y1 = int(g["y1"])
        y2 = full_year(g["y2"], y1)
        if not (y1 < y2 <= y1 + 50):
            return None
        return time_figure(t, start, end, "period", float(y1), y2 + 1.0, "range")
    return None
