"""The SQLite side of an index: documents, chunks (rowid = FAISS id), FTS5, figures.

Schema changes are numbered migrations, applied when a database is opened for writing.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

from bot.errors import DocumentNotFound
from bot.models import Document

FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"

migrations = Migrations("reportbot")


@migrations(name="0001_documents_chunks")
def _m0001(db: sqlite_utils.Database) -> None:
    db.table("documents").create(
        {
            "id": str,
            "title": str,
            "publisher": str,
            "author": str,
            "date": str,
            "url": str,
            "source": str,
            "content_hash": str,
            "format": str,
            "text": str,
            "page_starts": str,  # JSON list; empty for unpaginated formats
            "paragraph_starts": str,  # JSON list
            "ingested_at": str,
        },
        pk="id",
    )
    db.table("chunks").create(
        {
            "id": int,
            "doc_id": str,
            "ordinal": int,
            "text": str,
            "start": int,
            "end": int,
            "paragraph": int,
            "page": int,
            "text_hash": str,
        },
        pk="id",
        foreign_keys=[("doc_id", "documents", "id")],
    )
    db.table("chunks").create_index(["doc_id", "ordinal"], unique=True)
    db.table("chunks").create_index(["text_hash"])
    db.table("documents").create_index(["content_hash"])
    db.table("chunks").enable_fts(["text"], tokenize=FTS_TOKENIZE, create_triggers=True)
    db.execute("CREATE VIRTUAL TABLE chunks_fts_vocab USING fts5vocab(chunks_fts, 'row')")


@migrations(name="0002_figures")
def _m0002(db: sqlite_utils.Database) -> None:
    db.table("figures").create(
        {
            "id": int,
            "chunk_id": int,
            "doc_id": str,
            "start": int,
            "end": int,
            "text": str,
            "value": float,
            "low": float,
            "high": float,
            "unit": str,
            "kind": str,
            "qualifier": str,
            "sentence": str,
        },
        pk="id",
    )
    db.table("figures").create_index(["doc_id"])
    db.table("figures").create_index(["chunk_id"])


@migrations(name="0003_figure_precision")
def _m0003(db: sqlite_utils.Database) -> None:
    db.table("figures").add_column("ambiguous", int)
    db.table("figures").add_column("precision", float)


@migrations(name="0004_document_meta_hash")
def _m0004(db: sqlite_utils.Database) -> None:
    db.table("documents").add_column("meta_hash", str)


@migrations(name="0005_sentence_vectors")
def _m0005(db: sqlite_utils.Database) -> None:
    # Per chunk, the vectors of its sentences (`text.sentence_spans` order) as float16 rows,
    # pooled at ingest from the chunk's own forward pass: highlights need no model at query time.
    db.table("sentence_vectors").create({"chunk_id": int, "vectors": bytes}, pk="chunk_id")


@migrations(name="0006_vocab")
def _m0006(db: sqlite_utils.Database) -> None:
    # Every indexed term with its document frequency and number of occurrences, copied from
    # chunks_fts_vocab at each build: fts5vocab counts a term's whole doclist on every lookup
    # (8 ms for a common word at a million chunks); this is a B-tree lookup.
    db.execute(
        "CREATE TABLE vocab (term TEXT PRIMARY KEY, df INTEGER NOT NULL, cnt INTEGER NOT NULL) "
        "WITHOUT ROWID"
    )


@migrations(name="0007_sections_and_context")
def _m0007(db: sqlite_utils.Database) -> None:
    # Per chunk: its section path, its table's caption and header rows, and the context that is
    # embedded and indexed with it (section path and table header) while the quote stays `text`.
    # FTS5 indexes both columns (bm25 sums a term's hits over them and counts their lengths
    # together, which is BM25 over context + text). Per document: where each metadata field
    # came from.
    chunks = db.table("chunks")
    chunks.add_column("section", str)
    chunks.add_column("header", str)
    chunks.add_column("context", str)
    db.table("documents").add_column("found", str)  # JSON object: field -> origin
    db.execute("DROP TABLE IF EXISTS chunks_fts_vocab")
    chunks.disable_fts()
    chunks.enable_fts(["text", "context"], tokenize=FTS_TOKENIZE, create_triggers=True)
    db.execute("CREATE VIRTUAL TABLE chunks_fts_vocab USING fts5vocab(chunks_fts, 'row')")


@migrations(name="0008_figure_values")
def _m0008(db: sqlite_utils.Database) -> None:
    # The fact-checker looks figures up by value (`factcheck.candidates.chunks_stating`).
    db.table("figures").create_index(["value"], if_not_exists=True)


def refresh_vocab(db: sqlite_utils.Database) -> None:
    with db.atomic():
        db.execute("DELETE FROM vocab")
        db.execute("INSERT INTO vocab (term, df, cnt) SELECT term, doc, cnt FROM chunks_fts_vocab")


def open_writable(path: Path, *, durable: bool = True) -> sqlite_utils.Database:
    """Open for writing, migrated. `durable=False` skips the fsync of every commit: for a
    staging copy that is thrown away if anything fails, and fsynced once before it is published."""
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute(f"PRAGMA synchronous={'FULL' if durable else 'OFF'}")
    migrations.apply(db)
    return db


def open_readonly(path: Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    return sqlite_utils.Database(conn)


def delete_document(db: sqlite_utils.Database, doc_id: str) -> list[int]:
    """Delete a document's rows; returns the chunk ids whose vectors must go too."""
    ids = [r[0] for r in db.execute("SELECT id FROM chunks WHERE doc_id = ?", [doc_id])]
    db.execute("DELETE FROM figures WHERE doc_id = ?", [doc_id])
    db.execute(
        "DELETE FROM sentence_vectors WHERE chunk_id IN (SELECT id FROM chunks WHERE doc_id = ?)",
        [doc_id],
    )
    db.execute("DELETE FROM chunks WHERE doc_id = ?", [doc_id])
    db.execute("DELETE FROM documents WHERE id = ?", [doc_id])
    return ids


def document(db: sqlite_utils.Database, doc_id: str) -> Document:
    """One document's metadata, size and where each metadata field came from."""
    row = next(
        db.query(
            "SELECT d.*, (SELECT count(*) FROM chunks c WHERE c.doc_id = d.id) AS n_chunks "
            "FROM documents d WHERE d.id = ?",
            [doc_id],
        ),
        None,
    )
    if row is None:
        raise DocumentNotFound(
            f"No document {doc_id!r} in the index; `reportbot sources` lists them."
        )
    pages = len(json.loads(row["page_starts"] or "[]"))
    return Document.from_row(row, pages=pages, chunks=int(row["n_chunks"]))
