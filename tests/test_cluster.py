"""Ingest on a real Ray cluster (started on loopback, once): the same index as in-process."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bot import index as idx
from bot import vectors
from bot.cli import cli
from bot.ingest import ingest

# Both xdist workers would otherwise start a cluster each (`make test` runs --dist loadgroup).
pytestmark = pytest.mark.xdist_group("ray")

FIXED = ("ingested_at",)  # the only column that differs between two ingests of the same files


@pytest.fixture(scope="session")
def ray_runner():
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray = pytest.importorskip("ray")  # in the dev extra; skipped only where it was removed
    from bot.cluster import RayRunner

    runner = RayRunner.connect("local", "hash", workers=2, num_cpus=2)
    yield runner
    ray.shutdown()


@pytest.fixture
def sources(corpus_copy: Path) -> Path:
    """The corpus plus a two-page PDF (its chunks get the document identity and sections)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for page in range(2):
        pdf.add_page()
        pdf.multi_cell(
            0,
            6,
            f"Annual report page {page + 1}. Revenue rose 12% to $4.5 million in 2023, "
            "while costs fell to 1,200 thousand dollars. " * 6,
        )
    pdf.output(str(corpus_copy / "annual-report.pdf"))
    return corpus_copy


def _rows(index_dir: Path, table: str, order: str) -> list[tuple]:
    db = sqlite3.connect(idx.generation_dir(index_dir) / idx.DB_NAME)
    db.row_factory = sqlite3.Row
    rows = db.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    db.close()
    return [tuple(v for k, v in zip(r.keys(), r, strict=True) if k not in FIXED) for r in rows]


def _vectors(index_dir: Path) -> tuple[list[int], np.ndarray]:
    ids = [r[0] for r in _rows(index_dir, "chunks", "id")]
    index = vectors.read(idx.generation_dir(index_dir) / idx.VECTORS_NAME)
    return ids, vectors.reconstruct(index, ids)


def test_ray_ingest_stores_what_the_in_process_ingest_stores(
    tmp_path, sources, hash_embedder, ray_runner
):
    local = ingest(tmp_path / "local", [sources], embedder=hash_embedder)
    events = []
    remote = ingest(
        tmp_path / "ray",
        [sources],
        embedder=hash_embedder,
        runner=ray_runner,
        progress=events.append,
    )
    assert sorted(remote.added) == sorted(local.added) and len(remote.added) == 3
    assert remote.chunks_embedded == local.chunks_embedded == remote.chunks_total
    for table, order in [
        ("documents", "id"),
        ("chunks", "id"),
        ("figures", "chunk_id, start"),
        ("sentence_vectors", "chunk_id"),
    ]:
        assert _rows(tmp_path / "ray", table, order) == _rows(tmp_path / "local", table, order)
    ids, vecs = _vectors(tmp_path / "ray")
    local_ids, local_vecs = _vectors(tmp_path / "local")
    assert ids == local_ids and np.array_equal(vecs, local_vecs)  # HashEmbedder: exactly
    assert idx.verify(tmp_path / "ray").ok
    # Progress as in-process: every document extracted, every chunk embedded, the index written.
    done = {e.phase: (e.done, e.total) for e in events if e.failed is None}
    assert done["extracting"] == (3, 3)
    assert done["embedding"] == (remote.chunks_total, remote.chunks_total)
    assert done["writing"] == (3, 3)


@pytest.mark.e2e
def test_ray_vectors_equal_in_process_ones_with_the_real_model(tmp_path, real_embedder, ray_runner):
    from bot.cluster import RayRunner
    from tests.conftest import REAL_MODEL

    doc = tmp_path / "docs" / "note.txt"
    doc.parent.mkdir()
    doc.write_text(
        "The lab in Córdoba has 48 GPUs.\n\nIt opened in 2021 with funding from the province. "
        "Its director said the cluster will double by 2026.\n\n" + "Another paragraph. " * 80
    )
    real = RayRunner(REAL_MODEL, workers=1)
    ingest(tmp_path / "local", [doc.parent], embedder=real_embedder)
    report = ingest(tmp_path / "ray", [doc.parent], embedder=real_embedder, runner=real)
    assert report.chunks_embedded > 1
    ids, vecs = _vectors(tmp_path / "ray")
    local_ids, local_vecs = _vectors(tmp_path / "local")
    assert ids == local_ids
    np.testing.assert_allclose(vecs, local_vecs, atol=1e-5)
    ray_sent = _rows(tmp_path / "ray", "sentence_vectors", "chunk_id")
    local_sent = _rows(tmp_path / "local", "sentence_vectors", "chunk_id")
    assert [r[0] for r in ray_sent] == [r[0] for r in local_sent]
    for (_, a), (_, b) in zip(ray_sent, local_sent, strict=True):
        np.testing.assert_allclose(
            np.frombuffer(a, np.float16), np.frombuffer(b, np.float16), atol=2e-3
        )


