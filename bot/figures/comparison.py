"""Comparing a claim's figure with an evidence figure (`compare`); the rule is in the package docstring."""

from __future__ import annotations

import math

from bot.figures.types import (
    APPROXIMATE_TOLERANCE,
    BOUND_TOLERANCE,
    TIME_KINDS,
    Comparison,
    Figure,
    Rule,
)
from bot.figures.vocabulary import DURATION_SECONDS


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
    rules: dict[str, Rule] = {
        "approximate": "approximate",
        "lower_bound": "bound",
        "upper_bound": "bound",
        "range": "range",
    }
    rule = rules.get(evidence.qualifier, "rounding")
    if claim.qualifier == "approximate" and rule == "rounding":
        rule = "approximate"
    ok = e_lo - 1e-9 * abs(ev) <= cv <= e_hi + 1e-9 * abs(ev) or (
        evidence.qualifier in ("exact", "approximate") and c_lo <= ev <= c_hi
    )
    return Comparison(True, ok, rel, max(e_tol, slack), rule)


# --------------------------------------------------------------------------------------------
# Rows for the figures table, and marking
