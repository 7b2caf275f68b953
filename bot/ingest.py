"""Ingest: load, clean, chunk and embed documents into a new index generation, then publish it.

The live generation is never written to. An ingest copies it into a staging directory, applies
the changes there (unchanged documents are skipped by content hash; chunks whose text already
has a vector reuse it), writes FAISS and SQLite, and only then swaps `CURRENT`. A killed or
failed ingest leaves the previous index exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bot import index as idx
from bot import loaders
from bot.chunking import paragraph_starts
from bot.cleaning import CleanText
from bot.embedding import Embedder
from bot.embedding.base import Spans
from bot.errors import (
    BadDocument,
    DocumentNotFound,
    FetchError,
    IndexMismatch,
    UnsupportedFormat,
)
from bot.models import DocumentMeta, RawDocument
from bot.prepare import (
    EMBED_BATCH,
    Prepared,
    PreparedChunk,
    encode_slices,
    prepare,
)
from bot.progress import Progress, ProgressEvent
from bot.staging import SqliteStaging, Staging, _one_line
from bot.text import highlight_spans

log = logging.getLogger(__name__)

SENTENCE_VECTORS_VERSION = 1  # how sentence vectors are made; a change asks for a rebuild


# An encoder: vectors of the texts and of their spans, yielded slice by slice as
# (indices into texts, vectors, span vectors), reporting the number of texts done so far.
Encoder = Callable[..., Iterator[tuple[list[int], np.ndarray, list[np.ndarray | None]]]]


class Runner:
    """Where extraction and embedding run when not in this process (`bot.cluster.RayRunner`).

    `extract` yields, in the order of `paths`, each source `Prepared` or a `(source, reason)`
    failure; `encode` is an `Encoder`. Their results go through the same store and publish step
    as an in-process ingest.
    """

    def extract(
        self, paths: list[str], *, override: DocumentMeta | None, **load_options: Any
    ) -> Iterator[Prepared | tuple[str, str]]:
        raise NotImplementedError

    def encode(
        self,
        texts: list[str],
        spans: list[Spans],
        *,
        batch_size: int,
        progress: Callable[[int], None] | None,
    ) -> Iterator[tuple[list[int], np.ndarray, list[np.ndarray | None]]]:
        raise NotImplementedError


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, one-line reason)
    chunks_embedded: int = 0
    chunks_reused: int = 0
    documents_total: int = 0
    chunks_total: int = 0
    seconds: float = 0.0
    generation: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
            f"{len(self.removed)} removed",
        ]
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return (
            f"{', '.join(parts)}; {self.chunks_embedded} chunks embedded, "
            f"{self.chunks_reused} reused; index: {self.documents_total} documents, "
            f"{self.chunks_total} chunks; {self.seconds:.1f}s"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ingest(
    index_dir: Path | str,
    sources: Iterable[str | Path],
    *,
    embedder: Embedder,
    meta: DocumentMeta | None = None,
    rebuild: bool = False,
    sync: bool = False,
    rebuild_on_mismatch: bool = False,
    progress: Progress | None = None,
    max_bytes: int = 50 * 1024 * 1024,
    fetch_timeout: float = 20.0,
    allow_private: bool = False,
    runner: Runner | None = None,
) -> IngestReport:
    """Ingest files, folders and URLs. Per-document failures are reported, not raised.

    `sync` also removes documents that came from one of the given folders and are gone now.
    `meta` overrides the citation metadata (for a single uploaded document).
    `runner` runs extraction and embedding elsewhere (a Ray cluster); storing and publishing
    stay here, the same either way.
    """
    names = [str(s) for s in sources]
    failed: list[tuple[str, str]] = []
    paths: list[str] = []
    for source in names:
        try:
            paths.extend(loaders.iter_sources([source]))
        except (UnsupportedFormat, BadDocument, FetchError, FileNotFoundError) as exc:
            failed.append((source, _one_line(exc)))
            if progress:
                progress(ProgressEvent("extracting", failed=failed[-1]))

    def extract_all(run: Runner) -> Iterator[Prepared]:
        pages = 0
        results = run.extract(
            paths,
            override=meta,
            max_bytes=max_bytes,
            fetch_timeout=fetch_timeout,
            allow_private=allow_private,
        )
        for i, result in enumerate(results, start=1):
            if isinstance(result, tuple):
                failed.append(result)
                if progress:
                    progress(ProgressEvent("extracting", failed=result))
            else:
                pages += len(result.raw.pages)
                yield result
            if progress:
                now = paths[i] if i < len(paths) else ""
                progress(ProgressEvent("extracting", i, len(paths), pages, source=now))

    def load_all() -> Iterator[RawDocument]:
        pages = 0  # of the documents before this one (each is cleaned and chunked once yielded)
        for i, path in enumerate(paths):
            if progress:
                progress(ProgressEvent("extracting", i, len(paths), pages, source=path))
            try:
                raw = loaders.load(
                    path,
                    max_bytes=max_bytes,
                    fetch_timeout=fetch_timeout,
                    allow_private=allow_private,
                )
            except (UnsupportedFormat, BadDocument, FetchError, OSError) as exc:
                failed.append((path, _one_line(exc)))
                if progress:
                    progress(ProgressEvent("extracting", failed=failed[-1]))
                continue
            pages += len(raw.pages)
            yield raw
        if progress:
            progress(ProgressEvent("extracting", len(paths), len(paths), pages))

    folders = [_source_key(s) for s in names if Path(s).is_dir()] if sync else []
    report = _apply(
        index_dir,
        load_all() if runner is None else extract_all(runner),
        embedder=embedder,
        rebuild=rebuild,
        rebuild_on_mismatch=rebuild_on_mismatch,
        progress=progress,
        prune_folders=folders,
        override=meta,
        encode=None if runner is None else runner.encode,
    )
    report.failed = failed + report.failed
    return report


def ingest_raw(
    index_dir: Path | str,
    docs: Iterable[RawDocument],
    *,
    embedder: Embedder,
    rebuild: bool = False,
    progress: Progress | None = None,
    batch_size: int = EMBED_BATCH,
) -> IngestReport:
    """Ingest documents already in memory (benchmarks, tests) through the same pipeline."""
    return _apply(
        index_dir,
        docs,
        embedder=embedder,
        rebuild=rebuild,
        progress=progress,
        batch_size=batch_size,
    )


def remove(index_dir: Path | str, doc_ids: Iterable[str], *, embedder: Embedder) -> IngestReport:
    """Remove documents with their chunks, figures and vectors, in one new generation."""
    return _apply(index_dir, [], embedder=embedder, remove_ids=list(doc_ids))


def _apply(
    location: Path | str,
    docs: Iterable[RawDocument | Prepared],
    *,
    embedder: Embedder,
    rebuild: bool = False,
    rebuild_on_mismatch: bool = False,
    progress: Progress | None = None,
    batch_size: int = EMBED_BATCH,
    remove_ids: list[str] | None = None,
    prune_folders: list[str] | None = None,
    override: DocumentMeta | None = None,
    encode: Encoder | None = None,
) -> IngestReport:
    started = time.perf_counter()
    staging = _staging_for(location)
    with staging.locked():
        try:
            builder = _Builder(
                staging, embedder, override=override, batch_size=batch_size, encode=encode
            )
            builder.open(rebuild=rebuild, rebuild_on_mismatch=rebuild_on_mismatch)
            report = builder.run(docs, remove_ids or [], prune_folders or [], progress)
            if report.changed or builder.fresh:
                report.generation = staging.publish()
            else:
                report.generation = staging.live_generation()
            report.seconds = time.perf_counter() - started
            log.info("ingest: %s", report.summary())
            return report
        finally:
            staging.discard()


def _staging_for(location: Path | str) -> Staging:
    if idx.is_url(location):
        from bot.backends.pg_staging import PgStaging

        return PgStaging(str(location))
    return SqliteStaging(Path(location))


@dataclass(frozen=True)
class _Pending:
    """A chunk stored in this run that still needs a vector."""

    chunk_id: int
    text: str  # the chunk's own text (what is quoted)
    prefix: str  # embedded before it: document identity, section path, table header
    text_hash: str  # of prefix + text: what the vector was made from

    @property
    def embedded(self) -> str:
        return self.prefix + self.text


@dataclass
class _Run:
    """What one ingest run accumulates while it applies its changes."""

    report: IngestReport = field(default_factory=IngestReport)
    pending: list[_Pending] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)  # chunk ids whose vectors go
    reusable: dict[str, int] = field(default_factory=dict)  # text hash -> chunk id with a vector
    seen: set[str] = field(default_factory=set)  # documents given in this run


class _Builder:
    """Applies one batch of changes to a staged new generation (`Staging`).

    The constructor only stores its arguments; `open` stages the live generation (or starts a
    fresh one), and `run` applies the changes.
    """

    def __init__(
        self,
        staging: Staging,
        embedder: Embedder,
        *,
        override: DocumentMeta | None = None,
        batch_size: int = EMBED_BATCH,
        encode: Encoder | None = None,
    ) -> None:
        self.store = staging
        self.embedder = embedder
        self.encode = encode or (lambda *a, **k: encode_slices(embedder, *a, **k))
        self.override = override
        self.batch_size = batch_size
        self.settings = idx.chunk_settings()
        self.sentence_blobs: dict[int, bytes] = {}  # of deleted chunks whose vectors are reused
        self.fresh = True

    def open(self, *, rebuild: bool, rebuild_on_mismatch: bool) -> None:
        """Stage the live generation (unless rebuilding or it was built differently)."""
        copy_live = self._compatible_live(rebuild, rebuild_on_mismatch)
        self.fresh = not copy_live
        self.store.stage(copy_live)

    def _compatible_live(self, rebuild: bool, rebuild_on_mismatch: bool) -> bool:
        if rebuild:
            return False
        meta = self.store.live_meta()
        if meta is None:
            return False
        try:
            idx.check_compatible(meta, self.embedder)
            if meta.get("chunking") != self.settings:
                raise IndexMismatch(
                    "The index was built with other chunking or cleaning settings; "
                    f"{idx.REBUILD_HINT}."
                )
        except IndexMismatch:
            if not rebuild_on_mismatch:
                raise
            log.warning("index built with other settings: rebuilding from scratch")
            return False
        return True

    def run(
        self,
        docs: Iterable[RawDocument | Prepared],
        remove_ids: list[str],
        prune_folders: list[str],
        progress: Progress | None,
    ) -> IngestReport:
        state = _Run()
        report = state.report
        for doc_id in remove_ids:
            if not self.store.has_document(doc_id):
                raise DocumentNotFound(
                    f"No document {doc_id!r} in the index; `reportbot sources` lists them."
                )
            state.dropped += self._delete(doc_id, state)
            report.removed.append(doc_id)

        for raw in docs:
            failures = len(state.report.failed)
            outcome = self._put(raw, state)
            if outcome:
                state.seen.add(outcome)
            if progress and len(state.report.failed) > failures:
                progress(ProgressEvent("extracting", failed=state.report.failed[-1]))

        for folder in prune_folders:
            for doc_id, source in self.store.document_sources():
                if doc_id not in state.seen and _under(source, folder):
                    state.dropped += self._delete(doc_id, state)
                    report.removed.append(doc_id)

        self._embed(state, progress)
        report.documents_total, report.chunks_total = self.store.counts()

        def step(n: int) -> None:  # the writing phase: vocabulary, vectors and metadata, fsync
            if progress:
                progress(ProgressEvent("writing", n, 3))

        if report.changed or self.fresh:
            self.store.write(self._meta(report), step)
        self.store.close()
        return report

    def _put(self, item: RawDocument | Prepared, state: _Run) -> str | None:
        """Store one document (unless unchanged); returns its id, None if it was not stored.

        A document prepared elsewhere (a Ray worker) is stored as it is, if it was prepared with
        the metadata it gets here; otherwise it is prepared here.
        """
        raw = item.raw if isinstance(item, Prepared) else item
        existing = self._find_existing(raw)
        doc_id = existing["id"] if existing else (raw.doc_id or self._new_id(raw.source))
        meta_hash = hashlib.sha256(
            json.dumps(asdict(raw.meta), sort_keys=True).encode()
        ).hexdigest()
        meta = _merge_meta(raw.meta, self.override) if self.override else raw.meta
        unchanged = self._unchanged(raw, existing, meta_hash, meta)
        if unchanged:
            state.report.unchanged.append(unchanged)
            return unchanged
        ready = item if isinstance(item, Prepared) and item.meta == meta else prepare(raw, meta)
        clean = ready.clean
        if not clean.text.strip():
            state.report.failed.append((raw.source, "no text left after removing page boilerplate"))
            return doc_id if existing else None
        # One transaction per document (sqlite-utils would otherwise commit every insert).
        with self.store.transaction():
            if existing:
                state.dropped += self._delete(doc_id, state)
            self._insert_document(doc_id, raw, meta, meta_hash, ready.title or doc_id, clean)
            self._insert_chunks(doc_id, ready.chunks, state)
        (state.report.updated if existing else state.report.added).append(doc_id)
        return doc_id

    def _unchanged(
        self,
        raw: RawDocument,
        existing: dict[str, Any] | None,
        meta_hash: str,
        meta: DocumentMeta,
    ) -> str | None:
        """The id under which this document is already stored unchanged, else None.

        Unchanged: same bytes, same metadata from the source (sidecar or the file itself), and
        no explicit override that differs from what is stored; or, for a new source, the same
        bytes stored under another name.
        """
        if existing:
            same = (
                existing["content_hash"] == raw.content_hash
                and existing["meta_hash"] == meta_hash
                and (self.override is None or _same_meta(existing, meta))
            )
            return existing["id"] if same else None
        return self.store.document_with_hash(raw.content_hash)

    def _insert_document(
        self,
        doc_id: str,
        raw: RawDocument,
        meta: DocumentMeta,
        meta_hash: str,
        title: str,
        clean: CleanText,
    ) -> None:
        found = dict(raw.found)
        if self.override is not None:
            found.update({k: "given at ingest" for k, v in asdict(self.override).items() if v})
        self.store.insert_document(
            {
                "id": doc_id,
                "title": title,
                "publisher": meta.publisher,
                "author": meta.author,
                "date": meta.date,
                "url": meta.url,
                "source": _source_key(raw.source),
                "content_hash": raw.content_hash,
                "meta_hash": meta_hash,
                "format": raw.format,
                "text": clean.text,
                "page_starts": json.dumps(clean.page_starts if len(raw.pages) > 1 else []),
                "paragraph_starts": json.dumps(paragraph_starts(clean.text)),
                "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "found": json.dumps(found, sort_keys=True),
            }
        )

    def _insert_chunks(self, doc_id: str, chunks: list[PreparedChunk], state: _Run) -> None:
        for chunk in chunks:
            chunk_id = self.store.insert_chunk({"doc_id": doc_id, **chunk.row})
            state.pending.append(
                _Pending(chunk_id, chunk.row["text"], chunk.prefix, chunk.row["text_hash"])
            )
            self._store_figures(chunk_id, doc_id, chunk.figures)

    def _store_figures(self, chunk_id: int, doc_id: str, figures: list[dict[str, Any]]) -> None:
        """Every figure in a chunk, with the sentence it stands in: the fact-checker's list."""
        if figures:
            rows = [{**row, "chunk_id": chunk_id, "doc_id": doc_id} for row in figures]
            self.store.insert_figures(rows)

    def _find_existing(self, raw: RawDocument) -> dict[str, Any] | None:
        if raw.doc_id:
            return self.store.find_document(doc_id=raw.doc_id)
        return self.store.find_document(source=_source_key(raw.source))

    def _new_id(self, source: str) -> str:
        stem = Path(source.split("?")[0].rstrip("/")).stem if "://" not in source else source
        base = re.sub(r"[^a-z0-9]+", "-", stem.lower().split("://")[-1]).strip("-")[:80] or "doc"
        doc_id, n = base, 2
        while self.store.has_document(doc_id):
            doc_id, n = f"{base}-{n}", n + 1
        return doc_id

    def _delete(self, doc_id: str, state: _Run) -> list[int]:
        for row in self.store.chunks_to_delete(doc_id):
            if (
                state.reusable.setdefault(row["text_hash"], row["id"]) == row["id"]
                and row["vectors"]
            ):
                self.sentence_blobs[row["id"]] = row["vectors"]
        return self.store.delete_document(doc_id)

    def _embed(self, state: _Run, progress: Progress | None) -> None:
        reuse_ids: list[int] = []
        reuse_from: list[int] = []
        fresh: list[_Pending] = []
        new_ids = {p.chunk_id for p in state.pending}  # rows added by this ingest: no vector yet
        has_vectors = not self.fresh
        for item in state.pending:
            source_id = state.reusable.get(item.text_hash)
            if source_id is None and has_vectors:
                source_id = next(
                    (c for c in self.store.chunk_ids_with_hash(item.text_hash) if c not in new_ids),
                    None,
                )
            if source_id is not None and has_vectors:
                reuse_ids.append(item.chunk_id)
                reuse_from.append(source_id)
            else:
                fresh.append(item)
        log.info("embedding %d chunks (%d reuse an existing vector)", len(fresh), len(reuse_ids))
        reused = None
        if has_vectors:
            reused = self.store.reconstruct(reuse_from) if reuse_from else None
            self.store.remove_vectors(state.dropped)
        blobs = [
            self.sentence_blobs.get(src) or self.store.sentence_blob(src) for src in reuse_from
        ]
        self.store.insert_sentence_vectors(reuse_ids, blobs)
        embedded = self._encode(fresh, progress)
        expected = len(state.pending)
        if reused is not None:
            self.store.add_vectors(reuse_ids, reused, expected)
        if fresh:
            dim = self.store.vector_dim()
            if dim is not None and embedded.shape[1] != dim:
                raise IndexMismatch(
                    f"The model gives {embedded.shape[1]}-dimensional vectors but the index "
                    f"holds {dim}; {idx.REBUILD_HINT}."
                )
            self.store.add_vectors([p.chunk_id for p in fresh], embedded, expected)
        if self.store.vector_dim() is None:  # an empty new index still needs its vector store
            empty = np.zeros((0, self.embedder.dimension), dtype=np.float32)
            self.store.add_vectors([], empty, 0)
        self.store.finish_vectors()
        state.report.chunks_embedded = len(fresh)
        state.report.chunks_reused = len(reuse_ids)

    def _encode(self, fresh: list[_Pending], progress: Progress | None) -> np.ndarray:
        """Vectors of the fresh chunks, storing their sentence vectors slice by slice.

        Each chunk is encoded with its prefix (document identity, then its context) before it;
        its sentences' spans are shifted past the prefix, so the pooled sentence vectors are
        those of the chunk's own sentences, read in the light of where they stand.
        The encoder (`encode_slices` here, `bot.cluster` on Ray) yields slice by slice, and each
        slice's sentence vectors are written as it comes.
        """
        if progress:
            progress(ProgressEvent("embedding", 0, len(fresh)))
        if not fresh:
            return np.zeros((0, 0), dtype=np.float32)
        report = (
            (lambda done: progress(ProgressEvent("embedding", done, len(fresh))))
            if progress
            else None
        )
        out: np.ndarray | None = None
        for part, vecs, span_vectors in self.encode(
            [p.embedded for p in fresh],
            [_shift(highlight_spans(p.text), len(p.prefix)) for p in fresh],
            batch_size=self.batch_size,
            progress=report,
        ):
            if out is None:
                out = np.zeros((len(fresh), vecs.shape[1]), dtype=np.float32)
            out[part] = vecs
            self.store.insert_sentence_vectors(
                [fresh[i].chunk_id for i in part], map(_f16, span_vectors)
            )
        assert out is not None
        return out

    def _meta(self, report: IngestReport) -> dict[str, Any]:
        return {
            **idx.index_settings(self.embedder),
            "dimension": int(self.store.vector_dim() or self.embedder.dimension),
            "documents": report.documents_total,
            "chunks": report.chunks_total,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }


def _shift(spans: list[tuple[int, int]], by: int) -> list[tuple[int, int]]:
    return [(s + by, e + by) for s, e in spans]


def _f16(vectors: np.ndarray | None) -> bytes | None:
    return None if vectors is None else np.asarray(vectors, dtype=np.float16).tobytes()


def _merge_meta(base: DocumentMeta, override: DocumentMeta) -> DocumentMeta:
    return DocumentMeta(**{k: (getattr(override, k) or getattr(base, k)) for k in asdict(base)})


def _same_meta(row: dict, meta: DocumentMeta) -> bool:
    return all(
        (row.get(k) or "") == (getattr(meta, k) or "")
        for k in ("publisher", "author", "date", "url")
    ) and (not meta.title or row.get("title") == meta.title)


def _source_key(source: str) -> str:
    """Where a document came from: its URL, or its absolute path, whatever the working directory
    of the ingest (a relative key would name another file, or none, from elsewhere: /reindex)."""
    if "://" in source:
        return source
    return str(Path(source).resolve())


def _under(source: str, folder: str) -> bool:
    if "://" in source:
        return False
    return Path(source).resolve().is_relative_to(Path(folder).resolve())
