"""Where an ingest writes: a new index generation staged beside the live one, then published.

    Staging            the interface `ingest._Builder` writes through (documents, chunks,
                       figures, vectors by chunk id, publish)
    SqliteStaging      an index directory: a copy of the live generation's SQLite file and
                       FAISS vectors in `.staging-…/`, published by replacing `CURRENT`
    bot.backends.pg_staging.PgStaging   the same on PostgreSQL (a schema per generation)

A failure anywhere before `publish` leaves the live generation as it was; `locked` refuses a
second ingest at once.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils
from filelock import FileLock, Timeout

from bot import index as idx
from bot import store, vectors
from bot.errors import (
    IndexCorrupt,
    IndexLocked,
    IngestError,
)

log = logging.getLogger(__name__)

LOCK_NAME = "ingest.lock"


def _versions() -> dict[str, str]:
    out = {"sqlite": sqlite3.sqlite_version}
    for pkg in ("reportbot", "faiss-cpu", "sentence-transformers", "torch"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = ""
    return out


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class Staging:
    """Where one ingest writes a new generation beside the live one, and publishes it.

    `_Builder` (what to store: documents, chunks, figures, vectors, reused by hash) talks only
    to this; `SqliteStaging` stages a copy of an index directory's live generation,
    `bot.backends.pg_staging.PgStaging` a copy of the live schema. `locked` refuses a second
    ingest; a failure anywhere before `publish` leaves the live generation as it was.
    """

    def locked(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def live_meta(self) -> dict[str, Any] | None:
        """The live generation's metadata, or None when nothing has been published."""
        raise NotImplementedError

    def stage(self, copy_live: bool) -> None:
        """Start the new generation: a copy of the live one, or empty."""
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def has_document(self, doc_id: str) -> bool:
        raise NotImplementedError

    def find_document(self, *, doc_id: str = "", source: str = "") -> dict[str, Any] | None:
        raise NotImplementedError

    def document_with_hash(self, content_hash: str) -> str | None:
        raise NotImplementedError

    def document_sources(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def insert_document(self, row: dict[str, Any]) -> None:
        raise NotImplementedError

    def insert_chunk(self, row: dict[str, Any]) -> int:
        """Store a chunk, returning its id (which is also its vector's)."""
        raise NotImplementedError

    def insert_figures(self, rows: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def chunks_to_delete(self, doc_id: str) -> list[dict[str, Any]]:
        """id, text_hash and sentence vectors of a document's chunks."""
        raise NotImplementedError

    def delete_document(self, doc_id: str) -> list[int]:
        """Delete a document's rows; returns the chunk ids whose vectors must go too."""
        raise NotImplementedError

    def chunk_ids_with_hash(self, text_hash: str) -> list[int]:
        raise NotImplementedError

    def insert_sentence_vectors(self, chunk_ids: list[int], blobs: Iterable[bytes | None]) -> None:
        raise NotImplementedError

    def sentence_blob(self, chunk_id: int) -> bytes | None:
        raise NotImplementedError

    def counts(self) -> tuple[int, int]:
        """(documents, chunks) in the new generation."""
        raise NotImplementedError

    # vectors, by chunk id
    def vector_dim(self) -> int | None:
        """The dimension of the staged vectors (None when the generation is new)."""
        raise NotImplementedError

    def reconstruct(self, chunk_ids: list[int]) -> np.ndarray:
        raise NotImplementedError

    def remove_vectors(self, chunk_ids: list[int]) -> None:
        raise NotImplementedError

    def add_vectors(self, chunk_ids: list[int], vecs: np.ndarray, expected: int) -> None:
        """Store vectors; `expected` is how many this run adds (it sizes a new index)."""
        raise NotImplementedError

    def finish_vectors(self) -> None:
        """After the last add: switch to an approximate index if the count has grown past it."""
        raise NotImplementedError

    def vector_count(self) -> int:
        raise NotImplementedError

    def write(self, meta: dict[str, Any], step: Callable[[int], None]) -> None:
        """Everything derived (vocabulary, indexes) and the metadata, made durable."""
        raise NotImplementedError

    def close(self) -> None:
        """Done writing (whether or not it is published)."""

    def publish(self) -> str:
        raise NotImplementedError

    def live_generation(self) -> str | None:
        raise NotImplementedError

    def discard(self) -> None:
        """Throw away an unpublished staged generation (and release what it holds)."""


class SqliteStaging(Staging):
    """An index directory: the live generation's SQLite copied into `.staging-…`, FAISS in memory."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.staging = index_dir / f".staging-{os.getpid()}-{time.time_ns()}"
        self.vectors: Any = None
        self.index_type: str | None = None
        self._db: sqlite_utils.Database | None = None

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            raise RuntimeError("SqliteStaging.stage() must run before the database is used")
        return self._db

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.index_dir / LOCK_NAME)
        try:
            lock.acquire(timeout=0)
        except Timeout as exc:
            raise IndexLocked(
                f"Another ingest is already running on {self.index_dir}/; wait for it to finish."
            ) from exc
        try:
            yield
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
                raise IngestError(
                    f"Ingest stopped: the disk is full ({exc.strerror}); "
                    "the previous index is unchanged. Free some space and run it again."
                ) from exc
            raise IngestError(
                f"Ingest stopped: {_one_line(exc)}; the previous index is unchanged."
            ) from exc
        except sqlite3.DatabaseError as exc:  # SQLite reports a full disk or size limit this way
            raise IngestError(
                f"Ingest stopped: the new index database could not be written ({_one_line(exc)}); "
                "the previous index is unchanged. If the disk is full, free some space and run "
                "it again."
            ) from exc
        finally:
            lock.release()

    def live_meta(self) -> dict[str, Any] | None:
        if idx.current_generation(self.index_dir) is None:
            return None
        return idx.read_meta(
            idx.generation_dir(self.index_dir)
        )  # says so when CURRENT names nothing

    def stage(self, copy_live: bool) -> None:
        idx.prune(self.index_dir)
        self.staging.mkdir()
        if copy_live:
            live_dir = idx.generation_dir(self.index_dir)
            self._copy_database(live_dir)
            self.vectors = vectors.read(live_dir / idx.VECTORS_NAME)
            self.index_type = idx.read_meta(live_dir).get("index_type", "Flat")
        # Not durable commit by commit: a failed ingest discards the whole staging copy, and
        # `close` fsyncs the file once at the end (was one fsync per document: 100k at a million).
        self._db = store.open_writable(self.staging / idx.DB_NAME, durable=False)
        if self.vectors is not None and self.db["chunks"].count != self.vectors.ntotal:
            # Building on a damaged generation would give vectors two chunks (or none).
            raise IndexCorrupt(
                f"The index holds {self.db['chunks'].count} chunks but {self.vectors.ntotal} "
                f"vectors; {idx.REBUILD_HINT}."
            )

    def _copy_database(self, live_dir: Path) -> None:
        if not (live_dir / idx.DB_NAME).is_file():
            raise IndexCorrupt(f"The index database is missing; {idx.REBUILD_HINT}.")
        src = sqlite3.connect(f"file:{live_dir / idx.DB_NAME}?mode=ro", uri=True)
        dst = sqlite3.connect(self.staging / idx.DB_NAME)
        try:
            with dst:
                src.backup(dst)
        except sqlite3.DatabaseError as exc:
            if "disk I/O" in str(exc) or "is full" in str(exc):
                raise  # a full disk while copying: reported by `locked`
            raise IndexCorrupt(
                f"The index database is damaged ({exc}); {idx.REBUILD_HINT}."
            ) from exc
        finally:
            src.close()
            dst.close()

    def transaction(self) -> AbstractContextManager[Any]:
        return self.db.atomic()

    def has_document(self, doc_id: str) -> bool:
        return bool(self.db["documents"].count_where("id = ?", [doc_id]))

    def find_document(self, *, doc_id: str = "", source: str = "") -> dict[str, Any] | None:
        column, value = ("id", doc_id) if doc_id else ("source", source)
        return next(self.db.query(f"SELECT * FROM documents WHERE {column} = ?", [value]), None)

    def document_with_hash(self, content_hash: str) -> str | None:
        row = self.db.execute(
            "SELECT id FROM documents WHERE content_hash = ?", [content_hash]
        ).fetchone()
        return row[0] if row else None

    def document_sources(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.db.execute("SELECT id, source FROM documents")]

    def insert_document(self, row: dict[str, Any]) -> None:
        self.db.table("documents").insert(row)

    def insert_chunk(self, row: dict[str, Any]) -> int:
        chunk_id = self.db.table("chunks").insert(row).last_pk
        assert chunk_id is not None  # sqlite-utils types last_pk as optional
        return int(chunk_id)

    def insert_figures(self, rows: list[dict[str, Any]]) -> None:
        self.db.table("figures").insert_all(rows)

    def chunks_to_delete(self, doc_id: str) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT c.id, c.text_hash, s.vectors FROM chunks c "
                "LEFT JOIN sentence_vectors s ON s.chunk_id = c.id WHERE c.doc_id = ?",
                [doc_id],
            )
        )

    def delete_document(self, doc_id: str) -> list[int]:
        return store.delete_document(self.db, doc_id)

    def chunk_ids_with_hash(self, text_hash: str) -> list[int]:
        return [
            r[0] for r in self.db.execute("SELECT id FROM chunks WHERE text_hash = ?", [text_hash])
        ]

    def insert_sentence_vectors(self, chunk_ids: list[int], blobs: Iterable[bytes | None]) -> None:
        with self.db.atomic():
            self.db.table("sentence_vectors").insert_all(
                (
                    {"chunk_id": cid, "vectors": blob}
                    for cid, blob in zip(chunk_ids, blobs, strict=True)
                    if blob
                ),
                batch_size=500,
            )

    def sentence_blob(self, chunk_id: int) -> bytes | None:
        row = self.db.execute(
            "SELECT vectors FROM sentence_vectors WHERE chunk_id = ?", [chunk_id]
        ).fetchone()
        return row[0] if row else None

    def counts(self) -> tuple[int, int]:
        return self.db["documents"].count, self.db["chunks"].count

    def vector_dim(self) -> int | None:
        return None if self.vectors is None else int(self.vectors.d)

    def reconstruct(self, chunk_ids: list[int]) -> np.ndarray:
        return vectors.reconstruct(self.vectors, chunk_ids)

    def remove_vectors(self, chunk_ids: list[int]) -> None:
        if self.vectors is not None:
            vectors.remove(self.vectors, chunk_ids)

    def add_vectors(self, chunk_ids: list[int], vecs: np.ndarray, expected: int) -> None:
        if self.vectors is None:
            self.index_type = vectors.choose_index_type(expected)
            self.vectors = vectors.new_index(vecs.shape[1], self.index_type)
        vectors.add(self.vectors, np.asarray(chunk_ids), vecs)

    def finish_vectors(self) -> None:
        wanted = vectors.choose_index_type(self.vectors.ntotal)
        if wanted.startswith("IVF") and not (self.index_type or "").startswith("IVF"):
            # An exact index that has grown past APPROXIMATE_FROM: same vectors, approximate.
            log.info("%d vectors: switching to %s", self.vectors.ntotal, wanted)
            self.vectors = vectors.rebuilt_as(self.vectors, wanted)
            self.index_type = wanted

    def vector_count(self) -> int:
        return int(self.vectors.ntotal)

    def write(self, meta: dict[str, Any], step: Callable[[int], None]) -> None:
        step(0)
        store.refresh_vocab(self.db)
        step(1)
        try:
            vectors.write(self.vectors, self.staging / idx.VECTORS_NAME)
        except RuntimeError as exc:  # FAISS reports a failed write (disk full) as RuntimeError
            log.info("writing %s failed: %s", idx.VECTORS_NAME, _one_line(exc))
            raise IngestError(
                "Ingest stopped: the vector file could not be written; the previous index is "
                "unchanged. If the disk is full, free some space and run it again."
            ) from exc
        meta = {**meta, "index_type": self.index_type, "versions": _versions()}
        path = self.staging / idx.META_NAME
        with open(path, "w") as fh:
            json.dump(meta, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        step(2)
        self.db.close()
        # the one fsync of the staged database (commits skipped theirs)
        with open(self.staging / idx.DB_NAME, "rb") as fh:
            os.fsync(fh.fileno())
        step(3)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()

    def publish(self) -> str:
        return idx.publish(self.index_dir, self.staging)

    def live_generation(self) -> str | None:
        return idx.current_generation(self.index_dir)

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
