"""An index directory and the read handle the front ends query.

Layout of an index directory:

    index/
      CURRENT         name of the live generation; replaced atomically to publish a new one
      gen-<ns>/       one generation: reportbot.db (SQLite), vectors.faiss, meta.json
      ingest.lock     held by the one ingest allowed at a time
      bot.db          the Telegram bot's own state (questions, feedback): not versioned

An ingest builds a whole new generation beside the live one and publishes it by replacing
CURRENT, so a crash at any point leaves the previous generation live and intact.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Collection
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import sqlite_utils

from bot import store, vectors
from bot.backends import describe
from bot.embedding import Embedder, vector_space
from bot.errors import DocumentNotFound, IndexCorrupt, IndexMismatch, IndexMissing, ReportbotError
from bot.models import Document, SearchFilter, VerifyResult

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: chunks carry section, header and context; FTS5 over text + context
CURRENT = "CURRENT"
DB_NAME = "reportbot.db"
VECTORS_NAME = "vectors.faiss"
META_NAME = "meta.json"
KEEP_PREVIOUS = 2  # older generations kept so in-flight readers can finish
REBUILD_HINT = "run `reportbot ingest --rebuild` to rebuild it"


def is_url(location: str | Path) -> bool:
    """Whether an index location names a database server (postgresql://...), not a directory."""
    return str(location).startswith(("postgresql://", "postgres://"))


def current_generation(index_dir: Path | str) -> str | None:
    """The live generation's name, or None when nothing has been published. Cheap to poll."""
    if is_url(index_dir):
        from bot.backends.postgres import current_generation as pg_current

        return pg_current(str(index_dir))
    try:
        name = (Path(index_dir) / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    return name or None


def generation_dir(index_dir: Path) -> Path:
    name = current_generation(index_dir)
    if name is None:
        raise IndexMissing(
            f"No index in {index_dir}/ yet; run `reportbot ingest corpus/` to build one."
        )
    path = Path(index_dir) / name
    if not path.is_dir():
        raise IndexCorrupt(f"The index names generation {name}, which is missing; {REBUILD_HINT}.")
    return path


def read_meta(gen_dir: Path) -> dict[str, Any]:
    try:
        meta = json.loads((gen_dir / META_NAME).read_text())
    except FileNotFoundError as exc:
        raise IndexCorrupt(f"The index metadata file is missing; {REBUILD_HINT}.") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"The index metadata file is damaged; {REBUILD_HINT}.") from exc
    if not isinstance(meta, dict):  # valid JSON, but not what an ingest writes
        raise IndexCorrupt(f"The index metadata file is damaged; {REBUILD_HINT}.")
    return meta


def chunk_settings() -> dict[str, Any]:
    """What decides the chunks and sentence vectors of an index, apart from the model: ingest
    records it under "chunking" and refuses to add to an index built with other values."""
    from bot.chunking import CHUNKING_VERSION, MAX_WORDS, MIN_WORDS
    from bot.cleaning import CLEANING_VERSION
    from bot.ingest import SENTENCE_VECTORS_VERSION

    return {
        "chunking_version": CHUNKING_VERSION,
        "max_words": MAX_WORDS,
        "min_words": MIN_WORDS,
        "cleaning_version": CLEANING_VERSION,
        "sentence_vectors": SENTENCE_VECTORS_VERSION,
    }


def index_settings(embedder: Embedder) -> dict[str, Any]:
    """What built an index, the one definition: format, model, vectors and chunk settings.

    Ingest writes it into meta.json (with the counts and versions of one build) and the eval
    cache keys its indexes by it, so a change to any of these rebuilds both.
    """
    return {
        "format_version": FORMAT_VERSION,
        "model": embedder.name,
        "dimension": embedder.dimension,
        "normalized": True,
        "metric": "inner_product",
        "chunking": chunk_settings(),
    }


def check_compatible(meta: dict[str, Any], embedder: Embedder) -> None:
    """Refuse an index built differently from what this process would query it with.

    The model names must give the same vectors (`vector_space`): an index built by the PyTorch
    model is queried through its fp32 ONNX export, and one built with int8 only with int8.
    """
    if meta.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(
            f"The index was built by another version of reportbot "
            f"(format {meta.get('format_version')}, this is {FORMAT_VERSION}); {REBUILD_HINT}."
        )
    if vector_space(str(meta.get("model"))) != vector_space(embedder.name):
        raise IndexMismatch(
            f"The index was built with the model {meta.get('model')!r} but reportbot is "
            f"configured for {embedder.name!r}; {REBUILD_HINT} (or set REPORTBOT_MODEL)."
        )


def publish(index_dir: Path, staged: Path) -> str:
    """Make a fully written generation live: rename it into place, then swap CURRENT."""
    index_dir = Path(index_dir)
    name = f"gen-{time.time_ns()}"
    final = index_dir / name
    os.replace(staged, final)
    tmp = index_dir / f"{CURRENT}.tmp"
    with open(tmp, "w") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)
    prune(index_dir)
    return name


