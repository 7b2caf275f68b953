import json
import shutil
import sqlite3

import numpy as np
import pytest
from filelock import FileLock

from bot import index as idx
from bot.embedding import HashEmbedder
from bot.errors import DocumentNotFound, IndexLocked, IndexMismatch
from bot.index import ReportIndex, current_generation, verify
from bot.ingest import ingest, remove
from bot.models import DocumentMeta

ARG = "argencon-mission-to-the-united-states"
TEC = "techloy-argentina-wants-to-be-an-ai-hub"


def _build(tmp_path, corpus, embedder):
    index_dir = tmp_path / "index"
    report = ingest(index_dir, [corpus], embedder=embedder)
    return index_dir, report


def test_first_ingest_adds_both_reports_with_metadata(tmp_path, corpus_copy, hash_embedder):
    index_dir, report = _build(tmp_path, corpus_copy, hash_embedder)
    assert sorted(report.added) == [ARG, TEC]
    assert report.chunks_embedded == report.chunks_total > 10
    assert verify(index_dir).ok
    doc = ReportIndex.open(index_dir, hash_embedder).document(TEC)
    assert (doc["title"], doc["publisher"], doc["author"]) == (
        "Argentina Wants to Be an AI Hub",
        "Techloy",
        "Kelechi Edeh",
    )
    assert doc["date"] == "" and doc["url"] == ""


def test_rerun_does_no_embedding_work_and_publishes_nothing(tmp_path, corpus_copy):
    class CountingEmbedder(HashEmbedder):
        calls = 0

        def encode(self, texts, **kw):
            CountingEmbedder.calls += len(texts)
            return super().encode(texts, **kw)

    embedder = CountingEmbedder()
    index_dir, _ = _build(tmp_path, corpus_copy, embedder)
    before, generation = CountingEmbedder.calls, current_generation(index_dir)
    report = ingest(index_dir, [corpus_copy], embedder=embedder)
    assert sorted(report.unchanged) == [ARG, TEC]
    assert CountingEmbedder.calls == before
    assert current_generation(index_dir) == generation


def test_changed_document_replaces_its_chunks_and_reuses_unchanged_vectors(
    tmp_path, corpus_copy, hash_embedder
):
    index_dir, first = _build(tmp_path, corpus_copy, hash_embedder)
    path = corpus_copy / f"{TEC}.txt"
    path.write_text(path.read_text().replace("roughly 20 A100-level GPUs", "roughly 35 H100 GPUs"))
    report = ingest(index_dir, [corpus_copy], embedder=hash_embedder)
    assert report.updated == [TEC] and report.unchanged == [ARG]
    assert report.chunks_embedded == 1  # only the chunk whose text changed
    assert report.chunks_reused > 0
    assert verify(index_dir).ok
    index = ReportIndex.open(index_dir, hash_embedder)
    assert "35 H100" in index.document(TEC)["text"]
    assert index.vectors.ntotal == first.chunks_total


def test_remove_deletes_document_chunks_and_vectors(tmp_path, corpus_copy, hash_embedder):
    index_dir, first = _build(tmp_path, corpus_copy, hash_embedder)
    report = remove(index_dir, [TEC], embedder=hash_embedder)
    assert report.removed == [TEC]
    result = verify(index_dir)
    assert result.ok and result.documents == 1
    assert result.vectors < first.chunks_total
    with pytest.raises(DocumentNotFound):
        remove(index_dir, ["no-such-doc"], embedder=hash_embedder)


def test_sync_removes_documents_deleted_from_the_folder(tmp_path, corpus_copy, hash_embedder):
    index_dir, _ = _build(tmp_path, corpus_copy, hash_embedder)
    (corpus_copy / f"{ARG}.txt").unlink()
    report = ingest(index_dir, [corpus_copy], embedder=hash_embedder, sync=True)
    assert report.removed == [ARG]
    assert verify(index_dir).documents == 1


def test_rebuild_starts_from_scratch(tmp_path, corpus_copy, hash_embedder):
    index_dir, _ = _build(tmp_path, corpus_copy, hash_embedder)
    report = ingest(index_dir, [corpus_copy], embedder=hash_embedder, rebuild=True)
    assert sorted(report.added) == [ARG, TEC]
    assert verify(index_dir).ok


def test_second_ingest_is_refused_while_one_holds_the_lock(tmp_path, corpus_copy, hash_embedder):
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    with FileLock(index_dir / "ingest.lock"), pytest.raises(IndexLocked, match="already running"):
        ingest(index_dir, [corpus_copy], embedder=hash_embedder)


