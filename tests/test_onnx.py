"""The onnxruntime backend (bot/embedding/onnx_backend.py) against the PyTorch one."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from bot.embedding import get_embedder
from bot.embedding.pytorch import SentenceTransformerEmbedder
from bot.errors import IndexMismatch
from tests.conftest import REAL_MODEL

SENTENCES = [
    "How many GPUs does the Córdoba lab have?",
    "¿Cuántas GPU tiene el laboratorio?",
    "One leading AI lab in Córdoba runs its cluster on roughly 20 A100-level GPUs.",
    "Knowledge-based services exports reached USD 9.685 billion in 2024.",
    "Vitamin D supplementation lowers the risk of fractures in older adults.",
]
EDGE_CASES = ["x", "", "A much longer sentence " * 80]  # the last is cut at 256 word pieces


def test_missing_onnxruntime_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` fails
    get_embedder.cache_clear()
    try:
        with pytest.raises(IndexMismatch) as caught:
            get_embedder(f"{REAL_MODEL}+onnx-int8")
    finally:
        get_embedder.cache_clear()
    message = str(caught.value)
    assert "pip install onnxruntime onnx" in message
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence


def test_names_select_the_onnx_embedder_without_loading_it():
    pytest.importorskip("onnxruntime")
    from bot.embedding.onnx_backend import OnnxEmbedder

    for variant in ("int8", "fp32"):
        embedder = get_embedder(f"{REAL_MODEL}+onnx-{variant}")
        assert isinstance(embedder, OnnxEmbedder)
        assert embedder.name == f"{REAL_MODEL}+onnx-{variant}"
        assert embedder.dimension == 384 and embedder.max_len == 256
        assert embedder.encoder is None  # nothing exported or loaded yet
    with pytest.raises(IndexMismatch, match="Unknown ONNX variant"):
        get_embedder(f"{REAL_MODEL}+onnx-int4")


@pytest.fixture(scope="module")
def torch_embedder():
    """The PyTorch path (sentence-transformers and the bare transformer), as before ONNX."""
    return SentenceTransformerEmbedder(REAL_MODEL)


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def fp32(onnx_cache):
    from bot.embedding.onnx_backend import OnnxEmbedder

    return OnnxEmbedder(REAL_MODEL, "fp32", cache_root=onnx_cache)


@pytest.fixture(scope="module")
def int8(onnx_cache):
    from bot.embedding.onnx_backend import OnnxEmbedder

    return OnnxEmbedder(REAL_MODEL, "int8", cache_root=onnx_cache)


@pytest.mark.e2e
def test_fp32_gives_the_torch_vectors(fp32, torch_embedder):
    texts = SENTENCES + EDGE_CASES
    vecs = fp32.encode(texts, batch_size=3)
    reference = torch_embedder.encode(texts * 5)[: len(texts)]  # sentence-transformers
    assert vecs.shape == reference.shape == (len(texts), 384) and vecs.dtype == np.float32
    assert np.abs(vecs - reference).max() < 1e-4


@pytest.mark.e2e
def test_int8_stays_close_to_torch(int8, torch_embedder):
    texts = SENTENCES + EDGE_CASES
    cosines = (int8.encode(texts) * torch_embedder.encode(texts)).sum(1)
    assert cosines.min() > 0.9, cosines  # 0.987 at the lowest over 816 SciFact chunks


@pytest.mark.e2e
def test_export_is_cached_and_leaves_no_temporary_files(fp32, int8, onnx_cache):
    from bot.embedding.onnx_backend import OnnxEmbedder, onnx_file

    int8.encode(["warm"])  # exports fp32, then quantises it
    files = sorted(
        str(p.relative_to(onnx_cache)).split("-", 1)[1]
        for p in onnx_cache.rglob("*")
        if p.is_file() and p.suffix != ".lock"
    )  # the fp32 weights beside their graph, int8 in one file, no temporary files
    assert files == ["fp32/model.onnx", "fp32/model.onnx.data", "int8/model.onnx"]
    path = onnx_file(int8.model_dir, "int8", onnx_cache)
    before = path.stat().st_mtime_ns
    again = OnnxEmbedder(REAL_MODEL, "int8", cache_root=onnx_cache)
    assert np.allclose(again.encode(SENTENCES[:2]), int8.encode(SENTENCES[:2]))
    assert path.stat().st_mtime_ns == before


@pytest.mark.e2e
def test_span_vectors_match_torch_and_long_spans_are_encoded_alone(fp32, torch_embedder):
    from bot.text import highlight_spans

    texts = [
        "The lab in Córdoba runs on twenty GPUs. Salesforce pledged $500 million to Argentina.",
        SENTENCES[2],
        "Filler words go on and on. " * 60 + "This last sentence is past 256 word pieces.",
    ]
    spans = [highlight_spans(t) for t in texts]
    vecs, parts = fp32.encode_spans(texts, spans, batch_size=2)
    torch_vecs, torch_parts = torch_embedder.encode_spans(texts, spans, batch_size=2)
    assert vecs.shape == (3, 384) and [len(p) for p in parts] == [len(s) for s in spans]
    assert np.abs(vecs - torch_vecs).max() < 1e-4
    for mine, theirs in zip(parts, torch_parts, strict=True):
        assert mine.dtype == np.float32
        assert np.allclose(np.linalg.norm(mine, axis=1), 1.0, atol=1e-5)
        assert np.abs(mine - theirs).max() < 1e-4
    last = fp32.encode([texts[2][slice(*spans[2][-1])]])[0]
    assert float(parts[2][-1] @ last) > 0.999  # past 256 word pieces: encoded on its own


@pytest.mark.e2e
def test_an_int8_index_refuses_the_torch_model(int8, real_embedder, tmp_path):
    from bot.answering import search
    from bot.index import ReportIndex
    from bot.ingest import ingest_raw
    from bot.models import DocumentMeta, RawDocument

    docs = [
        RawDocument(
            source=f"{name}.txt",
            format="txt",
            pages=[text],
            content_hash=name,
            doc_id=name,
            meta=DocumentMeta(title=name),
        )
        for name, text in (("gpus", SENTENCES[2]), ("exports", SENTENCES[3]))
    ]
    ingest_raw(tmp_path, docs, embedder=int8)
    index = ReportIndex.open(tmp_path, int8)
    assert index.meta["model"] == f"{REAL_MODEL}+onnx-int8"
    hits = search(index, "GPUs in the Córdoba lab", limit=1, mode="dense")
    assert hits[0].doc_id == "gpus"
    with pytest.raises(IndexMismatch, match=r"onnx-int8"):
        ReportIndex.open(tmp_path, real_embedder)


def test_a_damaged_export_is_one_sentence_and_the_default_model_falls_back(tmp_path, caplog):
    pytest.importorskip("onnxruntime")
    from bot.embedding.base import bundled_model_path
    from bot.embedding.dual import DualEmbedder
    from bot.embedding.onnx_backend import MODEL_FILE, OnnxEmbedder, export_folder

    folder = export_folder(bundled_model_path(), "fp32", tmp_path)
    folder.mkdir(parents=True)
    (folder / MODEL_FILE).write_bytes(b"not a model")  # say, a disk that lost the file's data
    with pytest.raises(IndexMismatch) as caught:
        OnnxEmbedder(REAL_MODEL, "fp32", cache_root=tmp_path).encode(["q"])
    message = str(caught.value)
    assert str(folder) in message and message.count(". ") == 0 and message.endswith(".")
    dual = DualEmbedder(REAL_MODEL, bundled_model_path(), cache_root=tmp_path)
    assert dual.query_encoder() is None  # questions take PyTorch, nothing loaded yet
    assert "unavailable" in caplog.text and dual.torch._lean is None