def prune(index_dir: Path) -> None:
    """Remove staging leftovers of killed ingests and generations older than KEEP_PREVIOUS."""
    live = current_generation(index_dir)
    gens = sorted(p for p in Path(index_dir).glob("gen-*") if p.is_dir() and p.name != live)
    for old in gens[:-KEEP_PREVIOUS] if KEEP_PREVIOUS else gens:
        shutil.rmtree(old, ignore_errors=True)
    for stale in Path(index_dir).glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# A document as listings show it: citation fields, where it came from, its size in passages.
_LISTING = (
    "SELECT d.id, d.title, d.publisher, d.author, d.date, d.url, d.format, d.source, "
    "d.ingested_at, count(c.id) AS chunks, length(d.text) AS characters "
    "FROM documents d LEFT JOIN chunks c ON c.doc_id = d.id"
)


class ReportIndex(ABC):
    """A read handle on one live generation: what answering, lexical search, fact-checking and
    the front ends may ask of an index. `SqliteIndex` (below) keeps it in a directory,
    `bot.backends.postgres.PgIndex` in PostgreSQL; `open` picks one from the location.

    A generation never changes once live, so `_cache` keeps what is computed from it.
    """

    generation: str
    meta: dict[str, Any]
    embedder: Any
    has_fts5 = False  # True: `fts_bm25` ranks inside the store; else `lexical_candidates`

    def __init__(self, generation: str, meta: dict[str, Any], embedder: Any) -> None:
        self.generation = generation
        self.meta = meta
        self.embedder = embedder
        self._cache: dict[str, Any] = {}

    @classmethod
    def open(cls, location: str | Path, embedder: Embedder) -> ReportIndex:
        """Open the live generation at a directory or a postgresql:// URL."""
        if is_url(location):
            from bot.backends.postgres import PgIndex

            return PgIndex.open(str(location), embedder)
        return SqliteIndex.open_dir(Path(location), embedder)

    @property
    @abstractmethod
    def chunk_count(self) -> int:
        """Chunks (= vectors) in this generation: BM25's N."""

    @property
    @abstractmethod
    def dimension(self) -> int: ...

    @abstractmethod
    def documents(self) -> list[dict[str, Any]]:
        """Every document's listing row (citation fields, source, passages, characters)."""

    @abstractmethod
    def document_listing(self, doc_id: str) -> dict[str, Any]:
        """One document's row as `documents()` lists it, without reading the others."""

    @abstractmethod
    def document(self, doc_id: str) -> dict[str, Any]:
        """A document's stored row, page and paragraph starts decoded."""

    @abstractmethod
    def document_info(self, doc_id: str) -> Document:
        """One document's metadata, size and where each metadata field came from."""

    @abstractmethod
    def chunks(self, chunk_ids: list[int]) -> list[dict[str, Any]]:
        """Chunks in the order of the ids given (missing ids skipped)."""

    @abstractmethod
    def neighbours(self, chunk_id: int, before: int = 1, after: int = 1) -> list[dict[str, Any]]:
        """The chunk with its neighbours in the same document, in reading order."""

    @abstractmethod
    def info(self) -> dict[str, Any]:
        """Generation, model, dimension, index type, counts, size, when it was built."""

    @abstractmethod
    def doc_ids_of(self, chunk_ids: list[int]) -> dict[int, str]:
        """The document of each chunk id given (missing ids left out)."""

    @abstractmethod
    def filter_chunk_ids(self, filters: SearchFilter) -> frozenset[int]:
        """The chunk ids of the documents a filter keeps.

        Publishers compare case-insensitively; a date bound compares with the document's date
        cut to the bound's length, so `date_to="2021"` keeps every document dated in 2021. A
        document without a date is outside any date range.
        """

    @abstractmethod
    def dense_search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (inner products, chunk ids) for a normalised query, restricted to `allowed`
        and still up to k results; ids of -1 are padding."""

    @abstractmethod
    def vector(self, chunk_id: int) -> np.ndarray: ...

    @abstractmethod
    def sentence_vector_blobs(self, chunk_ids: list[int]) -> dict[int, bytes]:
        """The stored float16 sentence vectors of these chunks (chunks without them left out)."""

    @abstractmethod
    def figures_valued(
        self, ranges: list[tuple[float, float]], doc_ids: Collection[str] | None = None
    ) -> list[tuple[int, int]]:
        """(chunk id, document offset) of the stored figures whose value lies in any of the
        closed `ranges`, within `doc_ids` when given (the fact-checker's lookup by value)."""

    @abstractmethod
    def chunk_starts(self, doc_id: str) -> list[tuple[int, int]]:
        """(chunk id, start offset) of a document's chunks, in reading order."""

    @abstractmethod
    def term_df(self, term: str) -> int:
        """Chunks holding an index term (text or context)."""

    @abstractmethod
    def prefix_terms(self, prefix: str) -> list[tuple[str, int]]:
        """(term, df) of every index term starting with `prefix`."""

    @abstractmethod
    def total_tokens(self) -> int:
        """Tokens in all chunks together (BM25's avgdl is this over `chunk_count`)."""

    @abstractmethod
    def chunk_columns(self, chunk_ids: list[int]) -> dict[int, tuple[str, str]]:
        """(text, context) of each chunk: the two columns the full-text index holds."""

    @abstractmethod
    def chunk_lengths(self, chunk_ids: list[int]) -> dict[int, int]:
        """Each chunk's length in tokens, text and context together."""

    def fts_bm25(
        self, match: str, limit: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """The store's own BM25 ranking of a MATCH expression (only when `has_fts5`)."""
        raise NotImplementedError

    def lexical_candidates(self, terms: list[str], allowed: Collection[int] | None) -> list[int]:
        """Chunks holding any of these index terms (only when not `has_fts5`)."""
        raise NotImplementedError

    def term_positions(
        self, chunk_ids: list[int], terms: list[str]
    ) -> dict[int, tuple[dict[str, set[int]], dict[str, set[int]]]] | None:
        """Token positions of these index terms in each chunk's text and context, when the
        store keeps the chunks' tokens; None when `bot.lexical` must tokenise the texts."""
        return None

    def bm25_of_words(
        self,
        words: list[list[str]],
        limit: int,
        allowed: Collection[int] | None,
        avgdl: float,
    ) -> list[tuple[int, float]] | None:
        """BM25 computed inside the store, best first, over every chunk holding a term of
        `words` (one list of index terms per query word: a word, or a prefix's terms); each
        word's document frequency is counted among those chunks. None when the store cannot
        (only when not `has_fts5`): `bot.lexical` then scores the candidates itself."""
        return None

    def document_cached(self, doc_id: str) -> dict[str, Any]:
        """`document()` memoised for the life of this (immutable) generation."""
        key = f"doc:{doc_id}"
        if key not in self._cache:
            self._cache[key] = self.document(doc_id)
        return self._cache[key]

    def chunk(self, chunk_id: int) -> dict[str, Any]:
        rows = self.chunks([chunk_id])
        if not rows:
            raise DocumentNotFound(f"No passage {chunk_id} in the index.")
        return rows[0]


class SqliteIndex(ReportIndex):
    """The live generation of an index directory: vectors in memory, SQLite opened per thread."""

    has_fts5 = True

    def __init__(
        self, index_dir: Path, gen_dir: Path, meta: dict[str, Any], vecs: faiss.Index, embedder
    ):
        super().__init__(gen_dir.name, meta, embedder)
        self.index_dir = Path(index_dir)
        self.gen_dir = gen_dir
        self.vectors = vecs
        self._local = threading.local()

    @classmethod
    def open_dir(cls, index_dir: Path, embedder: Embedder) -> SqliteIndex:
        """Open the live generation, refusing one that is damaged or built differently."""
        gen_dir = generation_dir(index_dir)
        meta = read_meta(gen_dir)
        check_compatible(meta, embedder)
        vecs = vectors.read(gen_dir / VECTORS_NAME)
        index = cls(Path(index_dir), gen_dir, meta, vecs, embedder)
        try:
            chunks = index.db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"The index database is damaged ({exc}); {REBUILD_HINT}.") from exc
        if chunks != vecs.ntotal or vecs.d != meta.get("dimension"):
            raise IndexCorrupt(
                f"The index holds {chunks} chunks but {vecs.ntotal} vectors; {REBUILD_HINT}."
            )
        return index

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            path = self.gen_dir / DB_NAME
            if not path.exists():
                raise IndexCorrupt(f"The index database is missing; {REBUILD_HINT}.")
            db = self._local.db = store.open_readonly(path)
        return db

    def documents(self) -> list[dict[str, Any]]:
        """Every document's listing row (citation fields, source, passages, characters)."""
        return list(self.db.query(_LISTING + " GROUP BY d.id ORDER BY d.title"))

    def document_listing(self, doc_id: str) -> dict[str, Any]:
        """One document's row as `documents()` lists it, without reading the others."""
        row = next(self.db.query(_LISTING + " WHERE d.id = ? GROUP BY d.id", [doc_id]), None)
        if row is None:
            raise DocumentNotFound(f"Document {doc_id} is no longer indexed.")
        return row

    def document(self, doc_id: str) -> dict[str, Any]:
        row = next(self.db.query("SELECT * FROM documents WHERE id = ?", [doc_id]), None)
        if row is None:
            raise DocumentNotFound(
                f"No document {doc_id!r} in the index; `reportbot sources` lists them."
            )
        row["page_starts"] = json.loads(row["page_starts"] or "[]")
        row["paragraph_starts"] = json.loads(row["paragraph_starts"] or "[]")
        return row

    def chunks(self, chunk_ids: list[int]) -> list[dict[str, Any]]:
        """Chunks in the order of the ids given (missing ids skipped)."""
        if not chunk_ids:
            return []
        marks = ",".join("?" * len(chunk_ids))
        rows = {
            r["id"]: r
            for r in self.db.query(f"SELECT * FROM chunks WHERE id IN ({marks})", chunk_ids)
        }
        return [rows[i] for i in chunk_ids if i in rows]

    def neighbours(self, chunk_id: int, before: int = 1, after: int = 1) -> list[dict[str, Any]]:
        """The chunk with its neighbours in the same document, in reading order."""
        c = self.chunk(chunk_id)
        return list(
            self.db.query(
                "SELECT * FROM chunks WHERE doc_id = ? AND ordinal BETWEEN ? AND ? ORDER BY ordinal",
                [c["doc_id"], c["ordinal"] - before, c["ordinal"] + after],
            )
        )

    # --- the read interface answering, lexical and factcheck use (bot/backends/postgres.py
    # implements the same methods over PostgreSQL) --------------------------------------------

    @property
    def chunk_count(self) -> int:
        """Chunks (= vectors) in this generation: BM25's N."""
        return int(self.vectors.ntotal)

    @property
    def dimension(self) -> int:
        return int(self.vectors.d)

    def document_info(self, doc_id: str) -> Document:
        """One document's metadata, size and where each metadata field came from."""
        return store.document(self.db, doc_id)

    def doc_ids_of(self, chunk_ids: list[int]) -> dict[int, str]:
        """The document of each chunk id given (missing ids left out)."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self.db.execute(f"SELECT id, doc_id FROM chunks WHERE id IN ({marks})", chunk_ids)
        return {int(cid): doc for cid, doc in rows}

    def filter_chunk_ids(self, filters: SearchFilter) -> frozenset[int]:
        """The chunk ids of the documents a filter keeps.

        Publishers compare case-insensitively; a date bound compares with the document's date
        cut to the bound's length, so `date_to="2021"` keeps every document dated in 2021. A
        document without a date is outside any date range.
        """
        clauses: list[str] = ["1 = 1"]
        args: list[str] = []
        if filters.doc_ids:
            clauses.append(f"d.id IN ({','.join('?' * len(filters.doc_ids))})")
            args += list(filters.doc_ids)
        if filters.publisher:
            clauses.append("lower(d.publisher) = lower(?)")
            args.append(filters.publisher.strip())
        if filters.date_from:
            clauses.append("d.date != '' AND substr(d.date, 1, length(?)) >= ?")
            args += [filters.date_from] * 2
        if filters.date_to:
            clauses.append("d.date != '' AND substr(d.date, 1, length(?)) <= ?")
            args += [filters.date_to] * 2
        rows = self.db.execute(
            "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE "
            + " AND ".join(clauses),
            args,
        )
        return frozenset(int(r[0]) for r in rows)

    def dense_search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (inner products, chunk ids) for a normalised query; ids of -1 are padding."""
        return vectors.search(self.vectors, query, k, allowed=allowed)

    def vector(self, chunk_id: int) -> np.ndarray:
        return np.asarray(self.vectors.reconstruct(int(chunk_id)))

    def sentence_vector_blobs(self, chunk_ids: list[int]) -> dict[int, bytes]:
        """The stored float16 sentence vectors of these chunks (chunks without them left out)."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        return dict(
            self.db.execute(
                f"SELECT chunk_id, vectors FROM sentence_vectors WHERE chunk_id IN ({marks})",
                chunk_ids,
            ).fetchall()
        )

    def chunk_starts(self, doc_id: str) -> list[tuple[int, int]]:
        """(chunk id, start offset) of a document's chunks, in reading order."""
        rows = self.db.execute(
            'SELECT id, "start" FROM chunks WHERE doc_id = ? ORDER BY "start"', [doc_id]
        )
        return [(int(cid), int(start)) for cid, start in rows]

    def figures_valued(
        self, ranges: list[tuple[float, float]], doc_ids: Collection[str] | None = None
    ) -> list[tuple[int, int]]:
        if not ranges:
            return []
        sql = 'SELECT chunk_id, "start" FROM figures WHERE ('
        sql += " OR ".join("value BETWEEN ? AND ?" for _ in ranges) + ")"
        args: list[float | str] = [v for r in ranges for v in r]
        if doc_ids:
            sql += f" AND doc_id IN ({','.join('?' * len(doc_ids))})"
            args += list(doc_ids)
        return [(int(c), int(o)) for c, o in self.db.execute(sql, args)]

    # Lexical statistics: the vocabulary copy (term, rows containing it, occurrences).

    def term_df(self, term: str) -> int:
        row = self.db.execute("SELECT df FROM vocab WHERE term = ?", [term]).fetchone()
        return int(row[0]) if row else 0

    def prefix_terms(self, prefix: str) -> list[tuple[str, int]]:
        return self.db.execute(
            "SELECT term, df FROM vocab WHERE term >= ? AND term < ?",
            [prefix, prefix + "\uffff"],
        ).fetchall()

    def total_tokens(self) -> int:
        return int(self.db.execute("SELECT sum(cnt) FROM vocab").fetchone()[0] or 0)

    def fts_bm25(
        self, match: str, limit: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """FTS5's own bm25 ranking of an FTS5 MATCH expression, best first (higher is better)."""
        where, args = "", [match]
        if allowed is not None:
            # `+rowid`: a filter on the matches. A bare `rowid IN` is handed to FTS5, which then
            # runs the whole MATCH once per allowed row (0.8 s for one 1,200-chunk filing).
            where = " AND +rowid IN (SELECT value FROM json_each(?))"
            args.append(json.dumps(sorted(allowed)))
        rows = self.db.execute(
            "SELECT rowid, -bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ?"
            f"{where} ORDER BY bm25(chunks_fts) LIMIT ?",
            [*args, limit],
        ).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]

    def chunk_columns(self, chunk_ids: list[int]) -> dict[int, tuple[str, str]]:
        """(text, context) of each chunk: the two columns the full-text index holds."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self.db.execute(
            f"SELECT id, text, context FROM chunks WHERE id IN ({marks})", chunk_ids
        )
        return {int(cid): (text, context or "") for cid, text, context in rows}

    def chunk_lengths(self, chunk_ids: list[int]) -> dict[int, int]:
        """Each chunk's length in tokens, text and context together (FTS5's own counts)."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self.db.execute(
            f"SELECT id, sz FROM chunks_fts_docsize WHERE id IN ({marks})", chunk_ids
        )
        return {int(cid): sum(_varints(blob)) for cid, blob in rows}

    def info(self) -> dict[str, Any]:
        size = sum(p.stat().st_size for p in self.gen_dir.iterdir() if p.is_file())
        return {
            "generation": self.generation,
            "model": self.meta.get("model"),
            "dimension": self.meta.get("dimension"),
            "index_type": self.meta.get("index_type"),
            "documents": self.db.execute("SELECT count(*) FROM documents").fetchone()[0],
            "chunks": self.vectors.ntotal,
            "size_bytes": size,
            "built_at": self.meta.get("built_at"),
        }


