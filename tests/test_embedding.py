import numpy as np
import pytest

from bot.embedding import (
    HashEmbedder,
    SentenceTransformerEmbedder,
    _lean_layout,
    bundled_model_path,
)


def test_hash_embedder_is_deterministic_and_normalised():
    e = HashEmbedder()
    a, b = e.encode(["Córdoba GPUs", "cordoba gpus"]), e.encode(["Córdoba GPUs"])
    assert np.allclose(a[0], a[1]) and np.allclose(a[0], b[0])
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)


def test_bundled_model_has_the_lean_layout():
    assert _lean_layout(bundled_model_path()) == 256


def test_other_layouts_do_not_take_the_lean_path(tmp_path):
    (tmp_path / "modules.json").write_text('[{"type": "x.Transformer", "path": ""}]')
    assert _lean_layout(tmp_path) is None


@pytest.mark.e2e
def test_lean_path_gives_sentence_transformers_vectors():
    texts = [
        "How many GPUs does the Córdoba lab have?",
        "¿Cuántas GPU tiene el laboratorio?",
        "A much longer sentence " * 80,  # truncated at 256 word pieces on both paths
        "x",
    ]
    lean = SentenceTransformerEmbedder("all-MiniLM-L6-v2").encode(texts)
    full = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    reference = full.encode(texts * 10)[: len(texts)]  # > LEAN_MAX_TEXTS: sentence-transformers
    assert full._model is not None
    assert lean.shape == reference.shape == (4, 384)
    assert np.abs(lean - reference).max() < 1e-5
