"""The embedding model through PyTorch: sentence-transformers for ingest batches, the bare
transformer for small inputs. Both imported and loaded on first use, then reused."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from bot.embedding.base import (
    LEAN_MAX_TEXTS,
    Progress,
    Spans,
    TokenEncoder,
    encode_batched,
    hidden_size,
    local_model_dir,
    normalise,
    offline_environment,
    standard_layout,
)
from bot.errors import IndexMismatch

log = logging.getLogger(__name__)


class SentenceTransformerEmbedder:
    """A sentence-transformers model, imported and loaded on first use, then reused.

    Importing sentence-transformers costs seconds (it pulls in scikit-learn and more). So small
    inputs (questions, highlight candidates) and span vectors take a lean path when the model
    has the standard layout of Transformer -> mean pooling -> Normalize: the same model run
    through `transformers` directly (`TorchEncoder`), which is exactly what sentence-transformers
    computes for that layout (tests/test_embedding.py compares them). Other ingest batches go
    through sentence-transformers.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._model: Any = None
        self._lean: TorchEncoder | bool | None = None
        self._lock = threading.Lock()

    def _path(self) -> str:
        folder = local_model_dir(self.name)
        return str(folder) if folder is not None else self.name

    def lean_encoder(self) -> TorchEncoder | None:
        """The bare-transformer encoder, or None for models without the standard layout."""
        with self._lock:
            if self._lean is None:
                path = Path(self._path())
                max_len = standard_layout(path)
                self._lean = TorchEncoder(path, max_len) if max_len else False
        return self._lean if not isinstance(self._lean, bool) else None

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                offline_environment()
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                log.info("loading embedding model %s", self.name)
                try:
                    self._model = SentenceTransformer(self._path(), device="cpu")
                except OSError as exc:
                    raise IndexMismatch(
                        f"Cannot load the embedding model {self.name!r} offline: {exc}"
                    ) from exc
        return self._model

    @property
    def dimension(self) -> int:
        folder = local_model_dir(self.name) if self._model is None else None
        if folder is not None and standard_layout(folder):
            return hidden_size(folder)
        model = self._load()
        get_dim = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        return int(get_dim())

    def encode(
        self, texts: list[str], *, batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray:
        if 0 < len(texts) <= LEAN_MAX_TEXTS and self._model is None:
            lean = self.lean_encoder()
            if lean is not None:
                return lean.encode(texts)
        model = self._load()
        # sentence-transformers sorts by length only within one call, and one call is one step
        # of progress: `encode_batched` sorts all texts once and hands it steps of 4 batches.
        return normalise(
            encode_batched(
                texts,
                batch=lambda part: model.encode(
                    part,
                    batch_size=batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                ),
                dimension=self.dimension,
                batch_size=batch_size * 4,
                progress=progress,
                report_every=1,
            )
        )

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
        lean = self.lean_encoder()
        if lean is None:
            return self.encode(texts, batch_size=batch_size, progress=progress), [None] * len(texts)
        vecs, parts = lean.encode_spans(texts, spans, batch_size=batch_size, progress=progress)
        return vecs, list(parts)


class TorchEncoder(TokenEncoder):
    """The transformer through `transformers` (token vectors out), pooled as every backend."""

    def __init__(self, path: Path, max_len: int) -> None:
        offline_environment()
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self._torch = torch
        self.path = path
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        self.model = AutoModel.from_pretrained(str(path)).eval()
        self.max_len = max_len
        self.dimension = int(self.model.config.hidden_size)
        self._lock = threading.Lock()

    def forward(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        batch = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_len,
            return_tensors="pt",
            return_offsets_mapping=True,
        )
        offsets = batch.pop("offset_mapping").numpy()
        with self._lock, self._torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
        return hidden.numpy(), batch["attention_mask"].numpy(), offsets