def _varints(blob: bytes) -> list[int]:
    """The SQLite varints of a blob (FTS5 stores each column's token count of a row as one)."""
    out: list[int] = []
    pos = 0
    while pos < len(blob):
        value = 0
        for i in range(9):
            byte = blob[pos]
            pos += 1
            if i == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80 or pos >= len(blob):
                break
        out.append(value)
    return out


def _derived_table_problems(db, chunk_ids: set[int], dimension: int) -> list[str]:
    """Sentence vectors and the vocabulary copy agree with the chunks (when the index has them)."""
    problems: list[str] = []
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "sentence_vectors" in tables:
        rows = db.execute("SELECT chunk_id, length(vectors) FROM sentence_vectors").fetchall()
        if orphans := {cid for cid, _ in rows} - chunk_ids:
            problems.append(f"{len(orphans)} sentence-vector rows have no chunk")
        if bad := sum(1 for _, size in rows if not size or size % (2 * dimension)):
            problems.append(f"{bad} sentence-vector rows have the wrong size")
    if "vocab" in tables:
        fts = "SELECT term, doc, cnt FROM chunks_fts_vocab"
        copy = "SELECT term, df, cnt FROM vocab"
        stale = sum(  # rows missing from the copy, and rows the index no longer has
            db.execute(f"SELECT count(*) FROM ({a} EXCEPT {b})").fetchone()[0]
            for a, b in ((fts, copy), (copy, fts))
        )
        if stale:
            problems.append(
                f"the vocabulary copy disagrees with the full-text index ({stale} terms)"
            )
    return problems


