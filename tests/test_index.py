"""bot/index.py's record of what built an index, and the check that refuses another build."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot import index as idx
from bot.errors import IndexMismatch


@dataclass
class Named:
    """An embedder as the metadata check sees it: a name and a dimension."""

    name: str
    dimension: int = 384


def meta_of(model: str) -> dict:
    return idx.index_settings(Named(model))


def test_the_fp32_onnx_export_and_pytorch_accept_each_others_indexes():
    for built, queried in [
        ("all-MiniLM-L6-v2", "all-MiniLM-L6-v2+onnx-fp32"),
        ("all-MiniLM-L6-v2+onnx-fp32", "all-MiniLM-L6-v2"),
        ("all-MiniLM-L6-v2", "all-MiniLM-L6-v2"),
    ]:
        idx.check_compatible(meta_of(built), Named(queried))


def test_int8_and_other_models_stay_apart():
    for built, queried in [
        ("all-MiniLM-L6-v2+onnx-int8", "all-MiniLM-L6-v2"),
        ("all-MiniLM-L6-v2", "all-MiniLM-L6-v2+onnx-int8"),
        ("all-MiniLM-L6-v2+onnx-int8", "all-MiniLM-L6-v2+onnx-fp32"),
        ("hash-384", "all-MiniLM-L6-v2"),
    ]:
        with pytest.raises(IndexMismatch, match="--rebuild"):
            idx.check_compatible(meta_of(built), Named(queried))


def test_ingest_records_the_index_settings(corpus_index_dir, hash_embedder):
    meta = idx.read_meta(idx.generation_dir(corpus_index_dir))
    assert {k: meta[k] for k in idx.index_settings(hash_embedder)} == idx.index_settings(
        hash_embedder
    )
    assert meta["chunking"]["chunking_version"] == idx.chunk_settings()["chunking_version"]


def test_a_chunking_change_gives_the_eval_cache_a_new_key(monkeypatch, hash_embedder):
    import bot.chunking
    from bot.evaluate import cache_key, cache_settings

    before = cache_key("corpus", cache_settings(hash_embedder))
    monkeypatch.setattr(bot.chunking, "CHUNKING_VERSION", bot.chunking.CHUNKING_VERSION + 1)
    assert cache_key("corpus", cache_settings(hash_embedder)) != before
