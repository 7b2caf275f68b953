"""bot.evaluate: metrics against hand-computed cases, the BEIR loader, a tiny end-to-end run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import evaluate
from bot.evaluate import (
    DatasetError,
    doc_ranking,
    load_beir,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    recall_at_k,
    score_run,
)

# --- metrics, computed by hand -------------------------------------------------------------


def test_ndcg_single_relevant_at_rank_two() -> None:
    # DCG = 1/log2(3); IDCG = 1/log2(2) = 1
    assert ndcg_at_k(["a", "b", "c"], {"b": 1}, 10) == pytest.approx(0.6309297535714575)


def test_ndcg_two_relevant_with_a_gap() -> None:
    # DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) = 1.6309297535714575
    assert ndcg_at_k(["a", "x", "d"], {"a": 1, "d": 1}, 10) == pytest.approx(
        1.5 / 1.6309297535714575
    )


def test_ndcg_graded_uses_linear_gain() -> None:
    # pytrec_eval / BEIR: gain = rel. DCG = 1 + 2/log2(3); IDCG = 2 + 1/log2(3)
    got = ndcg_at_k(["b", "a"], {"a": 2, "b": 1}, 10)
    assert got == pytest.approx((1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3)))
    assert got == pytest.approx(0.8597186998)


def test_ndcg_cutoff_and_ideal_limited_to_k() -> None:
    ranking = [f"x{i}" for i in range(10)] + ["a"]
    assert ndcg_at_k(ranking, {"a": 1}, 10) == 0.0
    # three relevant, k=2: the ideal list holds only two of them
    assert ndcg_at_k(["a", "b"], {"a": 1, "b": 1, "c": 1}, 2) == pytest.approx(1.0)


def test_ndcg_ignores_non_positive_judgements() -> None:
    assert ndcg_at_k(["a"], {"a": 0}, 10) == 0.0
    assert ndcg_at_k(["a", "b"], {"a": -1, "b": 1}, 10) == pytest.approx(1 / math.log2(3))


def test_recall() -> None:
    assert recall_at_k(["a", "x", "d"], {"a": 1, "d": 1, "e": 1}, 10) == pytest.approx(2 / 3)
    assert recall_at_k(["a", "x", "d"], {"a": 1, "d": 1}, 2) == pytest.approx(0.5)
    assert recall_at_k([], {"a": 1}, 10) == 0.0
    assert recall_at_k(["a"], {}, 10) == 0.0


def test_mrr() -> None:
    assert mrr_at_k(["x", "y", "a", "b"], {"a": 1, "b": 1}, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["a"], {"a": 1}, 10) == 1.0
    assert mrr_at_k([f"x{i}" for i in range(10)] + ["a"], {"a": 1}, 10) == 0.0


def test_score_run_averages_over_every_judged_query() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 1}}
    run = {"q1": ["a"], "q2": ["x", "b"]}  # q3 has no results: counts as zero
    scores = score_run(run, qrels)
    assert scores["ndcg@10"] == pytest.approx((1 + 1 / math.log2(3) + 0) / 3)
    assert scores["recall@10"] == pytest.approx(2 / 3)
    assert scores["recall@100"] == pytest.approx(2 / 3)
    assert scores["mrr@10"] == pytest.approx((1 + 0.5 + 0) / 3)


def test_percentile_matches_linear_interpolation() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10.0], 95) == 10.0
    assert percentile(list(range(101)), 95) == 95
    assert math.isnan(percentile([], 50))


def test_doc_ranking_keeps_each_docs_best_chunk_in_hit_order() -> None:
    class Hit:
        def __init__(self, doc_id: str) -> None:
            self.doc_id = doc_id

    hits = [Hit(d) for d in ["b", "a", "b", "c", "a", "d"]]
    assert doc_ranking(hits) == ["b", "a", "c", "d"]
    assert doc_ranking(hits, limit=2) == ["b", "a"]


ids = st.lists(st.sampled_from("abcdefghij"), unique=True, max_size=10)


@given(ranking=ids, relevant=st.dictionaries(st.sampled_from("abcdefghij"), st.integers(0, 3)))
def test_metrics_stay_in_unit_interval(ranking: list[str], relevant: dict[str, int]) -> None:
    for metric in (ndcg_at_k, recall_at_k, mrr_at_k):
        assert 0.0 <= metric(ranking, relevant, 10) <= 1.0 + 1e-12


@given(relevant=st.dictionaries(st.sampled_from("abcdefghij"), st.integers(1, 3), min_size=1))
def test_ideal_ranking_scores_one(relevant: dict[str, int]) -> None:
    ideal = sorted(relevant, key=lambda d: -relevant[d])
    assert ndcg_at_k(ideal, relevant, 10) == pytest.approx(1.0)
    assert recall_at_k(ideal, relevant, 10) == 1.0
    assert mrr_at_k(ideal, relevant, 10) == 1.0


# --- the loader --------------------------------------------------------------------------------

CORPUS = [
    {"_id": "d1", "title": "Aspirin and headaches", "text": "Aspirin reduces headache pain."},
    {"_id": "d2", "title": "Coffee", "text": "Caffeine increases alertness in adults."},
    {"_id": "d3", "title": "", "text": "Sleep deprivation impairs memory consolidation."},
    {"_id": "d4", "title": "Exercise", "text": "Regular running lowers resting heart rate."},
]
QUERIES = [
    {"_id": "q1", "text": "Does aspirin help with headache pain?"},
    {"_id": "q2", "text": "caffeine alertness"},
    {"_id": "q3", "text": "memory and sleep deprivation"},
    {"_id": "q9", "text": "a query judged in no split"},
]


def make_beir(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in CORPUS))
    (root / "queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in QUERIES) + "\n")
    (root / "qrels").mkdir(exist_ok=True)
    (root / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3\td3\t1\nq3\td4\t0\n"
    )
    (root / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\nq2\td2\t2\n")
    return root


def test_load_beir_reads_split(tmp_path: Path) -> None:
    data = load_beir(make_beir(tmp_path / "tiny"), "test")
    assert data.name == "tiny"
    assert list(data.queries) == ["q1", "q2", "q3"]  # q9 is judged in no split
    assert data.qrels == {"q1": {"d1": 1}, "q2": {"d2": 1}, "q3": {"d3": 1, "d4": 0}}
    assert [r.doc_id for r in data.corpus()] == ["d1", "d2", "d3", "d4"]
    train = load_beir(tmp_path / "tiny", "train")
    assert train.queries == {"q2": "caffeine alertness"} and train.qrels == {"q2": {"d2": 2}}


def test_corpus_documents_follow_the_contract(tmp_path: Path) -> None:
    docs = list(evaluate.corpus_documents(load_beir(make_beir(tmp_path / "tiny"))))
    first, untitled = docs[0], docs[2]
    assert first.doc_id == "d1" and first.meta.title == "Aspirin and headaches"
    assert first.pages == ["Aspirin and headaches\n\nAspirin reduces headache pain."]
    assert len(first.content_hash) == 64
    assert untitled.pages == ["Sleep deprivation impairs memory consolidation."]


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda d: (d / "corpus.jsonl").unlink(), "corpus.jsonl is missing"),
        (lambda d: (d / "qrels" / "test.tsv").unlink(), "no relevance judgements"),
        (lambda d: (d / "queries.jsonl").write_text("{not json\n"), "not valid JSON"),
        (lambda d: (d / "queries.jsonl").write_text('{"text": "x"}\n'), 'no "_id"'),
        (
            lambda d: (d / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\n"),
            "3 tab-separated columns",
        ),
        (
            lambda d: (d / "qrels" / "test.tsv").write_text("qid\tdid\tscore\nq7\td1\t1\n"),
            "not in queries.jsonl",
        ),
    ],
)
def test_load_beir_names_what_is_wrong(tmp_path: Path, breakage, message: str) -> None:
    root = make_beir(tmp_path / "tiny")
    breakage(root)
    with pytest.raises(DatasetError, match=message):
        load_beir(root, "test").corpus().__next__()


# --- end to end, with the fake embedder ---------------------------------------------------------


def test_run_eval_end_to_end_and_cached(tmp_path: Path) -> None:
    from bot.embedding import HashEmbedder

    root = make_beir(tmp_path / "tiny")
    cache = tmp_path / "cache"
    first = evaluate.run_eval(
        root, "test", "lexical", embedder=HashEmbedder(), cache_root=cache, time_answers=True
    )
    assert (first.queries, first.documents) == (3, 4)
    assert first.chunks >= 4
    assert not first.cached and first.index_build_s is not None
    assert first.run["q1"][0] == "d1" and first.run["q2"][0] == "d2"
    assert first.ndcg_at_10 == pytest.approx(1.0)  # every query's one relevant doc ranks first
    assert first.mrr_at_10 == pytest.approx(1.0) and first.recall_at_100 == pytest.approx(1.0)
    assert first.latency_p95_ms >= first.latency_p50_ms > 0
    assert first.answer_p50_ms is not None and first.answer_p50_ms > 0

    for mode in ("hybrid", "dense"):
        again = evaluate.run_eval(root, "test", mode, embedder=HashEmbedder(), cache_root=cache)
        assert again.cached and again.index_build_s is None
        assert again.index_dir == first.index_dir
        assert 0.0 < again.ndcg_at_10 <= 1.0

    data = again.to_dict()
    assert "run" not in data
    assert data["mode"] == "dense" and data["settings"]["model"] == "hash-384"
    assert set(data["settings"]["fusion"]) >= {"RRF_K", "DENSE_WEIGHT", "LEXICAL_WEIGHT"}
    json.dumps(data)  # plain data


def test_run_eval_rebuilds_an_unfinished_cache(tmp_path: Path) -> None:
    from bot.embedding import HashEmbedder

    root = make_beir(tmp_path / "tiny")
    cache = tmp_path / "cache"
    first = evaluate.run_eval(root, "test", "lexical", embedder=HashEmbedder(), cache_root=cache)
    (Path(first.index_dir) / "eval-cache.json").unlink()  # as if killed before the marker
    again = evaluate.run_eval(root, "test", "lexical", embedder=HashEmbedder(), cache_root=cache)
    assert not again.cached and again.ndcg_at_10 == first.ndcg_at_10


def test_cache_key_changes_with_corpus_and_settings() -> None:
    settings = {"model": "m", "chunking": {"max_words": 100}}
    key = evaluate.cache_key("abc", settings)
    assert key == evaluate.cache_key("abc", dict(settings))
    assert key != evaluate.cache_key("abd", settings)
    assert key != evaluate.cache_key("abc", {**settings, "chunking": {"max_words": 120}})


def test_run_eval_refuses_unknown_mode(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        evaluate.run_eval(make_beir(tmp_path / "tiny"), mode="fuzzy")


def test_eval_command_prints_figures_and_json(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from bot.cli import cli
    from bot.config import get_settings

    monkeypatch.setenv("REPORTBOT_MODEL", "hash")
    get_settings.cache_clear()
    root = make_beir(tmp_path / "tiny")
    args = ["eval", str(root), "--cache-dir", str(tmp_path / "cache"), "-q"]
    try:
        text = CliRunner().invoke(cli, args)
        as_json = CliRunner().invoke(cli, [*args, "--mode", "lexical", "--json"])
        missing = CliRunner().invoke(cli, ["eval", str(tmp_path), "--cache-dir", str(tmp_path)])
    finally:
        get_settings.cache_clear()
    assert text.exit_code == 0, text.output
    assert "tiny test, hybrid: 3 queries, 4 documents" in text.output
    assert "nDCG@10" in text.output and "answer" in text.output
    data = json.loads(as_json.output)
    assert data["mode"] == "lexical" and data["ndcg_at_10"] == pytest.approx(1.0)
    assert data["cached"] is True and data["answer_p50_ms"] is None
    assert missing.exit_code == 1 and "corpus.jsonl is missing" in missing.output
    assert "Traceback" not in missing.output


def test_eval_command_takes_the_model_to_evaluate(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    root = make_beir(tmp_path / "tiny")
    args = ["eval", str(root), "--cache-dir", str(tmp_path / "cache"), "-q", "--json"]
    result = CliRunner().invoke(cli, [*args, "--model", "hash-64", "--mode", "lexical"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["settings"]["model"] == "hash-64"