def verify(index_dir: Path | str) -> VerifyResult:
    """Check that the live generation is whole and self-consistent.

    Every chunk has exactly one vector and every vector one chunk; the FTS index matches the
    chunks; every chunk is the exact slice of its document it claims to be; the metadata's
    counts agree. Returns the counts and the problems found (none when all is well).
    """
    if is_url(index_dir):
        from bot.backends.postgres import verify as pg_verify

        return pg_verify(str(index_dir))
    index_dir = Path(index_dir)
    gen_dir = generation_dir(index_dir)
    meta = read_meta(gen_dir)
    problems: list[str] = []
    vecs = vectors.read(gen_dir / VECTORS_NAME)
    if not (gen_dir / DB_NAME).is_file():  # connecting would create an empty one
        raise IndexCorrupt(f"The index database is missing; {REBUILD_HINT}.")
    # Not mode=ro: FTS5's 'integrity-check' command needs a writable handle (it writes nothing).
    db = sqlite_utils.Database(sqlite3.connect(gen_dir / DB_NAME))
    try:
        if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            problems.append("SQLite integrity check failed")
        chunk_ids = {r[0] for r in db.execute("SELECT id FROM chunks")}
        vector_ids = set(vectors.ids(vecs).tolist())
        if len(vector_ids) != vecs.ntotal:
            problems.append("some vector ids appear more than once")
        if missing := chunk_ids - vector_ids:
            problems.append(f"{len(missing)} chunks have no vector (e.g. {sorted(missing)[:5]})")
        if orphans := vector_ids - chunk_ids:
            problems.append(f"{len(orphans)} vectors have no chunk (e.g. {sorted(orphans)[:5]})")
        try:
            db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES('integrity-check')")
        except sqlite3.DatabaseError as exc:
            problems.append(f"full-text index disagrees with the chunks ({exc})")
        bad_slices = 0
        for doc_id, text in db.execute("SELECT id, text FROM documents"):
            for ctext, start, end in db.execute(
                "SELECT text, start, end FROM chunks WHERE doc_id = ?", [doc_id]
            ):
                bad_slices += text[start:end] != ctext
        if bad_slices:
            problems.append(f"{bad_slices} chunks are not the exact slice of their document")
        problems += _derived_table_problems(db, chunk_ids, vecs.d)
        documents = db.execute("SELECT count(*) FROM documents").fetchone()[0]
        if meta.get("chunks") != len(chunk_ids) or meta.get("documents") != documents:
            problems.append("the metadata's document or chunk counts disagree with the database")
        if vecs.d != meta.get("dimension"):
            problems.append(
                f"vectors have dimension {vecs.d}, metadata says {meta.get('dimension')}"
            )
    except sqlite3.DatabaseError as exc:
        problems.append(f"the database cannot be read ({exc})")
        documents, chunk_ids = 0, set()
    finally:
        db.close()
    return VerifyResult(
        generation=gen_dir.name,
        model=meta.get("model"),
        documents=documents,
        chunks=len(chunk_ids),
        vectors=int(vecs.ntotal),
        problems=tuple(problems),
    )


