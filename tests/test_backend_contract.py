"""One contract, two index backends: the directory (SQLite + FAISS) and PostgreSQL + pgvector.

Every test here runs against both, through the same library calls and CLI commands; the
PostgreSQL one against a real server (tests/conftest.py `pg_server`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import numpy as np
import pytest
from click.testing import CliRunner

from bot.answering import answer, search
from bot.cli import cli
from bot.embedding import HashEmbedder
from bot.errors import DocumentNotFound, IndexLocked, IndexUnavailable, IngestError
from bot.factcheck import check, list_figures
from bot.index import IndexHolder, ReportIndex, current_generation, verify
from bot.ingest import ingest, remove
from bot.models import SearchFilter
from tests.conftest import CORPUS

QUESTION = "How many GPUs does the lab have?"


@pytest.fixture(params=["sqlite", "postgres"])
def location(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "index")
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def pg_corpus(pg_server, hash_embedder):
    """The corpus indexed once in PostgreSQL (read-only), to compare with `corpus_index`."""
    import psycopg

    with psycopg.connect(pg_server.get_uri("postgres"), autocommit=True) as conn:
        conn.execute("CREATE DATABASE corpus_ro")
    url = pg_server.get_uri("corpus_ro")
    report = ingest(url, [CORPUS], embedder=hash_embedder)
    assert not report.failed
    return ReportIndex.open(url, hash_embedder)


def _doc_ids(index) -> list[str]:
    return sorted(d["id"] for d in index.documents())


def test_ingest_is_incremental_by_content_hash(location, hash_embedder, corpus_copy):
    first = ingest(location, [corpus_copy], embedder=hash_embedder)
    assert first.added and not first.failed and first.chunks_embedded == first.chunks_total
    assert verify(location).problems == ()
    again = ingest(location, [corpus_copy], embedder=hash_embedder)
    assert not again.changed and again.chunks_embedded == 0
    assert again.generation == first.generation  # nothing new to publish
    changed = sorted(corpus_copy.glob("*.txt"))[0]
    changed.write_text(changed.read_text() + "\n\nA closing paragraph added in an update.\n")
    third = ingest(location, [corpus_copy], embedder=hash_embedder)
    assert third.updated and third.chunks_reused > 0  # unchanged chunks keep their vectors
    assert 0 < third.chunks_embedded < first.chunks_embedded
    assert third.generation != first.generation
    result = verify(location)
    assert result.problems == () and result.chunks == result.vectors == third.chunks_total


def test_remove_and_unknown_document(location, hash_embedder):
    ingest(location, [CORPUS], embedder=hash_embedder)
    index = ReportIndex.open(location, hash_embedder)
    gone = _doc_ids(index)[0]
    report = remove(location, [gone], embedder=hash_embedder)
    assert report.removed == [gone]
    after = ReportIndex.open(location, hash_embedder)
    assert gone not in _doc_ids(after)
    assert verify(location).problems == ()
    with pytest.raises(DocumentNotFound):
        remove(location, ["no-such-report"], embedder=hash_embedder)


def test_ask_check_figures_and_filters(location, hash_embedder):
    ingest(location, [CORPUS], embedder=hash_embedder)
    index = ReportIndex.open(location, hash_embedder)
    hits = search(index, "What does Argentina want to become?", limit=5)
    assert len(hits) == 5 and all(h.doc_id in _doc_ids(index) for h in hits)
    result = answer(index, "What does Argentina want to become?")
    assert all(p.doc_id in _doc_ids(index) for p in result.passages)
    doc = _doc_ids(index)[0]
    only = search(index, "Argentina technology", filters=SearchFilter(doc_ids=(doc,)), limit=5)
    # a filtered query still returns k (or every chunk of the document when it has fewer)
    n_chunks = index.document_listing(doc)["chunks"]
    assert len(only) == min(5, n_chunks) and {h.doc_id for h in only} == {doc}
    rows = list_figures(index, doc)
    assert rows and all(r["doc_id"] == doc for r in rows)
    verdict = check(index, "Argentina has 100 data centres.")
    assert verdict.explanation and all(e.doc_id in _doc_ids(index) for e in verdict.evidence)


@pytest.mark.parametrize("budget", [None, 5])
def test_backends_rank_alike(corpus_index, pg_corpus, budget, monkeypatch):
    """The same corpus and embedder give the same rankings on both backends: BM25 whether it
    ranks every match (FTS5 itself on SQLite) or rescores the rarest words' pool (budget 5),
    and dense search up to float rounding (the fake embedder's many exact ties at 0 aside)."""
    from bot import lexical
    from bot.answering import embed_query

    if budget is not None:
        monkeypatch.setattr(lexical, "LEXICAL_BUDGET", budget)
    assert pg_corpus.chunk_count == corpus_index.chunk_count
    restricted = 0
    for question in (
        QUESTION,
        "What does Argentina want to become?",
        "mission to the United States delegation companies",
        "exportaciones de servicios",
    ):
        qvec = embed_query(corpus_index, question)
        s_scores, s_ids = corpus_index.dense_search(qvec, 10)
        p_scores, p_ids = pg_corpus.dense_search(qvec, 10)
        assert np.allclose(s_scores, p_scores, atol=1e-5)
        distinct = [i for i in range(10) if s_scores[i] > 1e-4]  # not tied at zero
        assert [s_ids[i] for i in distinct] == [p_ids[i] for i in distinct]
        also = [int(c) for c in s_ids if c >= 0]
        a = lexical.search(corpus_index, question, 10, also=also)
        b = lexical.search(pg_corpus, question, 10, also=also)
        assert [c for c, _ in a] == [c for c, _ in b], question
        assert np.allclose([x for _, x in a], [x for _, x in b], rtol=1e-9)
        # Restricted to one document (PostgreSQL scores inside the database, SQLite in FTS5).
        for doc in _doc_ids(corpus_index):
            allowed = corpus_index.filter_chunk_ids(SearchFilter(doc_ids=(doc,)))
            a = lexical.search(corpus_index, question, 10, allowed=allowed)
            b = lexical.search(pg_corpus, question, 10, allowed=allowed)
            assert all(c in allowed for c, _ in a), question
            assert [c for c, _ in a] == [c for c, _ in b], question
            assert np.allclose([x for _, x in a], [x for _, x in b], rtol=1e-9)
            restricted += len(a)
    assert restricted  # some questions match within a single document
    for question in (QUESTION, "What does Argentina want to become?"):
        sqlite_hits = [(h.doc_id, h.chunk_id) for h in search(corpus_index, question, limit=5)]
        pg_hits = [(h.doc_id, h.chunk_id) for h in search(pg_corpus, question, limit=5)]
        assert pg_hits == sqlite_hits, question  # chunk ids are assigned alike by both
        a_ans, b_ans = answer(corpus_index, question), answer(pg_corpus, question)
        assert a_ans.status == b_ans.status
        assert [p.quote for p in a_ans.passages] == [p.quote for p in b_ans.passages]
    for claim in ("Argentina has 100 data centres.", "The mission had 20 companies in 2023."):
        a_v, b_v = check(corpus_index, claim), check(pg_corpus, claim)
        assert a_v.verdict == b_v.verdict and a_v.explanation == b_v.explanation


def test_cli_against_the_location(location, hash_embedder, monkeypatch):
    monkeypatch.setenv("REPORTBOT_MODEL", "hash")
    from bot.config import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    flag = ["--index", location] if "://" in location else ["--index-dir", location]
    out = runner.invoke(cli, ["ingest", *flag, str(CORPUS), "--quiet"])
    assert out.exit_code == 0, out.output
    sources = runner.invoke(cli, ["sources", *flag, "--json"])
    assert sources.exit_code == 0, sources.output
    doc = sorted(__import__("json").loads(sources.output), key=lambda d: d["id"])[0]["id"]
    for args in (["show", doc], ["figures", doc], ["verify"], ["ask", "What does Argentina want?"]):
        res = runner.invoke(cli, [*args, *flag])
        assert res.exit_code == 0, (args, res.output)
    res = runner.invoke(cli, ["remove", doc, *flag])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["show", doc, *flag])
    assert res.exit_code != 0 and "Traceback" not in res.output


