"""Numbers: numerals in either separator convention, number words, scale words after them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.figures.tokens import Text
from bot.figures.vocabulary import (
    AND_WORDS,
    ARTICLES,
    BIG_WORDS,
    CURRENCY_CODES,
    HALF_WORDS,
    HUNDRED_WORDS,
    HUNDREDS,
    LANGUAGE_CUES_AFTER,
    SCALE_ABBR,
    TENS_WORDS,
    THOUSAND_ALONE,
    THOUSAND_WORDS,
    UNIT_WORDS,
)


@dataclass
class Num:
    """A number read at some token, before its currency and unit."""

    value: float
    end: int  # index of the first token after the number
    precision: float
    words: bool  # written in words
    ambiguous: bool = False
    scaled: bool = False
    last: int = -1  # index of the number's last token, before any scale word


def read_numeral(s: str, locale: str | None) -> tuple[float, int, bool] | None:
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


def parse_words(t: Text, i: int) -> Num | None:
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
        if w in ARTICLES:
            # "a billion", "half a billion", "one and a half", "un millón": an article only
            # before a scale word or "half"
            if nxt in HALF_WORDS and last != "half":
                j += 1
                continue
            if nxt not in HUNDRED_WORDS and nxt not in THOUSAND_WORDS and nxt not in BIG_WORDS:
                break
            if last == "half":
                j += 1
                continue
            if current is not None:
                break
            current, last = 1.0, "unit"
            j += 1
            continue
        if (w in AND_WORDS or w == "-") and (current is not None or thou):
            # "four hundred and twenty", "treinta y cinco", "twenty-five", "one and a half"
            if w == "-" and not t.adjacent(j - 1, j):
                break
            j += 1
            continue
        if w in UNIT_WORDS:
            if last in ("unit", "half") or (last == "tens" and UNIT_WORDS[w] >= 10):
                break
            current = (current or 0.0) + UNIT_WORDS[w]
            prec, last = 1.0, "unit"
        elif w in TENS_WORDS:
            if last in ("unit", "tens", "half"):
                break
            current = (current or 0.0) + TENS_WORDS[w]
            prec, last = 1.0, "tens"
        elif w in HUNDREDS:
            if last in ("unit", "tens", "hundred", "half"):
                break
            current = (current or 0.0) + HUNDREDS[w]
            prec, last = 1.0, "hundred"
        elif w in HALF_WORDS:
            if j > i and t.low[j - 1] in ARTICLES and current is not None:
                current += 0.5  # "one and a half"
            elif current is None and last not in ("unit", "tens", "hundred"):
                current = 0.5
            else:
                break
            prec, last = 0.5, "half"
        elif w in HUNDRED_WORDS:
            if current is None or last in ("hundred", "thousand", "big") or w == "hundreds":
                break
            current *= HUNDRED_WORDS[w]
            prec *= HUNDRED_WORDS[w]
            last = "hundred"
        elif w in THOUSAND_WORDS:
            if current is None and w in THOUSAND_ALONE and j == i:
                current = 1.0
            if current is None or last in ("thousand", "big"):
                break
            thou += current * 1e3
            current = None
            prec *= 1e3
            last, scaled = "thousand", True
        elif w in BIG_WORDS:
            if current is None and not thou:
                break
            total += (thou + (current or 0.0)) * BIG_WORDS[w]
            thou, current = 0.0, None
            prec *= BIG_WORDS[w]
            last, scaled = "big", True
        else:
            break
        j += 1
        good = (total + thou + (current or 0.0), j, prec, scaled)
    if good is None:
        return None
    return Num(good[0], good[1], good[2], True, scaled=good[3])


def parse_core(t: Text, i: int, currency: bool, second: bool = False) -> Num | None:
    """The number at token i with its scale words ("9.7bn", "four hundred", "1,5 mil millones").

    `second` is set for the second end of a range, which may follow a dash ("10-12").
    """
    if t.types[i] == 1:
        if t.adjacent(i - 1, i) and t.types[i - 1] == 2 and t.low[i - 1] not in CURRENCY_CODES:
            return None  # "A100", "G20", "COVID19"
        if (
            not second
            and t.adjacent(i - 1, i)
            and t.toks[i - 1] in ("-", ".", ",", "/", ":")
            and t.adjacent(i - 2, i - 1)
            and t.types[i - 2] in (1, 2)
        ):
            return None  # "COVID-19", "1.2.3", "24/7", "10:30"
        read = read_numeral(t.toks[i], t.locale)
        if read is None:
            return None
        value, decimals, ambiguous_form = read
        num = Num(value, i + 1, 10.0**-decimals, False)
        if ambiguous_form:
            cue = _local_cue(t, i + 1)
            if t.explicit_locale:
                cue = t.locale
            if cue is not None:
                read = read_numeral(t.toks[i], cue)
                if read is not None:
                    num.value, num.precision = read[0], 10.0 ** -read[1]
            num.ambiguous = cue is None
    else:
        words_num = parse_words(t, i)
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
        if w in BIG_WORDS or w in THOUSAND_WORDS:
            if w in THOUSAND_ALONE and num.words:
                break
            mult = BIG_WORDS.get(w) or THOUSAND_WORDS[w]
        elif w in SCALE_ABBR and not num.words:
            mult, spaced_ok = SCALE_ABBR[w]
            if not (adjacent or spaced_ok):
                break
            if len(w) == 1 and not currency:
                return None  # "3M", "4K": a name; a lone letter is a scale only after a currency
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


def _local_cue(t: Text, j: int) -> str | None:
    """The language the words right after a numeral are written in, if they tell."""
    if j >= t.n or not t.joined(j - 1, j):
        return None
    w = t.low[j]
    for lang, cues in LANGUAGE_CUES_AFTER.items():
        if w in cues:
            return lang
    return None
