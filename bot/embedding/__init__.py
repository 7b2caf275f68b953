"""Embedders: one protocol and factory (`base`), backends that import only it.

    base.py          Embedder, get_embedder(), pooling, batching, the model layout
    pytorch.py       sentence-transformers / transformers (ingest; loaded on first use)
    onnx_backend.py  onnxruntime + tokenizers, and the once-only ONNX export
    dual.py          the default model: PyTorch for ingest, its ONNX export for questions
    fake.py          HashEmbedder, the instant deterministic fake for unit tests

Importing this package imports neither torch nor onnxruntime.
"""

from bot.embedding.base import (
    BUNDLED_ALIASES,
    LEAN_MAX_TEXTS,
    Embedder,
    Progress,
    Spans,
    bundled_model_path,
    encode_with_spans,
    get_embedder,
    normalise,
    vector_space,
)
from bot.embedding.fake import HashEmbedder

__all__ = [
    "BUNDLED_ALIASES",
    "LEAN_MAX_TEXTS",
    "Embedder",
    "HashEmbedder",
    "Progress",
    "Spans",
    "bundled_model_path",
    "encode_with_spans",
    "get_embedder",
    "normalise",
    "vector_space",
]
