"""The ingest side of the PostgreSQL backend: `PgStaging` builds a new generation in a schema of
its own beside the live one and publishes it in one transaction (see `bot.backends.postgres` for
the layout, the lock and how readers pick a generation up).
"""

from __future__ import annotations

import json
import logging
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import numpy as np
import psycopg

from bot import index as idx
from bot.backends import describe, postgres
from bot.backends.postgres import (
    _CHUNK_COLUMNS,
    _CONTROL,
    _COPIED,
    _DOCUMENT_COLUMNS,
    _FIGURE_COLUMNS,
    _LOOKUP_INDEXES,
    _TABLES,
    HNSW_EF_CONSTRUCTION,
    HNSW_M,
    KEEP_PREVIOUS,
    LOCK_KEY,
    SCHEMA_PREFIX,
    _cols,
    _live,
    _pair,
    _plain,
    _scalar,
    _schema_ok,
    connect,
)
from bot.errors import (
    IndexCorrupt,
    IndexLocked,
    IngestError,
)
from bot.staging import Staging, _versions

log = logging.getLogger(__name__)
FLUSH_ROWS = 2_000  # chunks buffered before one COPY sends them (see `PgStaging.transaction`)


def _copy_vectors(conn: psycopg.Connection, table: str, ids: list[int], vecs: np.ndarray) -> None:
    """COPY (chunk_id, embedding) rows in PostgreSQL's binary format, built by numpy."""
    if not len(ids):
        return
    d = vecs.shape[1]
    row = np.dtype(
        [
            ("n", ">i2"),
            ("l1", ">i4"),
            ("id", ">i8"),
            ("l2", ">i4"),
            ("dim", ">u2"),
            ("unused", ">u2"),
            ("v", ">f4", (d,)),
        ]
    )
    data = np.zeros(len(ids), dtype=row)
    data["n"], data["l1"], data["id"] = 2, 8, ids
    data["l2"], data["dim"], data["v"] = 4 + 4 * d, d, vecs
    payload = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0) + data.tobytes() + b"\xff\xff"
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY {table} (chunk_id, embedding) FROM STDIN (FORMAT BINARY)") as cp,
    ):
        cp.write(payload)


