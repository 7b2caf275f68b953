"""The figure parser: round trips through many notations, tricky strings, and comparisons."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from bot.figures import (
    Figure,
    compare,
    figure_rows,
    format_value,
    mark_figures,
    parse_figures,
)

DATA = Path(__file__).parent / "data" / "figures"
EN_SENTENCE = "The exports of the sector reached {} in the year, and that is the record."
ES_SENTENCE = "Las exportaciones del sector alcanzaron {} en el año, y es el récord de la serie."


def only_figure(text: str, **kwargs: object) -> Figure:
    figures = parse_figures(text, **kwargs)  # type: ignore[arg-type]
    assert len(figures) == 1, figures
    return figures[0]


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


# ------------------------------------------------------------------------------------------
# Formatting helpers for the property tests: the notations people write.


def group(integer: int, sep: str) -> str:
    return f"{integer:,}".replace(",", sep)


def numeral(value: float, decimals: int, locale: str, grouped: bool = True) -> str:
    """`value` written with `decimals` decimals in English ("9,685.5") or Spanish ("9.685,5")."""
    thousands, point = (",", ".") if locale == "en" else (".", ",")
    text = f"{value:.{decimals}f}"
    whole, _, frac = text.partition(".")
    whole = group(int(whole), thousands) if grouped else whole
    return whole + (point + frac if frac else "")


_EN_SMALL = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]  # fmt: skip
_EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def english_words(n: int) -> str:
    """0 <= n < 10**9 in English words, the way reports spell them ("four hundred")."""
    if n < 20:
        return _EN_SMALL[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _EN_TENS[tens] + (f"-{_EN_SMALL[unit]}" if unit else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_EN_SMALL[hundreds]} hundred" + (f" and {english_words(rest)}" if rest else "")
    for size, word in ((10**6, "million"), (10**3, "thousand")):
        if n >= size:
            high, rest = divmod(n, size)
            return f"{english_words(high)} {word}" + (f" {english_words(rest)}" if rest else "")
    raise ValueError(n)


def read_as_thousands(written: str) -> bool:
    """Documented: "5.000" / "5,000" (one separator, three zeros) is always a thousands group."""
    return bool(re.fullmatch(r"[1-9]\d{0,2}[.,]000", written))


def is_year_like(value: float) -> bool:
    return value == int(value) and 1800 <= value <= 2100


# ------------------------------------------------------------------------------------------
# Property tests


@settings(max_examples=300, deadline=None)
@given(st.text())
@example("USD $9.685 billion between July 2024 and June 2025, 20.8%")
@example("1,2,3 . , $ $$ 5-- -5 --5 Q5 2025 between and 1e400 " + "9" * 400)
@example("half a a a billion one and and a half ~ ~ more than than 5")
def test_never_raises_and_spans_slice_back(text: str) -> None:
    figures = parse_figures(text)
    last_end = 0
    for fig in figures:
        assert text[fig.start : fig.end] == fig.text
        assert fig.start >= last_end and fig.end > fig.start
        assert math.isfinite(fig.value)
        last_end = fig.end
        fig.to_dict()
        format_value(fig)


_CURRENCIES = [
    ("{} dollars", "USD"),
    ("${}", "USD"),
    ("US${}", "USD"),
    ("USD {}", "USD"),
    ("USD ${}", "USD"),
    ("€{}", "EUR"),
    ("ARS {}", "ARS"),
    ("{} pesos", "ARS"),
]
_EN_SCALES = [("", 1.0), (" thousand", 1e3), (" million", 1e6), (" billion", 1e9), ("bn", 1e9)]
_ES_SCALES = [("", 1.0), (" mil", 1e3), (" millones", 1e6), (" mil millones", 1e9)]


@settings(max_examples=400, deadline=None)
@given(
    whole=st.integers(min_value=0, max_value=10**9),
    frac=st.integers(min_value=0, max_value=999),
    decimals=st.integers(min_value=0, max_value=3),
    locale=st.sampled_from(["en", "es"]),
    grouped=st.booleans(),
)
def test_plain_numbers_round_trip_in_both_conventions(
    whole: int, frac: int, decimals: int, locale: str, grouped: bool
) -> None:
    value = whole + (frac % 10**decimals) / 10**decimals if decimals else float(whole)
    assume(not is_year_like(value))
    written = numeral(value, decimals, locale, grouped)
    assume(not read_as_thousands(written))
    sentence = (EN_SENTENCE if locale == "en" else ES_SENTENCE).format(f"{written} units")
    fig = only_figure(sentence)
    assert fig.text == written
    assert close(fig.value, value), (written, fig)
    assert fig.kind == "count" and fig.unit is None


@settings(max_examples=400, deadline=None)
@given(
    mantissa=st.integers(min_value=1, max_value=999_999),
    decimals=st.integers(min_value=0, max_value=3),
    currency=st.sampled_from(_CURRENCIES),
    scale=st.integers(min_value=0, max_value=4),
    locale=st.sampled_from(["en", "es"]),
)
def test_money_round_trips_with_scales_and_currencies(
    mantissa: int, decimals: int, currency: tuple[str, str], scale: int, locale: str
) -> None:
    value = mantissa / 10**decimals
    assume(not read_as_thousands(numeral(value, decimals, locale)))
    scales = _EN_SCALES if locale == "en" else _ES_SCALES
    word, multiplier = scales[scale % len(scales)]
    written = currency[0].format(numeral(value, decimals, locale) + word)
    if locale == "es" and written.endswith(" pesos") and word:
        written = written.replace(" pesos", " de pesos")
    sentence = (EN_SENTENCE if locale == "en" else ES_SENTENCE).format(written)
    fig = only_figure(sentence)
    assert fig.text == written
    assert close(fig.value, value * multiplier), (written, fig)
    assert (fig.kind, fig.unit) == ("currency", currency[1])
    assert fig.qualifier == "exact"


@settings(max_examples=200, deadline=None)
@given(
    value=st.integers(min_value=0, max_value=100_000).map(lambda n: n / 100),
    notation=st.sampled_from(["{}%", "{} %", "{} per cent", "{} percent", "{} por ciento"]),
    locale=st.sampled_from(["en", "es"]),
)
def test_percentages_round_trip(value: float, notation: str, locale: str) -> None:
    written = notation.format(numeral(value, 2, locale).rstrip("0").rstrip(".,"))
    fig = only_figure((EN_SENTENCE if locale == "en" else ES_SENTENCE).format(written))
    assert close(fig.value, value) and fig.unit == "%" and fig.kind == "percent"


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=2, max_value=999_999_999))
def test_number_words_round_trip(n: int) -> None:
    assume(not is_year_like(n))
    written = english_words(n)
    fig = only_figure(f"They counted {written} researchers in total.")
    assert fig.text == written
    assert fig.value == n


@st.composite
def figures(draw: st.DrawFn) -> Figure:
    kind, unit = draw(
        st.sampled_from(
            [
                ("currency", "USD"),
                ("currency", "ARS"),
                ("currency", "EUR"),
                ("percent", "%"),
                ("percentage_points", "pp"),
                ("multiplier", "x"),
                ("count", None),
                ("duration", "day"),
                ("duration", "minute"),
            ]
        )
    )
    magnitude = 10 ** draw(st.integers(min_value=0, max_value=4 if kind != "currency" else 12))
    value = draw(st.integers(min_value=1, max_value=9999)) * magnitude / 1000
    qualifier = draw(st.sampled_from(["exact", "approximate", "lower_bound", "upper_bound"]))
    if kind == "count":
        assume(not is_year_like(value))
    return Figure(text="", start=0, end=0, value=value, unit=unit, kind=kind, qualifier=qualifier)


@settings(max_examples=400, deadline=None)
@given(figures())
def test_format_value_reads_back(fig: Figure) -> None:
    written = format_value(fig)
    back = only_figure(written)
    assert back.text == written
    assert math.isclose(back.value, fig.value, rel_tol=1e-6), (written, back)
    assert (back.kind, back.unit, back.qualifier) == (fig.kind, fig.unit, fig.qualifier)


@settings(max_examples=200, deadline=None)
@given(
    low=st.integers(min_value=1, max_value=500),
    width=st.integers(min_value=1, max_value=500),
    unit=st.sampled_from(["currency", "percent", "count"]),
)
def test_ranges_read_back(low: int, width: int, unit: str) -> None:
    high = low + width
    assume(not (unit == "count" and (is_year_like(low) or is_year_like(high))))
    written = {"currency": f"between ${low} and ${high} million", "percent": f"{low}-{high}%"}.get(
        unit, f"{low} to {high}"
    )
    fig = only_figure(f"The survey found {written} in the region.")
    scale = 1e6 if unit == "currency" else 1.0
    assert fig.qualifier == "range"
    assert (fig.low, fig.high) == (low * scale, high * scale)
    assert fig.value == (low + high) / 2 * scale


# ------------------------------------------------------------------------------------------
# Hand-written tricky strings (tests/data/figures/parse.jsonl), each parsed as documented.


def _cases(name: str) -> list[dict]:
    path = DATA / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


PARSE_CASES = _cases("parse.jsonl")  # text -> the figures in it, as the package docstring says


@pytest.mark.parametrize("case", PARSE_CASES, ids=[c["text"][:60] for c in PARSE_CASES])
def test_tricky_strings(case: dict) -> None:
    got = parse_figures(case["text"])
    assert len(got) == len(case["figures"]), got
    for g, e in zip(got, case["figures"], strict=True):
        assert g.text == e["text"] and math.isclose(g.value, e["value"]), (g, e)
        assert (g.unit, g.kind, g.qualifier) == (e["unit"], e["kind"], e["qualifier"]), (g, e)


def test_period_bounds_are_decimal_years() -> None:
    fig = only_figure("between July 2024 and June 2025")
    assert (fig.low, fig.high) == (2024.5, 2025.5)
    assert format_value(fig) == "July 2024 – June 2025"
    assert format_value(only_figure("the second quarter of 2025")) == "Q2 2025"


def test_ambiguous_separator_is_flagged_and_resolved_by_locale() -> None:
    # "9,685" alone: thousands in English, a decimal comma in Spanish; flagged either way
    assert only_figure("They counted 9,685 of the units in the year.").value == 9685
    es = only_figure("Se contaron 9,685 de las unidades en el año, según la serie.")
    assert es.value == 9.685 and es.ambiguous
    assert only_figure("9,685", locale="es").value == 9.685
    assert not only_figure("9,685", locale="es").ambiguous
    # A scale word settles it, and so do three zeros or two different separators
    assert not only_figure("9.685 billion").ambiguous
    assert not only_figure("65,000").ambiguous
    assert not only_figure("9.685,5").ambiguous


def test_format_value_reads_like_the_issue() -> None:
    assert format_value(only_figure("USD $9.685 billion")) == "USD 9.685 billion"
    assert format_value(only_figure("about 400")) == "about 400"
    assert format_value(only_figure("$14 million")) == "USD 14 million"


# ------------------------------------------------------------------------------------------
# compare


def fig(text: str) -> Figure:
    return only_figure(text)


COMPARE_CASES = _cases("compare.jsonl")  # claim, evidence, same (and why, in `note`)


@pytest.mark.parametrize(
    "case", COMPARE_CASES, ids=[f"{c['claim']} vs {c['evidence']}" for c in COMPARE_CASES]
)
def test_compare(case: dict) -> None:
    result = compare(fig(case["claim"]), fig(case["evidence"]))
    assert result.comparable
    assert result.same is case["same"], result


def test_compare_refuses_other_units_and_reports_difference() -> None:
    assert not compare(fig("$500 million"), fig("500 million pesos")).comparable
    assert not compare(fig("27%"), fig("27 percentage points")).comparable
    result = compare(fig("$12 billion"), fig("USD $9.685 billion"))
    assert result.relative_difference == pytest.approx(0.239, abs=1e-3)


def test_compare_time_by_overlap() -> None:
    assert compare(fig("Q2 2025"), fig("the second quarter of 2025")).same
    assert not compare(fig("Q3 2025"), fig("the second quarter of 2025")).same
    assert compare(fig("2025"), fig("between July 2024 and June 2025")).same


# ------------------------------------------------------------------------------------------
# Sentences, rows, marks


def test_figure_rows_carry_document_offsets_and_sentence() -> None:
    document = "Intro. " + "Brazil runs on about 400. Italy has more than 13,000."
    chunk_start = 7
    rows = figure_rows(document[chunk_start:], chunk_start, chunk_id=3, doc_id="d")
    assert [r["text"] for r in rows] == ["about 400", "more than 13,000"]
    for row in rows:
        assert document[row["start"] : row["end"]] == row["text"]
        assert row["text"] in row["sentence"] and row["chunk_id"] == 3 and row["doc_id"] == "d"


def test_mark_figures() -> None:
    assert mark_figures("It grew 20.8% to $9.7bn.") == "It grew «20.8%» to «$9.7bn»."