def test_ray_reingest_skips_unchanged_documents(tmp_path, corpus_copy, hash_embedder, ray_runner):
    index_dir = tmp_path / "index"
    first = ingest(index_dir, [corpus_copy], embedder=hash_embedder)  # a Ray build: test above
    generation = first.generation
    again = ingest(index_dir, [corpus_copy], embedder=hash_embedder, runner=ray_runner)
    assert sorted(again.unchanged) == sorted(first.added) and not again.changed
    assert again.chunks_embedded == 0 and again.generation == generation  # nothing published

    edited = next(corpus_copy.glob("techloy*.txt"))
    edited.write_text(
        edited.read_text().replace("roughly 20 A100-level GPUs", "roughly 35 H100 GPUs")
    )
    third = ingest(index_dir, [corpus_copy], embedder=hash_embedder, runner=ray_runner)
    assert third.updated == ["techloy-argentina-wants-to-be-an-ai-hub"]
    assert len(third.unchanged) == 1
    assert third.chunks_embedded == 1 and third.chunks_reused > 0  # only the changed chunk
    assert idx.verify(index_dir).ok


def test_an_unreadable_file_fails_with_the_same_sentence(
    tmp_path, corpus_copy, hash_embedder, ray_runner
):
    (corpus_copy / "broken.pdf").write_bytes(b"%PDF-1.7 this is not really a PDF")
    local = ingest(tmp_path / "local", [corpus_copy], embedder=hash_embedder)
    remote = ingest(tmp_path / "ray", [corpus_copy], embedder=hash_embedder, runner=ray_runner)
    assert len(remote.failed) == 1 and remote.failed == local.failed
    assert remote.failed[0][0].endswith("broken.pdf")
    assert sorted(remote.added) == sorted(local.added) and len(remote.added) == 2


def test_cli_ingest_on_ray(tmp_path, corpus_copy, ray_runner):
    env = {"REPORTBOT_MODEL": "hash", "REPORTBOT_INDEX_DIR": str(tmp_path / "index")}
    args = ["ingest", "--ray", "local", "--ray-workers", "2", "-q", str(corpus_copy)]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output


def test_without_ray_the_flag_says_how_to_install_it(tmp_path, corpus_copy, monkeypatch):
    for name in [m for m in sys.modules if m == "ray" or m.startswith("ray.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    env = {"REPORTBOT_MODEL": "hash", "REPORTBOT_INDEX_DIR": str(tmp_path / "index")}
    result = CliRunner().invoke(cli, ["ingest", "--ray", "local", str(corpus_copy)], env=env)
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: Ingest on a Ray cluster needs Ray: pip install 'reportbot[cluster]'."
    )
    assert not (tmp_path / "index").exists()


def test_a_failure_on_the_cluster_stops_the_ingest_and_keeps_the_live_index(
    tmp_path, corpus_copy, hash_embedder, ray_runner
):
    from bot.cluster import RayRunner
    from bot.errors import IngestError

    index_dir = tmp_path / "index"
    ingest(index_dir, [corpus_copy], embedder=hash_embedder)
    live = idx.current_generation(index_dir)
    (corpus_copy / "new.txt").write_text("A new report says exports grew 12% in 2025.")
    broken = RayRunner("/nonexistent/model", workers=1)  # every embedding actor fails to load it
    with pytest.raises(IngestError, match=r"^Ingest stopped: embedding on the Ray cluster failed"):
        ingest(index_dir, [corpus_copy], embedder=hash_embedder, runner=broken)
    assert idx.current_generation(index_dir) == live and idx.verify(index_dir).ok
    assert not list(index_dir.glob(".staging-*"))


def test_an_address_nothing_answers_at_is_refused_in_one_sentence(tmp_path, corpus_copy):
    import socket

    pytest.importorskip("ray")
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"REPORTBOT_MODEL": "hash", "REPORTBOT_INDEX_DIR": str(tmp_path / "index")}
    args = ["ingest", "--ray", f"127.0.0.1:{port}", str(corpus_copy)]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: Could not reach the Ray cluster at 127.0.0.1:{port} (")
    assert result.output.strip().endswith("check the address, or use --ray local.")
    assert len(result.output.strip().splitlines()) == 1
