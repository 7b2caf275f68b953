"""The default embedder: PyTorch for ingest, its ONNX fp32 export for questions.

A cold `reportbot ask` used to spend nearly all of its seconds importing torch and
transformers to encode one question. Here questions (every `encode`) go through the model's
ONNX export with onnxruntime and `tokenizers`, which give the PyTorch vectors to ~1e-6, so one
name (the index records it) covers both and existing indexes keep working. Ingest
(`encode_spans`) keeps the PyTorch path, and since it has torch loaded anyway, it makes the
export once when it is missing.

The first questions of a process use a session that opens in ~0.1 s; from the
QUICK_START_CALLS-th on, one that is slower to open and faster per question (a long-running
bot, `ask -` over many lines, an evaluation).

A question asked before any export exists falls back to PyTorch, with a log line, and makes the
export then (once, under a file lock), so only that first start is slow.
`REPORTBOT_QUERY_ENCODER=torch` keeps questions on PyTorch (to compare, or to work around a
broken onnxruntime).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.embedding.base import Progress, Spans, hidden_size, standard_layout
from bot.embedding.pytorch import SentenceTransformerEmbedder
from bot.errors import IndexMismatch

if TYPE_CHECKING:
    from bot.embedding.onnx_backend import OnnxEncoder

log = logging.getLogger(__name__)

QUERY_ENCODER_ENV = "REPORTBOT_QUERY_ENCODER"  # "onnx" (the default) or "torch"
# The first questions go through a session that opens fast (no weight pre-packing: ~0.15 s less
# to open, ~50% slower per question); a process that keeps asking (the bot, `ask -`, eval)
# gets the faster session on this call.
QUICK_START_CALLS = 16


class DualEmbedder:
    """One model, two runtimes: PyTorch (`pytorch.SentenceTransformerEmbedder`) for ingest and
    its ONNX fp32 export (`onnx_backend.OnnxEncoder`) for questions, loaded on first use."""

    def __init__(self, name: str, model_dir: Path, *, cache_root: Path | None = None) -> None:
        max_len = standard_layout(model_dir)
        if max_len is None:
            raise ValueError(f"{model_dir} does not have the Transformer -> mean pooling layout")
        self.name = name
        self.model_dir = model_dir
        self.max_len = max_len
        self.torch = SentenceTransformerEmbedder(name)
        self._dimension = hidden_size(model_dir)
        self._cache_root = cache_root
        self._query: OnnxEncoder | bool | None = None  # False: questions take PyTorch
        self._export_failed = False
        self._calls = 0
        self._settle_failed = False
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return self._dimension

    def query_encoder(self) -> OnnxEncoder | None:
        """The ONNX encoder for questions, or None when they take PyTorch (forced, export
        missing, or onnxruntime unusable: each said once in the log)."""
        with self._lock:
            if self._query is None:
                self._query = self._open_query_encoder() or False
        return self._query if not isinstance(self._query, bool) else None

    def _open_query_encoder(self) -> OnnxEncoder | None:
        if _questions_on_torch():
            log.info("%s=torch: questions are encoded with PyTorch", QUERY_ENCODER_ENV)
            return None
        try:
            from bot.embedding.onnx_backend import OnnxEncoder, find_onnx

            path = find_onnx(self.model_dir, "fp32", self._cache_root)
            if path is None:
                log.warning(
                    "no ONNX export of %s yet: encoding with PyTorch (slower to start) and "
                    "exporting it once, so later starts skip PyTorch",
                    self.name,
                )
                return None
            return OnnxEncoder(path, self.model_dir, self.max_len, quick_start=True)
        except (ImportError, OSError, RuntimeError, IndexMismatch) as exc:  # missing or damaged
            log.warning("the ONNX query encoder is unavailable (%s): encoding with PyTorch", exc)
            return None

    def encode(
        self, texts: list[str], *, batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray:
        query = self.query_encoder()
        if query is not None:
            self._calls += 1
            if query.quick_start and self._calls >= QUICK_START_CALLS and not self._settle_failed:
                query = self._settle(query)
            return query.encode(texts, batch_size=batch_size, progress=progress)
        vecs = self.torch.encode(texts, batch_size=batch_size, progress=progress)
        self.export()
        return vecs

    def _settle(self, quick: OnnxEncoder) -> OnnxEncoder:
        """The query session of a long-running process: pre-packed weights, full graph
        optimisation; the quick one stays when it cannot be opened."""
        from bot.embedding.onnx_backend import OnnxEncoder

        with self._lock:  # one thread opens it; the others wait, then use it
            if self._query is not quick:
                return self._query if isinstance(self._query, OnnxEncoder) else quick
            try:
                self._query = OnnxEncoder(quick.path, self.model_dir, self.max_len)
            except (OSError, RuntimeError, IndexMismatch) as exc:
                log.warning("keeping the quick-start ONNX session (%s)", exc)
                self._settle_failed = True  # not retried per question
                return quick
            return self._query

    def encode_spans(
        self,
        texts: list[str],
        spans: list[Spans],
        *,
        batch_size: int = 64,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray | None]]:
        """Ingest: PyTorch text and span vectors, then the export if it is missing."""
        out = self.torch.encode_spans(texts, spans, batch_size=batch_size, progress=progress)
        self.export()
        return out

    def export(self) -> Path | None:
        """Make the ONNX export if it is missing, while torch is loaded anyway; a failure (no
        `onnx` package, a read-only cache) is logged and questions keep taking PyTorch."""
        if self._export_failed or _questions_on_torch():
            return None
        try:
            from bot.embedding.onnx_backend import find_onnx, onnx_file

            if (path := find_onnx(self.model_dir, "fp32", self._cache_root)) is not None:
                return path
            lean = self.torch.lean_encoder()
            return onnx_file(
                self.model_dir,
                "fp32",
                self._cache_root,
                torch_model=lean.model if lean is not None else None,
            )
        except (ImportError, OSError, RuntimeError, IndexMismatch) as exc:
            self._export_failed = True  # said once, not retried for every question
            log.warning("could not export %s to ONNX (%s): questions take PyTorch", self.name, exc)
            return None


def _questions_on_torch() -> bool:
    return os.environ.get(QUERY_ENCODER_ENV, "onnx").strip().lower() == "torch"
