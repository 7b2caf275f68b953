"""The embedding package: shared helpers (fast), then the real model's runtimes side by side."""

import logging
import os
import subprocess
import sys

import numpy as np
import pytest

from bot.embedding import HashEmbedder, get_embedder, vector_space
from bot.embedding.base import (
    bundled_model_path,
    encode_batched,
    mean_pool,
    sorted_batches,
    standard_layout,
)
from bot.embedding.pytorch import SentenceTransformerEmbedder
from tests.conftest import REAL_MODEL, ROOT

QUESTIONS = [
    "How many GPUs does the Córdoba lab have?",
    "¿Cuántas GPU tiene el laboratorio?",
    "What was the 2024 revenue of knowledge-based services, in USD billion?",
    "¿Qué dijo el informe sobre el empleo en el sector de software en 2023?",
    "x",
    "A much longer sentence " * 80,  # truncated at 256 word pieces on every path
]


def test_hash_embedder_is_deterministic_and_normalised():
    e = HashEmbedder()
    a, b = e.encode(["Córdoba GPUs", "cordoba gpus"]), e.encode(["Córdoba GPUs"])
    assert np.allclose(a[0], a[1]) and np.allclose(a[0], b[0])
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)


def test_names_select_a_backend_without_loading_a_model():
    from bot.embedding.dual import DualEmbedder

    assert isinstance(get_embedder("hash-16"), HashEmbedder) and get_embedder("hash-16").dimension
    assert isinstance(get_embedder(REAL_MODEL), DualEmbedder)
    fresh = DualEmbedder(REAL_MODEL, bundled_model_path())
    assert fresh.dimension == 384 and fresh.max_len == 256
    assert fresh.torch._model is None and fresh.torch._lean is None  # nothing loaded yet


def test_fp32_onnx_shares_the_pytorch_vectors_and_int8_does_not():
    assert vector_space(f"{REAL_MODEL}+onnx-fp32") == vector_space(REAL_MODEL) == REAL_MODEL
    assert vector_space(f"{REAL_MODEL}+onnx-int8") == f"{REAL_MODEL}+onnx-int8"


def test_batches_are_sorted_by_length_and_results_keep_the_input_order():
    texts = ["ccc", "a", "bbbbb", "dd", "e"]
    assert list(sorted_batches(texts, 2)) == [[1, 4], [3, 0], [2]]
    seen: list[tuple[int, int]] = []
    out = encode_batched(
        texts,
        batch=lambda part: np.array([[len(t), 0.0] for t in part]),
        dimension=2,
        batch_size=2,
        progress=lambda done, total: seen.append((done, total)),
        report_every=2,
    )
    assert out[:, 0].tolist() == [3, 1, 5, 2, 1]
    assert seen == [(4, 5), (5, 5)]


def test_mean_pooling_skips_padding():
    hidden = np.array([[[1.0, 0.0], [3.0, 2.0], [100.0, 100.0]]], dtype=np.float32)
    assert mean_pool(hidden, np.array([[1, 1, 0]])).tolist() == [[2.0, 1.0]]


def test_bundled_model_has_the_standard_layout():
    assert standard_layout(bundled_model_path()) == 256


def test_other_layouts_do_not_take_the_lean_path(tmp_path):
    (tmp_path / "modules.json").write_text('[{"type": "x.Transformer", "path": ""}]')
    assert standard_layout(tmp_path) is None


@pytest.fixture(scope="module")
def torch_reference():
    """Today's query vectors: the questions through sentence-transformers."""
    full = SentenceTransformerEmbedder(REAL_MODEL)
    reference = full.encode(QUESTIONS * 6)[: len(QUESTIONS)]  # > LEAN_MAX_TEXTS
    assert full._model is not None  # sentence-transformers itself, not the lean path
    return reference


@pytest.mark.e2e
def test_lean_path_gives_sentence_transformers_vectors(torch_reference):
    lean = SentenceTransformerEmbedder(REAL_MODEL).encode(QUESTIONS)
    assert lean.shape == torch_reference.shape == (len(QUESTIONS), 384)
    assert np.abs(lean - torch_reference).max() < 1e-5


