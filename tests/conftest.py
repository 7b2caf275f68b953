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