def test_index_built_with_another_model_is_refused(tmp_path, corpus_copy, hash_embedder):
    index_dir, _ = _build(tmp_path, corpus_copy, hash_embedder)
    other = HashEmbedder(128)
    with pytest.raises(IndexMismatch, match="--rebuild"):
        ReportIndex.open(index_dir, other)
    with pytest.raises(IndexMismatch):
        ingest(index_dir, [corpus_copy], embedder=other)
    report = ingest(index_dir, [corpus_copy], embedder=other, rebuild_on_mismatch=True)
    assert len(report.added) == 2
    assert ReportIndex.open(index_dir, other).meta["dimension"] == 128


def test_bad_files_are_reported_and_the_rest_ingested(tmp_path, corpus_copy, hash_embedder):
    (corpus_copy / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (corpus_copy / "empty.txt").write_text("")
    _, report = _build(tmp_path, corpus_copy, hash_embedder)
    assert sorted(report.added) == [ARG, TEC]
    assert {s.rsplit("/", 1)[-1] for s, _ in report.failed} == {"broken.pdf", "empty.txt"}
    assert all("\n" not in reason for _, reason in report.failed)


def test_metadata_override_and_duplicate_upload(tmp_path, corpus_copy, hash_embedder):
    index_dir, _ = _build(tmp_path, corpus_copy, hash_embedder)
    copy = tmp_path / "upload.txt"
    copy.write_text((corpus_copy / f"{TEC}.txt").read_text())
    report = ingest(index_dir, [copy], embedder=hash_embedder, meta=DocumentMeta(title="X"))
    assert report.unchanged == [TEC] and not report.added  # same content: nothing new


def test_published_generation_records_what_built_it(tmp_path, corpus_copy, hash_embedder):
    index_dir, _ = _build(tmp_path, corpus_copy, hash_embedder)
    meta = json.loads((index_dir / current_generation(index_dir) / idx.META_NAME).read_text())
    assert meta["model"] == hash_embedder.name and meta["dimension"] == 384
    assert meta["normalized"] and meta["metric"] == "inner_product"
    assert {"faiss-cpu", "sqlite"} <= set(meta["versions"])
    assert meta["chunking"]["max_words"] > 0


def test_verify_detects_a_vector_without_chunk(tmp_path, corpus_copy, hash_embedder):
    index_dir, _ = _build(tmp_path, corpus_copy, hash_embedder)
    db = sqlite3.connect(index_dir / current_generation(index_dir) / idx.DB_NAME)
    with db:
        db.execute("DELETE FROM chunks WHERE id = (SELECT max(id) FROM chunks)")
    result = verify(index_dir)
    assert not result.ok
    assert any("vectors have no chunk" in p for p in result.problems)


def test_verify_detects_damaged_sentence_vectors_and_a_stale_vocabulary(
    tmp_path, corpus_copy, hash_embedder
):
    index_dir, _ = _build(tmp_path, corpus_copy, hash_embedder)
    assert verify(index_dir).ok
    db = sqlite3.connect(index_dir / current_generation(index_dir) / idx.DB_NAME)
    with db:
        db.execute("UPDATE sentence_vectors SET vectors = x'0102' WHERE chunk_id = 1")
        db.execute("INSERT INTO sentence_vectors VALUES (99999, x'')")
        db.execute("UPDATE vocab SET df = df + 1 WHERE term = 'cordoba'")
    problems = " | ".join(verify(index_dir).problems)
    assert "1 sentence-vector rows have no chunk" in problems
    assert "2 sentence-vector rows have the wrong size" in problems
    assert "vocabulary copy disagrees with the full-text index (2 terms)" in problems
    with db:  # put the term right; a term the index does not have is caught too
        db.execute("UPDATE vocab SET df = df - 1 WHERE term = 'cordoba'")
        db.execute("INSERT INTO vocab VALUES ('zzzunindexed', 1, 1)")
    problems = " | ".join(verify(index_dir).problems)
    assert "vocabulary copy disagrees with the full-text index (1 terms)" in problems


def test_staging_left_by_a_killed_ingest_is_cleaned_up(tmp_path, corpus_copy, hash_embedder):
    index_dir, _ = _build(tmp_path, corpus_copy, hash_embedder)
    (index_dir / ".staging-123-456").mkdir()
    (index_dir / ".staging-123-456" / "reportbot.db").write_text("half written")
    ingest(index_dir, [corpus_copy], embedder=hash_embedder)
    assert not list(index_dir.glob(".staging-*"))
    assert verify(index_dir).ok


def test_every_figure_is_stored_with_its_sentence(corpus_index):
    rows = list(corpus_index.db.query("SELECT * FROM figures WHERE doc_id = ?", [ARG]))
    texts = {r["text"] for r in rows}
    assert {"USD $9.685 billion", "20.8%", "65,000"} <= {t.replace("over ", "") for t in texts}
    doc = corpus_index.document(ARG)["text"]
    for r in rows:
        assert doc[r["start"] : r["end"]] == r["text"]
        assert r["text"] in r["sentence"]


def test_resending_a_file_without_caption_keeps_it_unchanged(tmp_path, corpus_copy, hash_embedder):
    index_dir = tmp_path / "index"
    upload = tmp_path / "upload.txt"
    upload.write_text("A fresh report.\n\nIt says exports grew 12% in 2025.")
    first = ingest(index_dir, [upload], embedder=hash_embedder, meta=DocumentMeta(title="Caption"))
    again = ingest(index_dir, [upload], embedder=hash_embedder)
    assert first.added == ["upload"] and again.unchanged == ["upload"]
    retitled = ingest(index_dir, [upload], embedder=hash_embedder, meta=DocumentMeta(title="New"))
    assert retitled.updated == ["upload"]


def test_editing_a_sidecar_updates_the_citation(tmp_path, corpus_copy, hash_embedder):
    index_dir, _ = _build(tmp_path, corpus_copy, hash_embedder)
    sidecar = corpus_copy / f"{TEC}.meta.json"
    sidecar.write_text(sidecar.read_text().replace('"date": ""', '"date": "2025-10-01"'))
    report = ingest(index_dir, [corpus_copy], embedder=hash_embedder)
    index = ReportIndex.open(index_dir, hash_embedder)
    assert index.document(TEC)["date"] == "2025-10-01"
    # A short article embeds its chunks alone (only PDFs get a context prefix): all reused.
    assert report.updated == [TEC] and report.chunks_embedded == 0


def test_an_author_edit_leaves_the_context_alone_and_reuses_every_vector(
    tmp_path, corpus_copy, hash_embedder
):
    index_dir, _ = _build(tmp_path, corpus_copy, hash_embedder)
    sidecar = corpus_copy / f"{TEC}.meta.json"
    sidecar.write_text(sidecar.read_text().replace('"author": "', '"author": "Ed. '))
    report = ingest(index_dir, [corpus_copy], embedder=hash_embedder)
    assert report.updated == [TEC] and report.chunks_embedded == 0


def test_empty_token_in_env_means_no_token(monkeypatch):
    from bot.config import Settings

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    assert Settings().telegram_bot_token is None


def test_a_new_document_reuses_vectors_of_text_already_indexed(
    tmp_path, corpus_copy, hash_embedder
):
    index_dir, _ = _build(tmp_path, corpus_copy, hash_embedder)
    index = ReportIndex.open(index_dir, hash_embedder)
    shared = index.db.execute(
        "SELECT text FROM chunks WHERE doc_id = ? ORDER BY ordinal LIMIT 1", [TEC]
    ).fetchone()[0]
    extra = tmp_path / "digest.txt"
    extra.write_text(f"{shared}\n\nA brand new closing paragraph about something else entirely.")
    # The same citation metadata, so the shared chunk's context (identity, section) is the same.
    shutil.copy(corpus_copy / f"{TEC}.meta.json", tmp_path / "digest.meta.json")
    report = ingest(index_dir, [extra], embedder=hash_embedder)
    assert report.added == ["digest"]
    assert report.chunks_reused >= 1 and report.chunks_embedded >= 1
    assert verify(index_dir).ok
    fresh = ReportIndex.open(index_dir, hash_embedder)
    ids = [r[0] for r in fresh.db.execute("SELECT id FROM chunks WHERE text = ?", [shared])]
    vecs = [fresh.vectors.reconstruct(i) for i in ids]
    assert len(ids) == 2 and (vecs[0] == vecs[1]).all()


def _sentence_rows(index):
    return dict(index.db.execute("SELECT chunk_id, vectors FROM sentence_vectors").fetchall())


def _sentence_vectors_by_text(index):
    return dict(
        index.db.execute(
            "SELECT c.text_hash, s.vectors FROM chunks c JOIN sentence_vectors s ON s.chunk_id = c.id"
        ).fetchall()
    )


def test_every_chunk_stores_a_vector_for_each_candidate_highlight(corpus_index):
    from bot.text import highlight_spans

    stored = _sentence_rows(corpus_index)
    chunks = list(corpus_index.db.query("SELECT id, text FROM chunks"))
    assert set(stored) == {c["id"] for c in chunks}
    for c in chunks:
        vecs = np.frombuffer(stored[c["id"]], dtype=np.float16).reshape(-1, 384)
        assert len(vecs) == len(highlight_spans(c["text"]))
        assert np.allclose(np.linalg.norm(vecs.astype(np.float32), axis=1), 1.0, atol=2e-3)


def test_edits_and_removals_keep_sentence_vectors_and_vocabulary_in_step(
    tmp_path, corpus_copy, hash_embedder
):
    index_dir, _ = _build(tmp_path, corpus_copy, hash_embedder)
    before = _sentence_vectors_by_text(ReportIndex.open(index_dir, hash_embedder))
    assert "cordoba" in dict(
        ReportIndex.open(index_dir, hash_embedder).db.execute("SELECT term, df FROM vocab")
    )
    path = corpus_copy / f"{TEC}.txt"
    path.write_text(path.read_text().replace("roughly 20 A100-level GPUs", "roughly 35 H100 GPUs"))
    ingest(index_dir, [corpus_copy], embedder=hash_embedder)
    index = ReportIndex.open(index_dir, hash_embedder)
    ids = {r[0] for r in index.db.execute("SELECT id FROM chunks")}
    assert set(_sentence_rows(index)) == ids
    # Chunks whose text did not change carry the very same sentence vectors over.
    after = _sentence_vectors_by_text(index)
    kept = set(before) & set(after)
    assert len(kept) == len(after) - 1 and all(after[h] == before[h] for h in kept)

    remove(index_dir, [TEC], embedder=hash_embedder)
    index = ReportIndex.open(index_dir, hash_embedder)
    assert set(_sentence_rows(index)) == {r[0] for r in index.db.execute("SELECT id FROM chunks")}
    vocab = dict(index.db.execute("SELECT term, df FROM vocab").fetchall())
    assert vocab == dict(index.db.execute("SELECT term, doc FROM chunks_fts_vocab").fetchall())
    assert "cordoba" not in vocab  # only in the removed report


def test_an_exact_index_that_grows_past_the_threshold_becomes_approximate(
    tmp_path, corpus_copy, hash_embedder, monkeypatch
):
    from bot import vectors

    index_dir, first = _build(tmp_path, corpus_copy, hash_embedder)
    assert idx.read_meta(idx.generation_dir(index_dir))["index_type"] == "Flat"
    before = ReportIndex.open(index_dir, hash_embedder)
    kept = {int(i): before.vectors.reconstruct(int(i)) for i in vectors.ids(before.vectors)}
    monkeypatch.setattr(vectors, "APPROXIMATE_FROM", first.chunks_total + 1)
    extra = tmp_path / "extra.txt"
    extra.write_text("\n\n".join(f"Paragraph {n} about exports and GPUs." for n in range(40)))
    report = ingest(index_dir, [extra], embedder=hash_embedder)
    meta = idx.read_meta(idx.generation_dir(index_dir))
    assert meta["index_type"].startswith("IVF") and verify(index_dir).ok
    after = ReportIndex.open(index_dir, hash_embedder)
    assert after.vectors.ntotal == report.chunks_total > first.chunks_total
    for cid, vec in kept.items():  # the old vectors moved over under their ids (fp16 precision)
        assert np.allclose(after.vectors.reconstruct(cid), vec, atol=1e-3)


def test_document_keys_do_not_depend_on_the_working_directory(
    tmp_path, corpus_copy, hash_embedder, monkeypatch
):
    index_dir = tmp_path / "index"
    monkeypatch.chdir(corpus_copy.parent)
    ingest(index_dir, ["corpus"], embedder=hash_embedder)
    sources = {d["id"]: d["source"] for d in ReportIndex.open(index_dir, hash_embedder).documents()}
    assert sources[TEC] == str(corpus_copy.resolve() / f"{TEC}.txt")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # /reindex re-ingests the stored keys from wherever it runs
    again = ingest(index_dir, sources.values(), embedder=hash_embedder, rebuild=True)
    assert sorted(again.added) == [ARG, TEC] and not again.failed
    (corpus_copy / f"{TEC}.txt").unlink()
    report = ingest(index_dir, ["../corpus"], embedder=hash_embedder, sync=True)
    assert report.removed == [TEC] and report.unchanged == [ARG]
