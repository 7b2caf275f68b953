"""A deterministic fake embedder: no model, instant, for unit tests (llm's `EmbedDemo`)."""

from __future__ import annotations

import zlib
from itertools import pairwise

import numpy as np

from bot.embedding.base import Progress, Spans, normalise
from bot.text import words


class HashEmbedder:
    """Deterministic bag-of-words feature hashing.

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
