"""The language-neutral scanner: `parse_figures(text)` finds every figure in a text.

It reads the merged language tables (`bot.figures.vocabulary`), never a word of its own.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Any, cast

from bot.figures.numbers import Num, parse_core, read_numeral
from bot.figures.timex import full_year, time_figure, time_spans
from bot.figures.tokens import Text
from bot.figures.types import TIME_KINDS, Figure, Kind, Qualifier
from bot.figures.vocabulary import (
    ARTICLES,
    BIG_WORDS,
    BP_PHRASES,
    CURRENCY_CODES,
    CURRENCY_COUNTRY,
    CURRENCY_LINK,
    CURRENCY_SYMBOLS,
    CURRENCY_WORDS,
    DOLLAR_PREFIXES,
    DURATIONS,
    DURING_WORDS,
    HALF_WORDS,
    HUNDRED_WORDS,
    HUNDREDS,
    LOWER_POSTFIX,
    MAX_QUALIFIER_LEN,
    MONTHS,
    MULTIPLIER_WORDS,
    NOT_MULTIPLIER_AFTER,
    PERCENT_PHRASES,
    PP_PHRASES,
    QUALIFIER_PHRASES,
    RANGE_BETWEEN,
    RANGE_DASHES,
    RANGE_FROM,
    RANGE_TO,
    REFERENCE_WORDS,
    TENS_WORDS,
    THOUSAND_ALONE,
    TIMES_WORDS,
    UNIT_WORDS,
    UPPER_POSTFIX,
    YEAR_LOWER,
    YEAR_UPPER,
)
from bot.text import sentence_spans


def _currency_before(t: Text, i: int) -> tuple[str, int] | None:
    """A currency written before token i: (code, index of its first token)."""
    k = i - 1
    if k < 0 or not t.joined(k, i):
        return None
    tok = t.toks[k]
    if tok in CURRENCY_SYMBOLS:
        code, first = CURRENCY_SYMBOLS[tok], k
        if tok == "$" and k >= 1:
            prev = t.low[k - 1]
            if prev in DOLLAR_PREFIXES and t.joined(k - 1, k):
                code, first = DOLLAR_PREFIXES[prev], k - 1
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
    if t.low[k] in CURRENCY_CODES and t.types[k] == 2:
        return CURRENCY_CODES[t.low[k]], k
    return None


def _qualifier_before(t: Text, i: int) -> tuple[str, int] | None:
    """A qualifier phrase ending just before token i: (qualifier, index of its first token)."""
    for size in range(MAX_QUALIFIER_LEN, 0, -1):
        k = i - size
        if k < 0 or not t.joined(i - 1, i):
            continue
        phrase = tuple(t.low[k:i])
        if phrase in QUALIFIER_PHRASES and all(t.joined(x, x + 1) for x in range(k, i - 1)):
            if k > 0 and t.adjacent(k - 1, k) and t.types[k - 1] == 2:
                continue
            return QUALIFIER_PHRASES[phrase], k
    return None


@dataclass
class _Part:
    """One side of a figure: the number, its currency and unit, and its token span."""

    first: int
    num: Num
    end: int
    currency: str | None = None
    unit: str | None = None
    kind: str | None = None
    factor: float = 1.0  # basis points to percentage points


def _unit_after(t: Text, j: int, part: _Part) -> int:
    """Read a unit after the number (%, pp, currency, times, days); returns the new end."""
    if j >= t.n or not t.joined(j - 1, j):
        return j
    w = t.low[j]
    if w == "%" or w == "٪":
        part.unit, part.kind = "%", "percent"
        return j + 1
    for phrases, unit, kind, factor in (
        (PERCENT_PHRASES, "%", "percent", 1.0),
        (PP_PHRASES, "pp", "percentage_points", 1.0),
        (BP_PHRASES, "pp", "percentage_points", 0.01),
    ):
        end = t.phrase_from(j, phrases)
        if end > 0:
            part.unit, part.kind, part.factor = unit, kind, factor
            return end
    if w in TIMES_WORDS or (w in ("x", "×") and (t.adjacent(j - 1, j) or w == "×")):
        if w == "x" and j + 1 < t.n and t.adjacent(j, j + 1) and t.types[j + 1] != 3:
            return j
        part.unit, part.kind = "x", "multiplier"
        return j + 1
    if w == "-" and t.adjacent(j - 1, j) and j + 1 < t.n and t.adjacent(j, j + 1):
        nxt = t.low[j + 1]
        if nxt == "fold":
            part.unit, part.kind = "x", "multiplier"
            return j + 2
        if nxt in DURATIONS:
            part.unit, part.kind = DURATIONS[nxt], "duration"
            return j + 2
        return j
    if w in DURATIONS and part.currency is None and not part.num.scaled:
        part.unit, part.kind = DURATIONS[w], "duration"
        return j + 1
    # Currency after the number: "500 dollars", "500 US dollars", "500 millones de dólares".
    k = j
    if w in CURRENCY_LINK and part.num.scaled and k + 1 < t.n and t.joined(k, k + 1):
        k += 1
    if t.low[k] in CURRENCY_COUNTRY and k + 1 < t.n and CURRENCY_WORDS.get(t.low[k + 1]) == "USD":
        k += 1
    if (
        t.phrase_at(k, ("u", ".", "s", "."))
        and k + 4 < t.n
        and CURRENCY_WORDS.get(t.low[k + 4]) == "USD"
    ):
        k += 4
    code = CURRENCY_WORDS.get(t.low[k]) if t.types[k] == 2 else None
    if t.toks[k] in ("€", "£"):
        code = CURRENCY_SYMBOLS[t.toks[k]]
    if (
        code
        and (part.currency is None or part.currency == code)
        and all(t.joined(x, x + 1) for x in range(j, k))
    ):
        part.currency = code
        return k + 1
    return j


def _parse_part(t: Text, i: int, allow_words: bool = True, second: bool = False) -> _Part | None:
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
    elif t.types[i] == 2 and t.low[i] in CURRENCY_CODES | DOLLAR_PREFIXES.keys() | {"u"}:
        for k in range(i + 1, min(i + 4, t.n)):
            if t.types[k] == 1 and all(t.joined(x, x + 1) for x in range(i, k)):
                found = _currency_before(t, k)
                if found and found[1] == i:
                    currency, i = found[0], k
                break
    if t.types[i] == 2 and not allow_words:
        return None
    num = parse_core(t, i, currency is not None, second)
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


def _standalone_multiplier(t: Text, i: int) -> tuple[float, int] | None:
    w = t.low[i]
    if w not in MULTIPLIER_WORDS:
        return None
    if i + 2 < t.n and t.toks[i + 1] == "-" and t.low[i + 2] in NOT_MULTIPLIER_AFTER:
        return None  # "double-digit growth"
    return float(MULTIPLIER_WORDS[w]), i + 1


def _is_year(part: _Part, t: Text) -> bool:
    if part.currency or part.kind or part.num.words or part.num.scaled:
        return False
    tok = t.toks[part.num.last]
    return len(tok) == 4 and tok.isdigit() and 1800 <= int(tok) <= 2100


def parse_figures(text: str, locale: str | None = None) -> list[Figure]:
    """Every figure in `text`, in order; `locale` ("en"/"es") overrides language detection."""
    if not text or not isinstance(text, str):
        return []
    t = Text(text, locale)
    figures = time_spans(t)
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
    return _report_conventions(text, figures)


_LINE_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n])\s*$")


def _report_conventions(text: str, figures: list[Figure]) -> list[Figure]:
    """Apply what reports mean by their layout: accounting negatives, markers, names.

    - "(1,577)", "$ (473)", "(7.1)%": a negative amount, as accounting tables write it;
    - "change(1)", a "(1)" opening a line of text: footnote and list markers, not figures;
    - a whole number alone on its line: a page number;
    - "Note 3", "Item 7", "page 12": references (`REFERENCE_WORDS`);
    - "Windows 11", "Office 365": a small number right after a capitalised word inside a
      sentence, followed by a word or a stop, is part of a name.
    """
    out: list[Figure] = []
    for f in figures:
        if f.kind in TIME_KINDS:
            out.append(f)
            continue
        before, after = text[: f.start], text[f.end :]
        line_start = text.rfind("\n", 0, f.start) + 1
        line_end = text.find("\n", f.end)
        line = text[line_start : len(text) if line_end < 0 else line_end]
        plain = f.kind == "count" and f.qualifier == "exact" and re.fullmatch(r"\d{1,4}", f.text)
        if (
            before.endswith("(")
            and after.startswith(")")
            and f.qualifier == "exact"
            and f.value >= 0
        ):
            if len(before) >= 2 and before[-2].isalnum():
                continue  # "change(1)": a footnote marker
            start, end = f.start - 1, f.end + 1
            if not text[line_start:start].strip() and re.match(r"\s*[^\W\d_]", text[end:]):
                continue  # "(1) Comparable sales are...": a list or footnote marker
            kind, unit = f.kind, f.unit
            pct = re.match(r"\s?%", text[end:])
            if pct and kind == "count":
                end, kind, unit = end + pct.end(), "percent", "%"
            cur = re.search(r"([$€£])\s?$", text[:start])
            if cur and kind == "count":
                start, kind, unit = cur.start(), "currency", CURRENCY_SYMBOLS[cur.group(1)]
            f = replace(
                f, text=text[start:end], start=start, end=end, value=-f.value, kind=kind, unit=unit
            )
        elif plain and line.strip() == f.text and line.strip() != text.strip():
            continue  # a page number
        elif plain or (f.kind == "count" and f.qualifier == "exact"):
            prev = re.search(r"([^\W\d_][\w&'’.-]*)[ \t]$", before)
            if prev and prev.group(1).lower().rstrip(".") in REFERENCE_WORDS:
                continue  # "Note 3", "Item 7"
            if (
                plain
                and prev
                and len(f.text) <= 3
                and prev.group(1)[0].isupper()
                and not _LINE_SENTENCE_START.search(before[: prev.start()])
                and re.match(r"(?:[ \t]+[^\W\d_]|[.,;:)]|$)", after)
                and prev.group(1).lower() not in _NOT_NAMES
            ):
                continue  # "Windows 11", "Office 365": part of a name
        out.append(f)
    return out


_NOT_NAMES = {w[0] for w in QUALIFIER_PHRASES} | set(CURRENCY_WORDS) | set(MONTHS)


def _is_anchor(t: Text, i: int) -> bool:
    if t.types[i] == 1:
        return True
    if t.types[i] == 3:
        return t.toks[i] in CURRENCY_SYMBOLS
    w = t.low[i]
    if w in CURRENCY_CODES or w in DOLLAR_PREFIXES or w == "u":
        return True
    if w in UNIT_WORDS or w in TENS_WORDS or w in HUNDREDS or w in MULTIPLIER_WORDS:
        return True
    nxt = t.low[i + 1] if i + 1 < t.n else ""
    if w in ARTICLES or w in HALF_WORDS:
        return (
            nxt in BIG_WORDS
            or nxt in HUNDRED_WORDS
            or nxt in ARTICLES
            or nxt
            in (
                "thousand",
                *HALF_WORDS,
            )
        )
    return w in THOUSAND_ALONE and nxt in BIG_WORDS


def _figure_at(t: Text, i: int, free: int, limit: int) -> tuple[Figure | None, int]:
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
            if _is_year(a, t) and _is_year(b, t):
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
    if kind == "count" and rng is None and qualifier == "exact" and _is_year(part, t):
        return _year_figure(t, first, end, int(value), free), end  # "over 2000 jobs" is a count
    if kind == "duration" and qualifier == "lower_bound" and t.low[first] in DURING_WORDS:
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


def _raw_value(t: Text, part: _Part) -> float:
    """The value of a part's number before its scale words."""
    if part.num.words:
        return part.num.value
    for k in range(part.first, part.num.end):
        if t.types[k] == 1:
            read = read_numeral(t.toks[k], t.locale)
            return read[0] if read else part.num.value
    return part.num.value


