"""Ingest spread over a Ray cluster: extraction and embedding as Ray Data batches.

`RayRunner` is the `bot.ingest.Runner` that `reportbot ingest --ray ADDRESS` uses. Workers
load, clean, chunk and read the figures of one document per batch (`prepare`, the function
an in-process ingest runs), and an actor pool holding the model embeds the fresh chunks in
batches. The results come back to this process, which stores and publishes them through the
same `_Builder` as a local ingest: incremental by content hash, staged, published atomically.

Sources must be readable from every node (a shared mount, or URLs): workers read them there.
Ray is an optional extra (`pip install 'reportbot[cluster]'`); this module imports it lazily.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bot import loaders
from bot.embedding.base import Spans
from bot.errors import BadDocument, ClusterUnavailable, FetchError, IngestError, UnsupportedFormat
from bot.ingest import Runner, _merge_meta
from bot.models import DocumentMeta
from bot.prepare import EMBED_SLICE, Prepared, prepare
from bot.staging import _one_line

log = logging.getLogger(__name__)

INSTALL_HINT = "Ingest on a Ray cluster needs Ray: pip install 'reportbot[cluster]'."
EXTRACT_BATCH = 1  # documents per extraction batch: a report takes seconds, and sizes vary
EMBED_BATCH = 64  # chunks per embedding batch (as in-process)


class RayRunner(Runner):
    """Extraction and embedding on a Ray cluster; `connect` first.

    `address` is `local` (start a cluster of this machine's CPUs on loopback), `auto` (the
    cluster this machine belongs to) or a cluster address (`host:6379`, `ray://host:10001`).
    `workers` is the number of extraction tasks and embedding actors at once (default: the
    cluster's CPUs).
    """

    def __init__(self, model: str, *, workers: int | None = None) -> None:
        self.model = model
        self.workers = workers

    @classmethod
    def connect(
        cls, address: str, model: str, *, workers: int | None = None, num_cpus: int | None = None
    ) -> RayRunner:
        """Join (or, for `local`, start) the cluster; `num_cpus` sizes a local one."""
        ray = _import_ray()
        _probe(address)
        if not ray.is_initialized():
            try:
                ray.init(**_init_options(address, num_cpus))
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ClusterUnavailable(
                    f"Could not reach the Ray cluster at {address} ({_one_line(exc)}); "
                    "check the address, or use --ray local."
                ) from exc
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # documents are stored in source order
        context.enable_progress_bars = False  # reportbot reports progress itself
        context.print_on_execution_start = False
        if not log.isEnabledFor(logging.DEBUG):  # Ray Data logs every dataset's start and end
            logging.getLogger("ray.data").setLevel(logging.WARNING)
        runner = cls(model, workers=workers)
        log.info("ray: %s CPUs, %d workers", ray.cluster_resources().get("CPU"), runner.size)
        return runner

    @property
    def size(self) -> int:
        if self.workers:
            return self.workers
        import ray

        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def extract(
        self, paths: list[str], *, override: DocumentMeta | None, **load_options: Any
    ) -> Iterator[Prepared | tuple[str, str]]:
        if not paths:
            return
        import ray

        sources = [p if "://" in p else str(Path(p).resolve()) for p in paths]
        ds = ray.data.from_items(
            [{"source": s} for s in sources], override_num_blocks=min(len(sources), 200)
        ).map_batches(
            partial(_extract_batch, override=override, load_options=load_options),
            batch_size=EXTRACT_BATCH,
            compute=ray.data.TaskPoolStrategy(size=self.size),
            num_cpus=1,
        )
        with _cluster_errors("extracting"):
            for row in ds.iter_rows():
                yield pickle.loads(row["item"])

    def encode(
        self,
        texts: list[str],
        spans: list[Spans],
        *,
        batch_size: int = EMBED_BATCH,
        progress: Callable[[int], None] | None = None,
    ) -> Iterator[tuple[list[int], np.ndarray, list[np.ndarray | None]]]:
        """Vectors of the texts (and their spans) from an actor pool, yielded in slices of
        EMBED_SLICE. Texts go sorted by length, as in-process, so each batch pads little."""
        if not texts:
            return
        import ray

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        # A few blocks per worker, so every worker has some (a block is split into batches).
        batches = -(-len(texts) // batch_size)
        blocks = max(1, min(batches, 4 * self.size))
        ds = ray.data.from_items(
            [{"i": i, "text": texts[i], "spans": json.dumps(spans[i])} for i in order],
            override_num_blocks=blocks,
        ).map_batches(
            _Embed,
            batch_size=batch_size,
            fn_constructor_kwargs={"model": self.model},
            compute=ray.data.ActorPoolStrategy(size=min(self.size, blocks)),
            num_cpus=1,
        )
        part: list[int] = []
        vecs: list[np.ndarray] = []
        sentences: list[np.ndarray | None] = []
        done = 0
        with _cluster_errors("embedding"):
            for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
                dim = batch["vector"].shape[1]
                part += [int(i) for i in batch["i"]]
                vecs.append(np.asarray(batch["vector"], dtype=np.float32))
                sentences += [
                    np.frombuffer(b, dtype=np.float16).reshape(-1, dim) if len(b) else None
                    for b in batch["sentences"]
                ]
                done += len(batch["i"])
                if progress:
                    progress(done)
                if len(part) >= EMBED_SLICE:
                    yield part, np.concatenate(vecs), sentences
                    part, vecs, sentences = [], [], []
        if part:
            yield part, np.concatenate(vecs), sentences


@contextmanager
def _cluster_errors(phase: str) -> Iterator[None]:
    """A worker, actor or node lost mid-ingest stops the ingest with one sentence; `_apply`
    then discards the staged generation, so the live index stays as it was."""
    import ray.exceptions

    try:
        yield
    except ray.exceptions.RayError as exc:
        cause = exc.cause if isinstance(exc, ray.exceptions.RayTaskError) else exc
        log.info("ray %s failed", phase, exc_info=exc)
        raise IngestError(
            f"Ingest stopped: {phase} on the Ray cluster failed ({_one_line(cause)}); "
            "the previous index is unchanged."
        ) from exc


def _probe(address: str, timeout: float = 5.0) -> None:
    """Refuse an address nothing answers at, at once (Ray itself retries for minutes)."""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return  # `local`, `auto`: Ray knows
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ClusterUnavailable(
            f"Could not reach the Ray cluster at {address} ({exc.strerror or exc}); "
            "check the address, or use --ray local."
        ) from exc


def _import_ray() -> Any:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage reports from a newsroom
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise ClusterUnavailable(INSTALL_HINT) from exc
    return ray


def _init_options(address: str, num_cpus: int | None) -> dict[str, Any]:
    options: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": True}
    if address == "local":
        # This machine's workers see this checkout, cache and offline model settings; a remote
        # cluster's nodes have their own install (the same reportbot and Ray versions).
        names = ("PYTHONPATH", "XDG_CACHE_HOME", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
        env = {k: v for k, v in os.environ.items() if k in names}
        options.update(include_dashboard=False, num_cpus=num_cpus or os.cpu_count())
        if env:
            options["runtime_env"] = {"env_vars": env}
    else:
        options["address"] = address
    return options


def _extract_batch(
    batch: dict[str, np.ndarray], *, override: DocumentMeta | None, load_options: dict[str, Any]
) -> dict[str, np.ndarray]:
    """Ray Data batch: each source loaded and prepared, or its one-line failure (pickled)."""
    out = []
    for source in batch["source"]:
        item: Prepared | tuple[str, str]
        try:
            raw = loaders.load(str(source), **load_options)
        except (UnsupportedFormat, BadDocument, FetchError, OSError) as exc:
            item = (str(source), _one_line(exc))
        else:
            item = prepare(raw, _merge_meta(raw.meta, override) if override else raw.meta)
        out.append(pickle.dumps(item))
    return {"item": np.array(out, dtype=object)}


class _Embed:
    """Ray Data actor: the model, loaded once per worker, embeds a batch of chunks."""

    def __init__(self, model: str) -> None:
        from bot.embedding import get_embedder
        from bot.embedding.base import offline_environment

        offline_environment()
        self.embedder = get_embedder(model)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from bot.embedding import encode_with_spans

        texts = [str(t) for t in batch["text"]]
        spans = [[tuple(s) for s in json.loads(j)] for j in batch["spans"]]
        vecs, span_vectors = encode_with_spans(
            self.embedder, texts, spans, batch_size=max(1, len(texts))
        )
        blobs = [
            b"" if v is None else np.asarray(v, dtype=np.float16).tobytes() for v in span_vectors
        ]
        return {
            "i": batch["i"],
            "vector": np.asarray(vecs, dtype=np.float32),
            "sentences": np.array(blobs, dtype=object),
        }
