"""The embedding model through onnxruntime and `tokenizers`: exported once, optionally int8.

Two uses. The default model encodes questions this way (bot/embedding/dual.py), so a cold
`reportbot ask` imports neither torch nor transformers. And a model name ending in `+onnx-fp32`
or `+onnx-int8` (`REPORTBOT_MODEL`) selects this backend for everything, ingest included. The
fp32 export gives the PyTorch vectors (to ~1e-6), so an index built by either is accepted by the
other; int8 vectors differ, and its name keeps an int8 index apart (`base.vector_space`).

The graph outputs the token embeddings (last_hidden_state) and pooling happens in numpy
(`base.TokenEncoder`), so sentence vectors can be pooled from a chunk's own forward pass, as
the PyTorch backend does. Only models with the Transformer -> mean pooling -> Normalize layout
are supported.

The export needs torch (and the `onnx` package): it happens once, at ingest (which loads torch
anyway) or on first need, under a file lock, and is cached under
~/.cache/reportbot/onnx/<key>-<variant>/ (`REPORTBOT_ONNX_CACHE`). The fp32 weights sit in a
file of their own beside the graph, which onnxruntime maps into memory instead of parsing them,
so a session opens in about 0.1 s instead of 0.6 s.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import user_cache_dir
from bot.embedding.base import (
    ONNX_SUFFIX,
    Progress,
    Spans,
    TokenEncoder,
    hidden_size,
    local_model_dir,
    offline_environment,
    standard_layout,
)
from bot.errors import IndexMismatch

log = logging.getLogger(__name__)

VARIANTS = ("fp32", "int8")
EXPORT_VERSION = 3  # bump when the exported graph, its file layout or the quantisation change
MODEL_FILE = "model.onnx"
WEIGHTS_FILE = "model.onnx.data"  # the fp32 weights, beside the graph (ONNX external data)
INSTALL_HINT = "pip install onnxruntime onnx"
_ORT_ERRORS = "onnxruntime.capi.onnxruntime_pybind11_state"  # the module of its exceptions


def default_cache_root() -> Path:
    return user_cache_dir("onnx", "REPORTBOT_ONNX_CACHE")


def model_signature(model_dir: Path) -> str:
    """A cheap fingerprint of a model folder: each file's relative path, size and mtime.

    Cheap on purpose (a dozen `stat` calls, no reading): it is computed on every cold start.
    A reinstalled model gets new mtimes, hence a fresh export, which is only slower, never wrong.
    """
    digest = hashlib.sha256(str(model_dir.resolve()).encode() + b"\0")
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(
            f"{path.relative_to(model_dir)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode()
        )
    return digest.hexdigest()


def export_folder(model_dir: Path, variant: str, cache_root: Path | None = None) -> Path:
    if variant not in VARIANTS:
        raise ValueError(f"unknown ONNX variant {variant!r}")
    root = Path(cache_root) if cache_root else default_cache_root()
    key = hashlib.sha256(
        f"{model_signature(model_dir)}:{variant}:{EXPORT_VERSION}".encode()
    ).hexdigest()[:16]
    return root / f"{key}-{variant}"


def find_onnx(model_dir: Path, variant: str, cache_root: Path | None = None) -> Path | None:
    """The cached ONNX graph of the model in this variant, or None when not exported yet."""
    target = export_folder(model_dir, variant, cache_root) / MODEL_FILE
    return target if target.is_file() else None


def onnx_file(
    model_dir: Path, variant: str, cache_root: Path | None = None, *, torch_model: Any = None
) -> Path:
    """The cached ONNX graph of the model in this variant, exported first if it is missing.

    A file lock keeps two processes from exporting at once; the files are written in a
    temporary folder and renamed into place, the graph last, so a killed export leaves no
    half-written model. `torch_model` is a loaded `transformers` model to export (else loaded).
    """
    from filelock import FileLock

    folder = export_folder(model_dir, variant, cache_root)
    target = folder / MODEL_FILE
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / "export.lock")):
        if target.is_file():  # another process exported it while we waited
            return target
        tmp = folder / f".tmp-{os.getpid()}"
        tmp.mkdir(exist_ok=True)
        try:
            if variant == "fp32":
                log.info("exporting %s to ONNX (once) in %s", model_dir.name, folder)
                _export_fp32(model_dir, tmp / MODEL_FILE, torch_model)
            else:
                fp32 = onnx_file(model_dir, "fp32", cache_root, torch_model=torch_model)
                log.info("quantising %s to int8 (once) in %s", fp32, folder)
                _quantise_int8(fp32, tmp / MODEL_FILE)
            if (tmp / WEIGHTS_FILE).is_file():
                os.replace(tmp / WEIGHTS_FILE, folder / WEIGHTS_FILE)
            os.replace(tmp / MODEL_FILE, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _export_fp32(model_dir: Path, dest: Path, torch_model: Any = None) -> None:
    """The transformer alone, token embeddings out, dynamic batch and sequence axes; the
    weights in `WEIGHTS_FILE` beside the graph."""
    _require("onnx")
    offline_environment()
    import onnx
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = torch_model if torch_model is not None else AutoModel.from_pretrained(str(model_dir))

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
    inline = dest.with_name("inline.onnx")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about Python control flow
        torch.onnx.export(
            TokenEmbeddings(model.eval()).eval(),
            tuple(sample[n] for n in names),
            str(inline),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )
    onnx.save_model(
        onnx.load(str(inline)),
        str(dest),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=WEIGHTS_FILE,
        size_threshold=1024,
    )
    shutil.copymode(inline, dest.with_name(WEIGHTS_FILE))  # onnx writes it owner-only
    inline.unlink()


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


class OnnxEncoder(TokenEncoder):
    """The exported transformer through onnxruntime, tokenised by `tokenizers` (no torch).

    `quick_start` opens the session for a process that encodes a few texts and exits (a cold
    `reportbot ask`): no graph optimisation, no weight pre-packing and no thread pool, which take
    longer to set up than they save on one question; batch work (ingest) keeps all three.
    """

    def __init__(
        self, path: Path, model_dir: Path, max_len: int, *, quick_start: bool = False
    ) -> None:
        offline_environment()
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # tokenizer.json may carry its own fixed padding and truncation: use the model's.
        tokenizer.enable_truncation(max_len)
        tokenizer.enable_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1 if quick_start else os.cpu_count() or 1
        if quick_start:
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            options.add_session_config_entry("session.disable_prepacking", "1")
        log.info("loading ONNX model %s", path)
        self.path = path
        self.quick_start = quick_start
        try:
            self.session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime's own errors derive from Exception only
            if type(exc).__module__ != _ORT_ERRORS:
                raise
            raise IndexMismatch(
                f"The ONNX export in {path.parent} cannot be loaded ({type(exc).__name__}); "
                "delete that folder and it is made again at the next ingest."
            ) from exc
        self.tokenizer = tokenizer
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.dimension = hidden_size(model_dir)

    def forward(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {
            "input_ids": ids,
            "attention_mask": mask,
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
        offsets = np.array([e.offsets for e in encodings], dtype=np.int64).reshape(
            len(texts), -1, 2
        )
        return hidden, mask, offsets


class OnnxEmbedder:
    """The `+onnx-fp32` / `+onnx-int8` backend: the model through onnxruntime for everything.

    The export, the session and the tokenizer load on first use, then are reused.
    """

    def __init__(self, base: str, variant: str, *, cache_root: Path | None = None) -> None:
        _require("onnxruntime")
        if variant not in VARIANTS:
            raise IndexMismatch(
                f"Unknown ONNX variant {variant!r} in the model name; use "
                f"{base}{ONNX_SUFFIX}int8 or {base}{ONNX_SUFFIX}fp32."
            )
        self.name = f"{base}{ONNX_SUFFIX}{variant}"
        self.variant = variant
        model_dir = local_model_dir(base)
        if model_dir is None:
            raise IndexMismatch(
                f"The ONNX backend needs the bundled model or a local model folder, and {base!r} "
                "is neither."
            )
        self.model_dir = model_dir
        max_len = standard_layout(model_dir)
        if max_len is None:
            raise IndexMismatch(
                f"The ONNX backend supports only Transformer -> mean pooling -> Normalize "
                f"models, and {base!r} is not one; use the model name without "
                f"{ONNX_SUFFIX}{variant}."
            )
        self.max_len = max_len
        self._dimension = hidden_size(model_dir)
        self._cache_root = cache_root
        self.encoder: OnnxEncoder | None = None
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return self._dimension

    def _load(self) -> OnnxEncoder:
        with self._lock:
            if self.encoder is None:
                path = onnx_file(self.model_dir, self.variant, self._cache_root)
                self.encoder = OnnxEncoder(path, self.model_dir, self.max_len)
        return self.encoder

    def encode(
        self, texts: list[str], *, batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray:
        return self._load().encode(texts, batch_size=batch_size, progress=progress)

    def encode_spans(
        self,
        texts: list[str],
        spans: list[Spans],
        *,
        batch_size: int = 64,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Text vectors and span vectors from the same pass (see `base.TokenEncoder`)."""
        return self._load().encode_spans(texts, spans, batch_size=batch_size, progress=progress)