class _Failing(HashEmbedder):
    """Fails half-way through the embedding of an ingest, like a process that dies there."""

    def encode(self, texts, **kwargs):
        raise OSError("simulated crash while embedding")


class _Slow(HashEmbedder):
    def __init__(self, started: threading.Event) -> None:
        super().__init__()
        self.started = started

    def encode(self, texts, **kwargs):
        self.started.set()
        time.sleep(1.5)
        return super().encode(texts, **kwargs)


def test_failed_ingest_leaves_the_live_generation_whole(location, hash_embedder, corpus_copy):
    first = ingest(location, [CORPUS], embedder=hash_embedder)
    (corpus_copy / "new-report.txt").write_text("A new report about solar panels in Salta.\n" * 20)
    with pytest.raises((IngestError, OSError)):
        ingest(location, [corpus_copy], embedder=_Failing())
    assert current_generation(location) == first.generation
    assert verify(location).problems == ()
    index = ReportIndex.open(location, hash_embedder)
    assert "new-report" not in _doc_ids(index)
    # and the next ingest goes through, leftovers cleaned
    assert ingest(location, [corpus_copy], embedder=hash_embedder).added == ["new-report"]


_KILLED_INGEST = """
import pathlib, sys, time
from bot.embedding import HashEmbedder
from bot.ingest import ingest

class Stuck(HashEmbedder):
    def encode(self, texts, **kwargs):
        pathlib.Path(sys.argv[3]).touch()  # the new generation is staged and half written
        time.sleep(120)

ingest(sys.argv[1], [sys.argv[2]], embedder=Stuck())
"""