class IndexHolder:
    """The open index; reopened when a new generation appears on disk.

    Old index objects stay valid, so questions in flight finish on the index they started with.
    When a new generation cannot be opened, the one already loaded keeps serving.
    """

    def __init__(self, index_dir: Path | str, embedder: Any, *, check_every: float = 1.0) -> None:
        self.index_dir = index_dir
        self.embedder = embedder
        self.check_every = check_every
        self._index: ReportIndex | None = None
        self._error: ReportbotError | None = None
        self._checked = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> ReportIndex:
        """The current index; raises the reason (a ReportbotError) when there is none."""
        if self._index is None or time.monotonic() - self._checked >= self.check_every:
            await self.refresh()
        if self._index is None:
            raise self._error or IndexMissing(
                f"No index in {describe(self.index_dir)}: an admin can build one with "
                "`reportbot ingest`."
            )
        return self._index

    async def refresh(self, *, force: bool = False) -> None:
        """Open the index again if its generation changed on disk (or when forced)."""
        async with self._lock:
            self._checked = time.monotonic()
            try:
                generation = current_generation(self.index_dir)
            except ReportbotError as exc:  # the database is down: keep serving what is loaded
                log.error("cannot check the index generation: %s", exc)
                if self._index is None:
                    self._error = exc
                return
            loaded = self._index.generation if self._index is not None else None
            if generation is None or (generation == loaded and not force):
                return
            try:
                index = await asyncio.to_thread(ReportIndex.open, self.index_dir, self.embedder)
            except ReportbotError as exc:
                log.error("cannot open index generation %s: %s", generation, exc)
                self._error = exc
                return
            self._index, self._error = index, None
            log.info("index generation %s loaded (was %s)", index.generation, loaded)
