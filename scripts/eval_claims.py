"""Fact-check accuracy on claims files, by kind: the figures behind issue 12's closing note.

    .venv/bin/python scripts/eval_claims.py --index-dir DIR eval/claims/financebench_heldout.jsonl
    .venv/bin/python scripts/eval_claims.py --index-dir DIR --wrong FILE...   # also list failures

Each file is checked against the whole index (built beforehand with `reportbot ingest`, e.g. of
../shared/eval/financebench/pdfs/) and reported on its own, so tuned and held-out claims never
mix. Latency is warm: the first claim is checked once before timing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.config import get_settings
from bot.embedding import get_embedder
from bot.errors import ReportbotError
from bot.evaluate.claims import load_claims, run_claims
from bot.index import ReportIndex


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("claims", nargs="+", type=Path, help="claims .jsonl files")
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--wrong", action="store_true", help="list the claims it got wrong")
    parser.add_argument("--json", action="store_true", help="one JSON object per file")
    args = parser.parse_args()
    try:
        index = ReportIndex.open(args.index_dir, get_embedder(get_settings().model))
        for path in args.claims:
            result = run_claims(index, load_claims(path), source=str(path))
            if args.json:
                print(json.dumps(result.to_dict(), ensure_ascii=False))
                continue
            n = len(result.outcomes)
            print(f"{path}: {result.accuracy:.1%} right of {n} claims")
            for kind, (right, total) in result.by_kind().items():
                print(f"  {kind:<12} {right:>3}/{total:<3} {right / total:.0%}")
            print(f"  false contradicted: {len(result.false_contradicted)}")
            print(
                f"  check warm p50 {result.latency_ms(0.5):.0f} ms, "
                f"p95 {result.latency_ms(0.95):.0f} ms"
            )
            if args.wrong:
                for o in result.wrong:
                    print(f"  WRONG [{o.case.kind}] expected {o.case.expected}, got {o.verdict}:")
                    print(f"    {o.case.claim}\n    -> {o.explanation[:400]}")
    except ReportbotError as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
