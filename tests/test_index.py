"""The index on disk: generations and CURRENT, metadata checks, the read handle, verify."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from bot import index as idx
from bot import vectors
from bot.embedding import HashEmbedder
from bot.errors import DocumentNotFound, IndexCorrupt, IndexMismatch, IndexMissing
from bot.index import ReportIndex, verify
from bot.ingest import ingest
from tests.conftest import CORPUS

TEC = "techloy-argentina-wants-to-be-an-ai-hub"


def _stage(index_dir: Path, name: str) -> Path:
    staged = index_dir / f".staging-{name}"
    staged.mkdir(parents=True)
    (staged / "marker").write_text(name)
    return staged


def test_publish_swaps_current_and_keeps_two_previous_generations(tmp_path: Path) -> None:
    assert idx.current_generation(tmp_path) is None
    names = [idx.publish(tmp_path, _stage(tmp_path, str(i))) for i in range(4)]
    assert idx.current_generation(tmp_path) == names[-1]
    assert (idx.generation_dir(tmp_path) / "marker").read_text() == "3"
    on_disk = sorted(p.name for p in tmp_path.glob("gen-*"))
    assert on_disk == sorted(names[-1 - idx.KEEP_PREVIOUS :])  # live + KEEP_PREVIOUS older
    _stage(tmp_path, "killed")  # an ingest killed half-way leaves its staging folder
    idx.prune(tmp_path)
    assert not list(tmp_path.glob(".staging-*"))
    assert idx.current_generation(tmp_path) == names[-1]


def test_missing_and_dangling_generations_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing, match=r"run `reportbot ingest corpus/` to build one"):
        idx.generation_dir(tmp_path)
    (tmp_path / idx.CURRENT).write_text("gen-1\n")
    with pytest.raises(IndexCorrupt, match="generation gen-1, which is missing"):
        idx.generation_dir(tmp_path)
    (tmp_path / idx.CURRENT).write_text("\n")
    assert idx.current_generation(tmp_path) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "metadata file is missing"), ("{not json", "damaged"), ("[1, 2]", "damaged")],
)
def test_read_meta_refuses_what_ingest_did_not_write(tmp_path, content, message) -> None:
    if content is not None:
        (tmp_path / idx.META_NAME).write_text(content)
    with pytest.raises(IndexCorrupt, match=message):
        idx.read_meta(tmp_path)


def test_an_index_built_differently_is_refused_by_name() -> None:
    embedder = HashEmbedder()
    idx.check_compatible({"format_version": idx.FORMAT_VERSION, "model": embedder.name}, embedder)
    with pytest.raises(IndexMismatch, match=r"format 0, this is \d+"):
        idx.check_compatible({"format_version": 0, "model": embedder.name}, embedder)
    with pytest.raises(IndexMismatch, match=r"model 'other' but reportbot is configured for"):
        idx.check_compatible({"format_version": idx.FORMAT_VERSION, "model": "other"}, embedder)


def test_the_read_handle_lists_reads_and_walks_chunks(corpus_index: ReportIndex) -> None:
    docs = corpus_index.documents()
    assert [d["title"] for d in docs] == sorted(d["title"] for d in docs)
    assert sum(d["chunks"] for d in docs) == corpus_index.vectors.ntotal
    doc = corpus_index.document(TEC)
    assert isinstance(doc["paragraph_starts"], list) and doc["page_starts"] == []
    assert corpus_index.document_cached(TEC) is corpus_index.document_cached(TEC)
    with pytest.raises(DocumentNotFound, match="No document 'nope' in the index"):
        corpus_index.document("nope")
    ids = [r[0] for r in corpus_index.db.execute("SELECT id FROM chunks WHERE doc_id = ?", [TEC])]
    picked = [ids[2], 10**9, ids[0]]
    assert [c["id"] for c in corpus_index.chunks(picked)] == [ids[2], ids[0]]  # order kept
    around = corpus_index.neighbours(ids[1])
    assert [c["id"] for c in around] == ids[:3]
    assert all(doc["text"][c["start"] : c["end"]] == c["text"] for c in around)
    with pytest.raises(DocumentNotFound):
        corpus_index.chunk(10**9)
    info = corpus_index.info()
    assert info["chunks"] == corpus_index.vectors.ntotal and info["size_bytes"] > 0


@pytest.fixture
def built(tmp_path: Path) -> Path:
    index_dir = tmp_path / "index"
    ingest(index_dir, [CORPUS], embedder=HashEmbedder())
    return index_dir


def test_verify_a_whole_index(built: Path) -> None:
    result = verify(built)
    assert result.ok and result.problems == ()
    assert (result.documents, result.model) == (2, "hash-384")
    assert result.chunks == result.vectors > 10
    assert result.to_dict()["ok"] is True


def test_verify_finds_a_vector_without_a_chunk_and_a_chunk_off_its_slice(built: Path) -> None:
    gen = idx.generation_dir(built)
    with sqlite3.connect(gen / idx.DB_NAME) as db:
        first, last = db.execute("SELECT min(id), max(id) FROM chunks").fetchone()
        db.execute("UPDATE chunks SET start = start + 1 WHERE id = ?", [first])
    vecs = vectors.read(gen / idx.VECTORS_NAME)
    vectors.add(vecs, np.array([last + 1]), vectors.reconstruct(vecs, [last]))
    vectors.write(vecs, gen / idx.VECTORS_NAME)
    result = verify(built)
    assert not result.ok
    assert set(result.problems) == {
        f"1 vectors have no chunk (e.g. [{last + 1}])",
        "1 chunks are not the exact slice of their document",
    }


def test_opening_refuses_counts_that_disagree(built: Path) -> None:
    gen = idx.generation_dir(built)
    meta = json.loads((gen / idx.META_NAME).read_text())
    (gen / idx.META_NAME).write_text(json.dumps({**meta, "dimension": 8}))
    with pytest.raises(IndexCorrupt, match="reportbot ingest --rebuild"):
        ReportIndex.open(built, HashEmbedder())