def _range_after(
    t: Text, part: _Part, first: int, free: int, limit: int
) -> tuple[_Part, int, int | None] | None:
    j = part.end
    if j >= t.n or not t.joined(j - 1, j):
        return None
    opener = None
    if (
        first - 1 >= free
        and first >= 1
        and t.joined(first - 1, first)
        and (t.low[first - 1] in RANGE_BETWEEN or t.low[first - 1] in RANGE_FROM)
    ):
        opener = first - 1
    w = t.low[j]
    open_word = t.low[opener] if opener is not None else None
    if w in RANGE_DASHES:
        if t.types[part.num.last] != 1:
            return None
    elif w in RANGE_TO:
        if w in ARTICLES and open_word is not None and open_word not in RANGE_BETWEEN:
            return None  # "de 10 a 12" reads as a change; "10 a 12" and "entre 10 a 12" as ranges
    elif open_word is None or RANGE_BETWEEN.get(open_word) != w:
        return None
    k = j + 1
    if k >= t.n or not t.joined(j, k):
        return None
    other = _parse_part(t, k, allow_words=t.types[part.num.last] == 2, second=True)
    if other is None or t.starts[other.end - 1] >= limit:
        return None
    if open_word in RANGE_FROM and not (_is_year(part, t) and _is_year(other, t)):
        return None  # "rose from 10% to 20%" is a change, not a range
    if w in RANGE_DASHES and t.types[other.num.last] != 1:
        return None
    # "2024-25": a two-digit second year
    if _is_year(part, t) and not _is_year(other, t):
        tok = t.toks[other.num.last]
        if len(tok) == 2 and tok.isdigit() and other.currency is None and other.kind is None:
            other.num.value = full_year(tok, int(part.num.value))
            if other.num.value > part.num.value:
                return other, other.end, opener
        return None
    if open_word in RANGE_BETWEEN and w != RANGE_BETWEEN[open_word] and w not in RANGE_DASHES:
        opener = None
    if open_word in RANGE_FROM and w not in RANGE_TO and w not in RANGE_DASHES:
        return None
    return other, other.end, opener


