"""bot.vectors: ids are chunk rowids in both the exact and the approximate index."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from bot import vectors


def unit_rows(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_choose_index_type_switches_at_the_measured_size(monkeypatch) -> None:
    assert vectors.choose_index_type(0) == "Flat"
    assert vectors.choose_index_type(vectors.APPROXIMATE_FROM - 1) == "Flat"
    assert vectors.choose_index_type(vectors.APPROXIMATE_FROM).startswith("IVF")
    assert vectors.choose_index_type(1_000_000) == "IVF2048,SQfp16"
    monkeypatch.setattr(vectors, "APPROXIMATE_FROM", 100)
    assert vectors.choose_index_type(400) == "IVF10,SQfp16"  # never fewer than 39 points a list


@pytest.mark.parametrize("index_type", ["Flat", "IVF16,SQfp16"])
def test_ids_are_rowids_through_add_remove_reconstruct_and_disk(
    index_type: str, tmp_path: Path
) -> None:
    x = unit_rows(2000)
    rowids = np.arange(100, 2100)
    index = vectors.new_index(32, index_type)
    vectors.add(index, rowids, x)
    assert sorted(vectors.ids(index).tolist()) == rowids.tolist()

    vectors.remove(index, [100, 101, 1500])
    left = set(vectors.ids(index).tolist())
    assert index.ntotal == 1997 and not {100, 101, 1500} & left

    np.testing.assert_allclose(vectors.reconstruct(index, [102, 2099]), x[[2, 1999]], atol=1e-3)
    _, found = vectors.search(index, x[500], 1)
    assert found[0] == 600

    vectors.write(index, tmp_path / "v.faiss")
    again = vectors.read(tmp_path / "v.faiss")
    assert sorted(vectors.ids(again).tolist()) == sorted(left)
    vectors.add(again, np.array([100]), x[:1])  # a trained index takes new ids after reading
    assert vectors.search(again, x[0], 1)[1][0] == 100
    if index_type.startswith("IVF"):
        assert faiss.extract_index_ivf(again).nprobe == 16 // vectors.PROBE_SHARE


def test_approximate_index_recall_against_exact() -> None:
    centres = unit_rows(50, seed=1)
    rng = np.random.default_rng(2)
    x = centres[rng.integers(0, 50, 20_000)] + 0.05 * rng.standard_normal((20_000, 32))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    exact, approx = vectors.new_index(32, "Flat"), vectors.new_index(32, "IVF128,SQfp16")
    for index in (exact, approx):
        vectors.add(index, np.arange(len(x)), x)
    queries = unit_rows(50, seed=3)
    _, want = exact.search(queries, 10)
    _, got = approx.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(got, want, strict=True)])
    assert recall >= 0.95


def test_ingest_above_the_switch_builds_and_records_an_approximate_index(
    tmp_path: Path, monkeypatch
) -> None:
    from bot import index as idx
    from bot.embedding import HashEmbedder
    from bot.ingest import ingest_raw, remove
    from bot.models import RawDocument

    monkeypatch.setattr(vectors, "APPROXIMATE_FROM", 200)
    docs = [
        RawDocument(
            source=f"mem://{i}",
            format="txt",
            pages=[f"Paragraph {i} about topic {i % 7} and item {i * 13}."],
            content_hash=f"h{i}",
            doc_id=f"d{i}",
        )
        for i in range(400)
    ]
    ingest_raw(tmp_path, docs, embedder=HashEmbedder())
    meta = idx.read_meta(idx.generation_dir(tmp_path))
    assert meta["index_type"] == "IVF10,SQfp16"
    remove(tmp_path, ["d3", "d4"], embedder=HashEmbedder())
    report = idx.verify(tmp_path)
    assert report.ok, report.problems
    assert report.chunks == report.vectors == 398
