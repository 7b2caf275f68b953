"""Fact-check accuracy on a claims file: `run_claims(index, load_claims(path)) -> ClaimsResult`.

A claims file has one JSON object per line: `claim`, `expected` (`supported`, `contradicted`
or `not_found`), and optionally `kind` (what the claim tests: `notation`, `altered`,
`wrong_year`, `off_topic`...), `doc` and `note`. Every claim goes through `check()` against
the whole index, as a user's would; accuracy is reported overall and by kind, with the false
`contradicted` verdicts counted apart (the worst answer the tool can give) and the warm
per-claim latency.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from bot.errors import ReportbotError
from bot.models import SearchFilter, VerdictKind

if TYPE_CHECKING:
    from bot.index import ReportIndex

VERDICTS = frozenset(get_args(VerdictKind))


class ClaimsFileError(ReportbotError):
    """The claims file is missing or a line is not a claim with an expected verdict."""


@dataclass(frozen=True)
class ClaimCase:
    claim: str
    expected: VerdictKind
    kind: str = ""
    doc: str = ""
    note: str = ""


@dataclass
class ClaimOutcome:
    case: ClaimCase
    verdict: VerdictKind
    explanation: str
    ms: float

    @property
    def right(self) -> bool:
        return self.verdict == self.case.expected


@dataclass
class ClaimsResult:
    """Accuracy overall and by kind, false `contradicted` verdicts, warm latency."""

    source: str
    outcomes: list[ClaimOutcome] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return _share(self.outcomes)

    def by_kind(self) -> dict[str, tuple[int, int]]:
        """kind -> (right, total), kinds in first-seen order."""
        groups: dict[str, list[ClaimOutcome]] = defaultdict(list)
        for o in self.outcomes:
            groups[o.case.kind or "-"].append(o)
        return {k: (sum(o.right for o in v), len(v)) for k, v in groups.items()}

    @property
    def false_contradicted(self) -> list[ClaimOutcome]:
        return [o for o in self.outcomes if o.verdict == "contradicted" and not o.right]

    @property
    def wrong(self) -> list[ClaimOutcome]:
        return [o for o in self.outcomes if not o.right]

    def latency_ms(self, q: float) -> float:
        times = sorted(o.ms for o in self.outcomes)
        if not times:
            return 0.0
        return times[min(len(times) - 1, round(q * (len(times) - 1)))]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "claims": len(self.outcomes),
            "accuracy": self.accuracy,
            "by_kind": {k: {"right": r, "total": n} for k, (r, n) in self.by_kind().items()},
            "false_contradicted": len(self.false_contradicted),
            "latency_p50_ms": self.latency_ms(0.5),
            "latency_p95_ms": self.latency_ms(0.95),
            "outcomes": [
                {**asdict(o.case), "verdict": o.verdict, "explanation": o.explanation, "ms": o.ms}
                for o in self.outcomes
            ],
        }


def _share(outcomes: list[ClaimOutcome]) -> float:
    return sum(o.right for o in outcomes) / len(outcomes) if outcomes else 0.0


def load_claims(path: Path | str) -> list[ClaimCase]:
    """Read a claims file; a bad line raises `ClaimsFileError` naming the line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ClaimsFileError(f"Cannot read the claims file {path}: {exc.strerror}.") from exc
    cases = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            claim, expected = data["claim"], data["expected"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ClaimsFileError(
                f"{path}:{n} is not a JSON object with `claim` and `expected`."
            ) from exc
        if expected not in VERDICTS or not isinstance(claim, str):
            raise ClaimsFileError(f"{path}:{n}: `expected` must be one of {sorted(VERDICTS)}.")
        cases.append(
            ClaimCase(
                claim=claim,
                expected=expected,
                kind=str(data.get("kind", "")),
                doc=str(data.get("doc", "")),
                note=str(data.get("note", "")),
            )
        )
    return cases


def run_claims(
    index: ReportIndex,
    cases: list[ClaimCase],
    *,
    source: str = "",
    filters: SearchFilter | None = None,
    warmup: bool = True,
) -> ClaimsResult:
    """Check every claim against `index` (restricted by `filters`) and score the verdicts.

    With `warmup` the first claim is checked once before timing, so the latency figures are
    warm (model loaded, caches filled), as a running bot's are.
    """
    from bot.factcheck import check

    if warmup and cases:
        check(index, cases[0].claim, filters=filters)
    result = ClaimsResult(source=source)
    for case in cases:
        t0 = time.perf_counter()
        verdict = check(index, case.claim, filters=filters)
        ms = (time.perf_counter() - t0) * 1000
        result.outcomes.append(ClaimOutcome(case, verdict.verdict, verdict.explanation, ms))
    return result
