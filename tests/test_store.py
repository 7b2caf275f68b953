"""The SQLite side of an index: migrations, deletes that leave nothing behind, the vocab copy."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot import store

TABLES = {"documents", "chunks", "chunks_fts", "figures", "sentence_vectors", "vocab"}


def _doc(db, doc_id: str, texts: list[str]) -> list[int]:
    db.table("documents").insert({"id": doc_id, "title": doc_id, "text": " ".join(texts)})
    ids = []
    for ordinal, text in enumerate(texts):
        pk = db.table("chunks").insert({"doc_id": doc_id, "ordinal": ordinal, "text": text}).last_pk
        db.table("figures").insert({"chunk_id": pk, "doc_id": doc_id, "text": "12%"})
        db.table("sentence_vectors").insert({"chunk_id": pk, "vectors": b"\0\0"})
        ids.append(pk)
    return ids


def test_a_new_database_gets_every_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = store.open_writable(path)
    assert set(db.table_names()) >= TABLES
    assert {"meta_hash"} <= set(db["documents"].columns_dict)
    assert {"ambiguous", "precision"} <= set(db["figures"].columns_dict)
    applied = [r["name"] for r in db.query("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert [name[:4] for name in applied] == [f"{n:04d}" for n in range(1, len(applied) + 1)]
    assert len(applied) >= 6
    db.close()
    again = store.open_writable(path)  # reopening applies nothing twice
    count = again.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
    assert count == len(applied)


def test_deleting_a_document_removes_its_rows_everywhere(tmp_path: Path) -> None:
    db = store.open_writable(tmp_path / "r.db")
    gone = _doc(db, "a", ["lithium exports grew", "copper fell"])
    kept = _doc(db, "b", ["lithium prices rose"])
    assert store.delete_document(db, "a") == gone
    for table, column in (("documents", "id"), ("chunks", "doc_id"), ("figures", "doc_id")):
        assert db.execute(f"SELECT count(*) FROM {table} WHERE {column} = 'a'").fetchone()[0] == 0
    assert [r[0] for r in db.execute("SELECT chunk_id FROM sentence_vectors")] == kept
    hits = db.execute("SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH 'lithium'").fetchall()
    assert [h[0] for h in hits] == kept  # the full-text index follows the chunks
    assert store.delete_document(db, "nope") == []


def test_vocab_copy_matches_the_full_text_index(tmp_path: Path) -> None:
    db = store.open_writable(tmp_path / "r.db")
    _doc(db, "a", ["Exports exported exporting", "Córdoba cordoba"])
    store.refresh_vocab(db)
    vocab = dict((t, (df, cnt)) for t, df, cnt in db.execute("SELECT term, df, cnt FROM vocab"))
    assert vocab["export"] == (1, 3)  # Porter stems, one chunk, three occurrences
    assert vocab["cordoba"] == (1, 2)  # accents folded
    store.delete_document(db, "a")
    store.refresh_vocab(db)
    assert db.execute("SELECT count(*) FROM vocab").fetchone()[0] == 0


def test_the_read_only_handle_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    _doc(store.open_writable(path), "a", ["text"])
    db = store.open_readonly(path)
    assert db.execute("SELECT count(*) FROM chunks").fetchone()[0] == 1
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.execute("DELETE FROM chunks")