def test_killed_ingest_leaves_the_live_generation_whole(
    location, hash_embedder, corpus_copy, tmp_path
):
    """SIGKILL in the middle of an ingest (documents written, vectors not): nothing changes."""
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import ROOT

    first = ingest(location, [CORPUS], embedder=hash_embedder)
    (corpus_copy / "killed.txt").write_text("A report whose ingest is killed half-way.\n" * 20)
    marker = tmp_path / "embedding-started"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_INGEST, location, str(corpus_copy), str(marker)], env=env
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None and time.monotonic() < deadline, "ingest did not start"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert current_generation(location) == first.generation
    assert verify(location).problems == ()
    assert "killed" not in _doc_ids(ReportIndex.open(location, hash_embedder))
    # the lock died with the process; the next ingest goes through and clears the leftovers
    again = ingest(location, [corpus_copy], embedder=hash_embedder)
    assert again.added == ["killed"] and verify(location).problems == ()
    if "://" not in location:
        assert not list((tmp_path / "index").glob(".staging-*"))
    else:
        import psycopg

        with psycopg.connect(location) as conn:
            schemas = {
                r[0]
                for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rb_g%'")
            }
            published = {r[0] for r in conn.execute("SELECT name FROM reportbot_generations")}
        assert schemas == published  # the killed ingest's schema is gone


def test_second_concurrent_ingest_is_refused(location, hash_embedder):
    started = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            ingest(location, [CORPUS], embedder=_Slow(started))
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(30)
    with pytest.raises(IndexLocked, match="Another ingest is already running"):
        ingest(location, [CORPUS], embedder=hash_embedder)
    thread.join()
    assert not errors
    assert verify(location).problems == ()


def test_readers_pick_up_a_new_generation(location, hash_embedder, corpus_copy):
    ingest(location, [CORPUS], embedder=hash_embedder)
    holder = IndexHolder(location, hash_embedder, check_every=0.0)
    before = asyncio.run(holder.get())
    (corpus_copy / "extra.txt").write_text("An extra report on wind farms in Chubut.\n" * 10)
    ingest(location, [corpus_copy], embedder=hash_embedder)
    after = asyncio.run(holder.get())
    assert after.generation != before.generation and "extra" in _doc_ids(after)
    assert "extra" not in _doc_ids(before)  # in-flight readers keep the old one


# --- PostgreSQL only: connections and credentials ----------------------------------------


def test_dropped_connection_is_retried_once(pg_corpus, pg_server):
    import psycopg

    index = pg_corpus
    index.chunks([1])  # opens this thread's connection
    pid = index._conn().info.backend_pid
    with psycopg.connect(pg_server.get_uri("postgres"), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.2)
    assert search(index, QUESTION, limit=3)  # reconnected, same answer


