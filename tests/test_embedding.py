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


@pytest.mark.e2e
def test_ingest_vectors_match_sentence_transformers_and_sentences_come_from_the_same_pass():
    from bot.text import highlight_spans

    texts = [
        "The lab in Córdoba runs on twenty GPUs. Salesforce pledged $500 million to Argentina.",
        "One leading AI lab in Córdoba runs its cluster on roughly 20 A100-level GPUs.",
        "Filler words go on and on. " * 60 + "This last sentence is past 256 word pieces.",
    ]
    spans = [highlight_spans(t) for t in texts]
    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    vecs, parts = embedder.encode_spans(texts, spans, batch_size=2)
    reference = SentenceTransformerEmbedder("all-MiniLM-L6-v2").encode(texts * 12)[:3]
    assert np.abs(vecs - reference).max() < 1e-5  # the index vectors are unchanged
    assert [len(p) for p in parts] == [len(s) for s in spans]
    for p in parts:
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