@pytest.mark.e2e
def test_default_model_encodes_questions_through_onnx_with_the_pytorch_vectors(
    real_embedder, torch_reference
):
    from bot.embedding.dual import QUICK_START_CALLS, DualEmbedder

    assert real_embedder.export() is not None  # what ingest does once
    fresh = DualEmbedder(REAL_MODEL, bundled_model_path())  # as a new process finds it
    vecs = fresh.encode(QUESTIONS)
    assert fresh.query_encoder() is not None and fresh.torch._lean is None
    cosines = (vecs * torch_reference).sum(1)
    assert cosines.min() >= 0.99999, cosines
    quick = fresh.query_encoder()
    for _ in range(QUICK_START_CALLS):  # a process that keeps asking gets the faster session
        fresh.encode(QUESTIONS[:1])
    assert fresh.query_encoder() is not quick
    settled = fresh.encode(QUESTIONS)
    assert (settled * torch_reference).sum(1).min() >= 0.99999


@pytest.mark.e2e
def test_without_an_export_questions_fall_back_to_pytorch_with_a_log_line(
    tmp_path, torch_reference, caplog
):
    from bot.embedding.dual import DualEmbedder

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # the export cannot be written here
    embedder = DualEmbedder(REAL_MODEL, bundled_model_path(), cache_root=blocked)
    with caplog.at_level(logging.WARNING, logger="bot.embedding"):
        vecs = embedder.encode(QUESTIONS)
        again = embedder.encode(QUESTIONS[:1])
    assert np.abs(vecs - torch_reference).max() < 1e-5
    assert np.allclose(again[0], vecs[0], atol=1e-6)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("no ONNX export" in m for m in messages) == 1
    assert sum("could not export" in m for m in messages) == 1  # said once, not per question


@pytest.mark.e2e
def test_a_cold_ask_imports_neither_torch_nor_transformers(real_index_dir, real_embedder):
    assert real_embedder.export() is not None
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('HEAVY', sorted(m for m in ('torch', 'transformers', "
        "'sentence_transformers') if m in sys.modules), file=sys.stderr))\n"
        "sys.argv = ['reportbot', 'ask', '--json', 'How many GPUs does the Córdoba lab have?']\n"
        "from bot.cli import main\n"
        "main()\n"
    )
    env = {**os.environ, "REPORTBOT_INDEX_DIR": str(real_index_dir), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert '"status": "found"' in done.stdout
    assert "HEAVY []" in done.stderr, done.stderr


@pytest.mark.e2e
def test_ingest_vectors_match_sentence_transformers_and_sentences_come_from_the_same_pass():
    from bot.text import highlight_spans

    texts = [
        "The lab in Córdoba runs on twenty GPUs. Salesforce pledged $500 million to Argentina.",
        "One leading AI lab in Córdoba runs its cluster on roughly 20 A100-level GPUs.",
        "Filler words go on and on. " * 60 + "This last sentence is past 256 word pieces.",
    ]
    spans = [highlight_spans(t) for t in texts]
    embedder = SentenceTransformerEmbedder(REAL_MODEL)
    vecs, parts = embedder.encode_spans(texts, spans, batch_size=2)
    reference = SentenceTransformerEmbedder(REAL_MODEL).encode(texts * 12)[:3]
    assert np.abs(vecs - reference).max() < 1e-5  # the index vectors are unchanged
    assert [len(p) for p in parts] == [len(s) for s in spans]
    for p in parts:
        assert p is not None
        assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-5)
    # A one-sentence text: its sentence vector is pooled from nearly the same tokens.
    assert float(parts[1][0] @ vecs[1]) > 0.95
    # Each sentence is closer to itself encoded alone than to its neighbour alone.
    alone = embedder.encode([texts[0][slice(*s)] for s in spans[0]])
    sims = parts[0] @ alone.T
    assert sims[0, 0] > sims[0, 1] and sims[1, 1] > sims[1, 0]
    # The last sentence lies past the model's 256 word pieces: it is encoded on its own.
    last = embedder.encode([texts[2][slice(*spans[2][-1])]])[0]
    assert float(parts[2][-1] @ last) > 0.999
