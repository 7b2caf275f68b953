"""Figures for people: `format_value(fig)` gives "USD 9.685 billion", "about 400", "Q2 2025"."""

from __future__ import annotations

import math

from bot.figures.types import TIME_KINDS, Figure
from bot.figures.vocabulary import MONTH_NAMES


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
    return f"{MONTH_NAMES[month]} {year}"


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