class PgStaging(Staging):
    """One ingest into a PostgreSQL index: a new schema, filled, indexed, then published."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.schema = f"{SCHEMA_PREFIX}{time.time_ns()}"
        self._conn: psycopg.Connection | None = None
        self._live: str | None = None
        self._dim: int | None = None
        self._next_id = 1
        self._chunks: list[dict[str, Any]] = []  # buffered: see `transaction`
        self._figures: list[dict[str, Any]] = []
        self._published = False
        self._staged = False

    @property
    def conn(self) -> psycopg.Connection:
        if self._conn is None:
            raise RuntimeError("PgStaging.locked() must be entered first")
        return self._conn

    @contextmanager
    def locked(self) -> Iterator[None]:
        self._conn = connect(self.url)
        try:
            if not _scalar(self.conn, "SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]):
                raise IndexLocked(
                    f"Another ingest is already running on {describe(self.url)}; "
                    "wait for it to finish."
                )
            # A staged schema is thrown away if anything fails, so its commits need not wait
            # for the disk; `publish` commits durably (which flushes everything before it).
            self.conn.execute("SET synchronous_commit = off")
            self.conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            self.conn.execute(_CONTROL)
            self._live = _live(self.conn)
            yield
        except (psycopg.OperationalError, psycopg.InterfaceError):
            raise IngestError(
                "Ingest stopped: the connection to the index database was lost; "
                "the previous index is unchanged."
            ) from None
        except psycopg.Error as exc:
            # the server's own sentence names a table or value, never the connection's secrets
            log.error("ingest: the database refused a write: %s", exc.diag.message_primary)
            raise IngestError(
                f"Ingest stopped: the index database refused a write ({type(exc).__name__}); "
                "the previous index is unchanged."
            ) from None
        finally:
            conn, self._conn = self._conn, None
            # at once: closing alone frees the lock only when the server notices; a session
            # that is already gone took the lock with it
            with suppress(psycopg.Error):
                conn.execute("SELECT pg_advisory_unlock_all()")
            conn.close()

    def live_meta(self) -> dict[str, Any] | None:
        if self._live is None:
            return None
        try:
            row = self.conn.execute(f'SELECT value FROM "{self._live}".meta').fetchone()
        except psycopg.errors.UndefinedTable:
            raise IndexCorrupt(
                f"The index names generation {self._live}, which is missing; {idx.REBUILD_HINT}."
            ) from None
        if row is None:
            raise IndexCorrupt(f"The index metadata is missing; {idx.REBUILD_HINT}.")
        return row[0]

    def stage(self, copy_live: bool) -> None:
        self._prune()
        meta = self.live_meta() if copy_live else None
        dim = int(meta["dimension"]) if meta else None
        self._dim = dim
        c = self.conn
        c.execute(f'CREATE SCHEMA "{self.schema}"')
        self._staged = True
        c.execute(f'SET search_path TO "{self.schema}", public')
        # the dimension is known once the first vectors come (or from the live generation)
        c.execute(_TABLES.replace("vector({dim})", f"vector({dim})" if dim else "vector"))
        if copy_live and self._live:
            for table in _COPIED:
                c.execute(f'INSERT INTO {table} SELECT * FROM "{self._live}".{table}')
            chunks, vecs = _pair(
                c, "SELECT (SELECT count(*) FROM chunks), count(*) FROM embeddings"
            )
            if chunks != vecs:
                raise IndexCorrupt(
                    f"The index holds {chunks} chunks but {vecs} vectors; {idx.REBUILD_HINT}."
                )
            self._next_id = int(_scalar(c, "SELECT coalesce(max(id), 0) + 1 FROM chunks"))
        c.execute(_LOOKUP_INDEXES)

    def _prune(self) -> None:
        """Drop schemas of killed ingests and generations older than KEEP_PREVIOUS."""
        c = self.conn
        schemas = [
            r[0]
            for r in c.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s ORDER BY nspname",
                [SCHEMA_PREFIX + "%"],
            )
        ]
        published = [
            r[0] for r in c.execute("SELECT name FROM reportbot_generations ORDER BY published_at")
        ]
        keep = {self._live} | set([p for p in published if p != self._live][-KEEP_PREVIOUS:])
        for name in schemas:
            if name not in keep and name != self.schema:
                c.execute(f'DROP SCHEMA "{_schema_ok(name)}" CASCADE')
        c.execute("DELETE FROM reportbot_generations WHERE NOT (name = ANY(%s))", [list(keep)])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One document's writes. Its chunks and figures join the buffer, sent by COPY once it
        holds FLUSH_ROWS chunks (or a query needs them): a COPY per document was a third of a
        PostgreSQL ingest. The staged schema is private until `publish`, so rows still in the
        buffer when an ingest dies are lost with the schema; a document whose writes fail
        leaves nothing behind, in the buffer or the database."""
        marks = len(self._chunks), len(self._figures)
        try:
            with self.conn.transaction():
                yield
        except BaseException:
            del self._chunks[marks[0] :], self._figures[marks[1] :]
            raise
        if len(self._chunks) >= FLUSH_ROWS:
            with self.conn.transaction():
                self._flush()

    def _flush(self) -> None:
        if self._chunks:
            from bot.lexical import stems_many

            rows = self._chunks
            tokens = stems_many([r["text"] for r in rows] + [r["context"] or "" for r in rows])
            n = len(rows)
            with (
                self.conn.cursor() as cur,
                cur.copy(f"COPY chunks ({_cols(_CHUNK_COLUMNS)}) FROM STDIN") as cp,
            ):
                for i, r in enumerate(rows):
                    toks = tokens[i] + tokens[n + i]  # the text's, then the context's
                    fields = [r.get(k) for k in _CHUNK_COLUMNS[:-3]]
                    cp.write_row([*fields, toks, len(toks), len(tokens[i])])
            self._chunks = []
        if self._figures:
            with (
                self.conn.cursor() as cur,
                cur.copy(f"COPY figures ({_cols(_FIGURE_COLUMNS)}) FROM STDIN") as cp,
            ):
                for f in self._figures:
                    cp.write_row([_plain(f.get(k)) for k in _FIGURE_COLUMNS])
            self._figures = []

    def _query(self, sql: str, args: Any = ()) -> list[tuple[Any, ...]]:
        """A query that may read chunks or figures: the buffered ones are sent first."""
        self._flush()
        return self.conn.execute(sql, args).fetchall()

    def _documents_query(self, sql: str, args: Any = ()) -> list[tuple[Any, ...]]:
        """A query of the documents table alone (written at once, never buffered)."""
        return self.conn.execute(sql, args).fetchall()

    def has_document(self, doc_id: str) -> bool:
        return bool(self._documents_query("SELECT 1 FROM documents WHERE id = %s", [doc_id]))

    def find_document(self, *, doc_id: str = "", source: str = "") -> dict[str, Any] | None:
        column, value = ("id", doc_id) if doc_id else ("source", source)
        cur = self.conn.execute(f"SELECT * FROM documents WHERE {column} = %s LIMIT 1", [value])
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([d.name for d in cur.description or ()], row, strict=True))

    def document_with_hash(self, content_hash: str) -> str | None:
        rows = self._documents_query(
            "SELECT id FROM documents WHERE content_hash = %s LIMIT 1", [content_hash]
        )
        return rows[0][0] if rows else None

    def document_sources(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self._documents_query("SELECT id, source FROM documents")]

    def insert_document(self, row: dict[str, Any]) -> None:
        self.conn.execute(
            f"INSERT INTO documents ({_cols(_DOCUMENT_COLUMNS)}) VALUES "
            f"({', '.join(['%s'] * len(_DOCUMENT_COLUMNS))})",
            [row.get(k) for k in _DOCUMENT_COLUMNS],
        )

    def insert_chunk(self, row: dict[str, Any]) -> int:
        chunk_id = self._next_id
        self._next_id += 1
        self._chunks.append({**row, "id": chunk_id})
        return chunk_id

    def insert_figures(self, rows: list[dict[str, Any]]) -> None:
        self._figures += rows

    def chunks_to_delete(self, doc_id: str) -> list[dict[str, Any]]:
        rows = self._query(
            "SELECT c.id, c.text_hash, s.vectors FROM chunks c "
            "LEFT JOIN sentence_vectors s ON s.chunk_id = c.id WHERE c.doc_id = %s",
            [doc_id],
        )
        return [
            {"id": int(i), "text_hash": h, "vectors": bytes(v) if v is not None else None}
            for i, h, v in rows
        ]

    def delete_document(self, doc_id: str) -> list[int]:
        ids = [int(r[0]) for r in self._query("SELECT id FROM chunks WHERE doc_id = %s", [doc_id])]
        c = self.conn
        c.execute("DELETE FROM figures WHERE doc_id = %s", [doc_id])
        c.execute("DELETE FROM sentence_vectors WHERE chunk_id = ANY(%s)", [ids])
        c.execute("DELETE FROM chunks WHERE doc_id = %s", [doc_id])
        c.execute("DELETE FROM documents WHERE id = %s", [doc_id])
        return ids  # their embeddings stay until `remove_vectors`: a new chunk may reuse one

    def chunk_ids_with_hash(self, text_hash: str) -> list[int]:
        return [
            int(r[0])
            for r in self._query("SELECT id FROM chunks WHERE text_hash = %s", [text_hash])
        ]

    def insert_sentence_vectors(self, chunk_ids: list[int], blobs: Iterable[bytes | None]) -> None:
        self._flush()
        with (
            self.conn.cursor() as cur,
            cur.copy("COPY sentence_vectors (chunk_id, vectors) FROM STDIN") as cp,
        ):
            for cid, blob in zip(chunk_ids, blobs, strict=True):
                if blob:
                    cp.write_row([cid, blob])

    def sentence_blob(self, chunk_id: int) -> bytes | None:
        rows = self._query("SELECT vectors FROM sentence_vectors WHERE chunk_id = %s", [chunk_id])
        return bytes(rows[0][0]) if rows and rows[0][0] is not None else None

    def counts(self) -> tuple[int, int]:
        row = self._query("SELECT (SELECT count(*) FROM documents), count(*) FROM chunks")[0]
        return int(row[0]), int(row[1])

    def vector_dim(self) -> int | None:
        return self._dim

    def reconstruct(self, chunk_ids: list[int]) -> np.ndarray:
        rows = dict(
            self._query(
                "SELECT chunk_id, embedding::real[] FROM embeddings WHERE chunk_id = ANY(%s)",
                [list(chunk_ids)],
            )
        )
        return np.array([rows[i] for i in chunk_ids], dtype=np.float32)

    def remove_vectors(self, chunk_ids: list[int]) -> None:
        if chunk_ids:
            self._query("DELETE FROM embeddings WHERE chunk_id = ANY(%s) RETURNING 1", [chunk_ids])

    def add_vectors(self, chunk_ids: list[int], vecs: np.ndarray, expected: int) -> None:
        self._flush()
        if self._dim is None:
            self._dim = int(vecs.shape[1])
            self.conn.execute(
                f"ALTER TABLE embeddings ALTER COLUMN embedding TYPE vector({self._dim})"
            )
        _copy_vectors(self.conn, "embeddings", list(chunk_ids), np.asarray(vecs, dtype=np.float32))

    def finish_vectors(self) -> None:
        self._flush()

    def vector_count(self) -> int:
        return int(self._query("SELECT count(*) FROM embeddings")[0][0])

    def write(self, meta: dict[str, Any], step: Callable[[int], None]) -> None:
        c = self.conn
        self._flush()
        step(0)
        c.execute("SET maintenance_work_mem = '512MB'")
        c.execute(
            "INSERT INTO vocab (term, df, cnt) SELECT t, count(DISTINCT c.id), count(*) "
            "FROM chunks c, unnest(c.tokens) t GROUP BY t"
        )
        c.execute("CREATE INDEX ON chunks USING gin (tokens)")
        step(1)
        n = self.vector_count()
        index_type = "exact"
        if n >= postgres.HNSW_FROM:  # read at the call: tests lower it
            d = self._dim
            c.execute(
                f"CREATE INDEX ON embeddings USING hnsw ((embedding::halfvec({d})) halfvec_ip_ops) "
                f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
            )
            index_type = f"hnsw(halfvec,m={HNSW_M},ef_construction={HNSW_EF_CONSTRUCTION})"
        c.execute("ANALYZE")
        server = _scalar(c, "SHOW server_version")
        pgvector = _scalar(c, "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        versions = {**_versions(), "postgresql": server, "pgvector": pgvector}
        meta = {**meta, "index_type": index_type, "versions": versions}
        c.execute("INSERT INTO meta (value) VALUES (%s::jsonb)", [json.dumps(meta)])
        step(2)
        step(3)

    def publish(self) -> str:
        with self.conn.transaction():
            self.conn.execute("SET LOCAL synchronous_commit = on")
            self.conn.execute(
                "INSERT INTO reportbot_current (id, generation) VALUES (1, %s) "
                "ON CONFLICT (id) DO UPDATE SET generation = EXCLUDED.generation, published_at = now()",
                [self.schema],
            )
            self.conn.execute("INSERT INTO reportbot_generations (name) VALUES (%s)", [self.schema])
            self.conn.execute("NOTIFY reportbot_generation")
        self._published = True
        self._live = self.schema
        self._prune()
        return self.schema

    def live_generation(self) -> str | None:
        return self._live

    def discard(self) -> None:
        if self._staged and not self._published and self._conn is not None:
            try:
                self._conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            except psycopg.Error:
                log.warning("could not drop the unpublished generation; the next ingest will")


# --- verify ------------------------------------------------------------------------------
