"""The claims evaluation: loading a claims file, scoring verdicts by kind."""

from __future__ import annotations

import json

import pytest

from bot.evaluate.claims import ClaimsFileError, load_claims, run_claims


def test_scores_by_kind_and_counts_false_contradictions(corpus_index, tmp_path) -> None:
    path = tmp_path / "claims.jsonl"
    rows = [
        {"claim": "Global AI investment was $42bn.", "expected": "supported", "kind": "notation"},
        {"claim": "Salesforce pledged a $5 billion investment.", "expected": "contradicted", "kind": "altered"},
        {"claim": "Argentina has 120 data centers.", "expected": "not_found", "kind": "off_topic"},
        # a deliberately wrong expectation: a true claim expected contradicted
        {"claim": "Global AI investment was $42bn.", "expected": "contradicted", "kind": "altered"},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    result = run_claims(corpus_index, load_claims(path), source=str(path))
    assert result.by_kind() == {"notation": (1, 1), "altered": (1, 2), "off_topic": (1, 1)}
    assert result.accuracy == 0.75
    assert [o.case.claim for o in result.wrong] == ["Global AI investment was $42bn."]
    assert result.false_contradicted == []  # the wrong one is a supported verdict
    data = result.to_dict()
    assert data["claims"] == 4 and data["latency_p95_ms"] >= data["latency_p50_ms"] > 0


@pytest.mark.parametrize(
    "content",
    ['{"claim": "x"}', "not json", '{"claim": "x", "expected": "maybe"}'],
)
def test_bad_claims_files_say_which_line(tmp_path, content: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"claim": "a", "expected": "supported"}\n' + content + "\n")
    with pytest.raises(ClaimsFileError, match=":2"):
        load_claims(path)
    with pytest.raises(ClaimsFileError, match="Cannot read"):
        load_claims(tmp_path / "missing.jsonl")
