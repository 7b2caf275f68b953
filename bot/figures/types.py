"""The figure types: what `parse_figures` returns and `compare` decides."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Kind = Literal[
    "currency", "percent", "percentage_points", "multiplier", "count", "duration",
    "year", "quarter", "period", "date",
]  # fmt: skip
Qualifier = Literal["exact", "approximate", "lower_bound", "upper_bound", "range"]
Rule = Literal[
    "rounding", "approximate", "bound", "range", "claim bound", "units differ", "time overlap"
]

APPROXIMATE_TOLERANCE = 0.10
BOUND_TOLERANCE = 0.20
TIME_KINDS: frozenset[str] = frozenset({"year", "quarter", "period", "date"})


@dataclass(frozen=True)
class Figure:
    """One figure found in a text. `text == source[start:end]` for the text it was parsed from."""

    text: str
    start: int
    end: int
    value: float
    unit: str | None  # "USD", "ARS", "EUR", "%", "pp", "x", "day"...; None for counts and time
    kind: Kind
    qualifier: Qualifier = "exact"
    low: float | None = None
    high: float | None = None
    ambiguous: bool = False  # the separator could be read either way; the text's language decided
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
    rule: Rule

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
