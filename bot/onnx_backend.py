"""The embedding model through onnxruntime: exported once, optionally int8-quantised.

Select it with a model name ending in `+onnx-fp32` or `+onnx-int8` (`REPORTBOT_MODEL`). The
names differ from the PyTorch one on purpose: the index records the model name, so vectors of
different backends never mix. Needs `pip install 'reportbot[onnx]'`.

The graph outputs the token embeddings (last_hidden_state) and pooling happens here in numpy,
so sentence vectors can be pooled from a chunk's own forward pass, as `SentenceTransformerEmbedder`
does. Only models with the Transformer -> mean pooling -> Normalize layout are supported.

On first use the model is exported with torch (fp32), and quantised with onnxruntime for int8;
the files are cached under ~/.cache/reportbot/onnx/<key>/, the key taken from the model files'
hash and the variant. After that no torch import happens on this path.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import warnings
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.config import user_cache_dir
from bot.embedding import (
    BUNDLED_ALIASES,
    Progress,
    Spans,
    _lean_layout,
    bundled_model_path,
    encode_spans_batched,
    normalise,
    pool_spans,
)
from bot.errors import IndexMismatch

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

SUFFIX = "+onnx-"
VARIANTS = ("fp32", "int8")
EXPORT_VERSION = 2  # bump when the exported graph or the quantisation settings change
INSTALL_HINT = "pip install 'reportbot[onnx]'"


def default_cache_root() -> Path:
    return user_cache_dir("onnx", "REPORTBOT_ONNX_CACHE")


def model_hash(model_dir: Path) -> str:
    """sha256 over every file of the model folder: relative path and content."""
    digest = hashlib.sha256()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(model_dir)).encode() + b"\0")
        with path.open("rb") as handle:
            for block in iter(partial(handle.read, 1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def onnx_file(model_dir: Path, variant: str, cache_root: Path | None = None) -> Path:
    """The cached ONNX file of the model in this variant, exported first if it is missing.

    A file lock keeps two processes from exporting at once; each file is written under a
    temporary name and renamed into place, so a killed export leaves no half-written model.
    """
    from filelock import FileLock

    if variant not in VARIANTS:
        raise ValueError(f"unknown ONNX variant {variant!r}")
    root = Path(cache_root) if cache_root else default_cache_root()
    key = hashlib.sha256(
        f"{model_hash(model_dir)}:{variant}:{EXPORT_VERSION}".encode()
    ).hexdigest()[:16]
    folder = root / f"{key}-{variant}"
    target = folder / "model.onnx"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / "export.lock")):
        if target.is_file():  # another process exported it while we waited
            return target
        tmp = folder / f"model.onnx.{os.getpid()}.tmp"
        try:
            if variant == "fp32":
                log.info("exporting %s to ONNX (once) in %s", model_dir.name, folder)
                _export_fp32(model_dir, tmp)
            else:
                fp32 = onnx_file(model_dir, "fp32", root)
                log.info("quantising %s to int8 (once) in %s", fp32, folder)
                _quantise_int8(fp32, tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return target


def _export_fp32(model_dir: Path, dest: Path) -> None:
    """The transformer alone, token embeddings out, dynamic batch and sequence axes."""
    _require("onnx")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModel.from_pretrained(str(model_dir)).eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = tokenizer(["a short one", "and a longer sentence"], padding=True, return_tensors="pt")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about Python control flow
        torch.onnx.export(
            TokenEmbeddings(model).eval(),
            tuple(sample[n] for n in names),
            str(dest),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )


def _quantise_int8(fp32: Path, dest: Path) -> None:
    """Dynamic quantisation: int8 weights, one scale per output channel, activations quantised
    on the fly. Per channel, not per tensor: on 600 SciFact chunks the cosine to the PyTorch
    vectors rose from mean 0.948 / min 0.908 to 0.994 / 0.987 at the same speed and size."""
    _require("onnx")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()  # onnxruntime advises pre-processing through the root logger
    quiet = _DropRecords("pre-processing before quantization")
    root.addFilter(quiet)
    try:
        quantize_dynamic(str(fp32), str(dest), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.removeFilter(quiet)


class _DropRecords(logging.Filter):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in record.getMessage()


def _require(module: str) -> None:
    try:
        __import__(module)
    except ImportError as exc:
        raise IndexMismatch(
            f"The ONNX backend needs {module}, which is not installed: run {INSTALL_HINT}."
        ) from exc


class OnnxEmbedder:
    """Transformer (onnxruntime) -> attention-masked mean pooling -> L2 normalisation (numpy).

    The same interface and the same vectors (fp32, to ~1e-5) as `SentenceTransformerEmbedder`.
    The export, the session and the tokenizer load on first use, then are reused.
    """

    def __init__(self, base: str, variant: str, *, cache_root: Path | None = None) -> None:
        _require("onnxruntime")
        if variant not in VARIANTS:
            raise IndexMismatch(
                f"Unknown ONNX variant {variant!r} in the model name; use "
                f"{base}{SUFFIX}int8 or {base}{SUFFIX}fp32."
            )
        self.name = f"{base}{SUFFIX}{variant}"
        self.variant = variant
        self.model_dir = _model_dir(base)
        max_len = _lean_layout(self.model_dir)
        if max_len is None:
            raise IndexMismatch(
                f"The ONNX backend supports only Transformer -> mean pooling -> Normalize "
                f"models, and {base!r} is not one; use the model name without {SUFFIX}{variant}."
            )
        self.max_len = max_len
        self._dimension = int(
            json.loads((self.model_dir / "config.json").read_text())["hidden_size"]
        )
        self._cache_root = cache_root
        self._session = None
        self._tokenizer: Tokenizer | None = None
        self._inputs: set[str] = set()
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return self._dimension

    def _load(self):
        with self._lock:
            if self._session is None:
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                import onnxruntime as ort
                from tokenizers import Tokenizer

                path = onnx_file(self.model_dir, self.variant, self._cache_root)
                tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
                # tokenizer.json may carry its own fixed padding and truncation: use the model's.
                tokenizer.enable_truncation(self.max_len)
                tokenizer.enable_padding()
                options = ort.SessionOptions()
                options.intra_op_num_threads = os.cpu_count() or 1
                log.info("loading ONNX model %s from %s", self.name, path)
                session = ort.InferenceSession(
                    str(path), options, providers=["CPUExecutionProvider"]
                )
                self._inputs = {i.name for i in session.get_inputs()}
                self._tokenizer, self._session = tokenizer, session
        return self._session, self._tokenizer

    def _forward(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Token embeddings, attention mask and character offsets of one padded batch."""
        session, tokenizer = self._load()
        encodings = tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {
            "input_ids": ids,
            "attention_mask": mask,
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        hidden = session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        offsets = np.array([e.offsets for e in encodings], dtype=np.int64).reshape(
            len(texts), -1, 2
        )
        return hidden, mask, offsets

    @staticmethod
    def _pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        weights = mask[..., None].astype(np.float32)
        return (hidden * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        hidden, mask, _ = self._forward(texts)
        return normalise(self._pool(hidden, mask))

    def encode(
        self, texts: list[str], *, batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # One global sort by length, so batches carry the least padding; then restore the order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        step = max(batch_size, 1)
        for i in range(0, len(order), step):
            part = order[i : i + step]
            out[part] = self._encode_batch([texts[j] for j in part])
            if progress and (i // step % 4 == 3 or i + step >= len(order)):
                progress(min(i + step, len(texts)), len(texts))
        return out

    def encode_spans(
        self,
        texts: list[str],
        spans: list[Spans],
        *,
        batch_size: int = 64,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray | None]]:
        """Text vectors, and for each text its spans' vectors: the mean of the contextual token
        vectors that overlap the span, normalised. Spans past the maximum length have no tokens
        of their own and are encoded alone, as `SentenceTransformerEmbedder.encode_spans` does."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        return encode_spans_batched(
            texts,
            spans,
            batch=self._encode_spans_batch,
            alone=self._encode_batch,
            dimension=self.dimension,
            batch_size=batch_size,
            progress=progress,
        )

    def _encode_spans_batch(
        self, texts: list[str], spans: list[Spans]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        hidden, mask, offsets = self._forward(texts)
        parts = [pool_spans(hidden[row], offsets[row], sp) for row, sp in enumerate(spans)]
        return normalise(self._pool(hidden, mask)), parts


def _model_dir(base: str) -> Path:
    if base.lower() in BUNDLED_ALIASES:
        return bundled_model_path()
    path = Path(base)
    if not path.is_dir():
        raise IndexMismatch(
            f"The ONNX backend needs the bundled model or a local model folder, and {base!r} "
            "is neither."
        )
    return path