def _postfix_qualifier(t: Text, j: int) -> tuple[str, int] | None:
    if j < t.n and t.toks[j] == "+" and t.adjacent(j - 1, j):
        return "lower_bound", j + 1
    if j < t.n and t.joined(j - 1, j):
        end = t.phrase_from(j, LOWER_POSTFIX)
        if end > 0:
            return "lower_bound", end
        end = t.phrase_from(j, UPPER_POSTFIX)
        if end > 0:
            return "upper_bound", end
    return None


def _year_figure(t: Text, first: int, end: int, year: int, free: int) -> Figure:
    qualifier: Qualifier = "exact"
    high: float = year + 1.0
    low: float = float(year)
    prev = t.low[first - 1] if first >= 1 and first - 1 >= free else ""
    if prev in YEAR_LOWER:
        qualifier, high = "lower_bound", math.inf
    elif prev in YEAR_UPPER:
        qualifier, low = "upper_bound", -math.inf
    fig = time_figure(t, t.starts[first], t.ends[end - 1], "year", float(year), year + 1.0)
    if qualifier != "exact":
        fig = replace(
            fig,
            qualifier=qualifier,
            low=None if math.isinf(low) else low,
            high=None if math.isinf(high) else high,
        )
    return fig


def _make_time_range(t: Text, first: int, end: int, y1: float, y2: float) -> Figure:
    return time_figure(t, t.starts[first], t.ends[end - 1], "period", y1, y2 + 1.0, "range")


def _make(
    t: Text,
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
        # The vocabulary tables hold only Kind and Qualifier values; their lookups are typed str.
        kind=cast(Kind, kind),
        qualifier=cast(Qualifier, qualifier),
        ambiguous=ambiguous,
        precision=precision,
    )


# --------------------------------------------------------------------------------------------
# Display


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