def test_unreachable_server_is_one_sentence_without_credentials(pg_corpus, caplog):
    secret = "hunter2-not-in-logs"
    url = f"postgresql://reportbot:{secret}@127.0.0.1:1/reports"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(IndexUnavailable) as err:
        ReportIndex.open(url, HashEmbedder())
    message = str(err.value)
    assert secret not in message and "\n" not in message and "127.0.0.1:1/reports" in message
    # a live handle whose server goes away: one retry, then the sentence
    broken = type(pg_corpus)(url, pg_corpus.schema, pg_corpus.meta, pg_corpus.embedder)
    with pytest.raises(IndexUnavailable) as err2:
        broken.chunks([1])
    assert secret not in str(err2.value)
    holder = IndexHolder(url, HashEmbedder())
    with pytest.raises(IndexUnavailable) as err3:
        asyncio.run(holder.get())
    assert secret not in str(err3.value)
    assert secret not in caplog.text


def test_ingest_logs_no_credentials(pg_server, hash_embedder, caplog, tmp_path):
    """A password in the URL (trust auth accepts any) appears in no log line or message."""
    import psycopg

    with psycopg.connect(pg_server.get_uri("postgres"), autocommit=True) as conn:
        conn.execute("CREATE DATABASE creds")
    secret = "pa55-word-xyz"
    url = pg_server.get_uri("creds").replace("postgres:@", f"postgres:{secret}@")
    caplog.set_level(logging.DEBUG)
    ingest(url, [CORPUS], embedder=hash_embedder)
    with pytest.raises(IndexLocked) as err, psycopg.connect(url, autocommit=True) as holder:
        from bot.backends.postgres import LOCK_KEY

        holder.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        ingest(url, [CORPUS], embedder=hash_embedder)
    assert secret not in str(err.value) and secret not in caplog.text
    res = CliRunner().invoke(cli, ["verify", "--index", url.replace("/creds", "/nodb")])
    assert res.exit_code != 0 and secret not in res.output


def test_hnsw_above_the_threshold(pg_url, hash_embedder, monkeypatch):
    """Past HNSW_FROM vectors the generation gets an HNSW index; a filtered query still returns k."""
    from bot.backends import postgres

    monkeypatch.setattr(postgres, "HNSW_FROM", 10)
    ingest(pg_url, [CORPUS], embedder=hash_embedder)
    index = ReportIndex.open(pg_url, hash_embedder)
    assert str(index.meta["index_type"]).startswith("hnsw")
    assert verify(pg_url).problems == ()
    q = hash_embedder.encode(["Argentina technology hub"])[0]
    scores, ids = index.dense_search(q, 5)
    assert len(ids) == 5 and np.all(np.diff(scores) <= 1e-6)
    doc = _doc_ids(index)[0]
    allowed = np.array(sorted(index.filter_chunk_ids(SearchFilter(doc_ids=(doc,)))))
    _, only = index.dense_search(q, 3, allowed)
    assert len(only) == min(3, len(allowed)) and set(only.tolist()) <= set(allowed.tolist())


def test_buffered_rows_of_a_failed_document_are_dropped(pg_url):
    """PostgreSQL staging sends chunks in batches: a document whose writes fail takes its
    buffered chunks and figures with it, and the documents before it keep theirs."""
    from bot.backends.pg_staging import PgStaging

    def chunk(doc_id: str) -> dict:
        text = "Exports grew 5%."
        return {"doc_id": doc_id, "ordinal": 0, "text": text, "start": 0, "end": 16, "context": ""}

    staging = PgStaging(pg_url)
    with staging.locked():
        staging.stage(copy_live=False)
        with staging.transaction():
            staging.insert_document({"id": "kept", "source": "kept.txt"})
            kept = staging.insert_chunk(chunk("kept"))
            staging.insert_figures([{"chunk_id": kept, "doc_id": "kept", "text": "5%"}])
        with pytest.raises(RuntimeError), staging.transaction():
            staging.insert_document({"id": "failed", "source": "failed.txt"})
            failed = staging.insert_chunk(chunk("failed"))
            staging.insert_figures([{"chunk_id": failed, "doc_id": "failed", "text": "5%"}])
            raise RuntimeError("the embedding of this document failed")
        assert staging.has_document("kept") and not staging.has_document("failed")
        rows = staging._query("SELECT doc_id FROM chunks ORDER BY id")  # sends the buffer first
        figures = staging._query("SELECT doc_id FROM figures")
        staging.discard()
    assert rows == [("kept",)] and figures == [("kept",)]
