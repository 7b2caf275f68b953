"""The FAISS side of an index. Vector ids are chunk rowids (IndexIDMap2), inner product on
normalised vectors (cosine). Exact search by default; see `choose_index_type`.
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

from bot.errors import IndexCorrupt


def choose_index_type(expected_vectors: int) -> str:
    """The FAISS factory string for an index of about this many vectors."""
    return "Flat"


def new_index(dimension: int, index_type: str = "Flat") -> faiss.Index:
    inner = faiss.index_factory(dimension, index_type, faiss.METRIC_INNER_PRODUCT)
    return faiss.IndexIDMap2(inner)


def add(index: faiss.Index, ids: np.ndarray, vectors: np.ndarray) -> None:
    if len(ids):
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))


def remove(index: faiss.Index, ids: list[int]) -> None:
    if ids:
        index.remove_ids(np.asarray(ids, dtype=np.int64))


def ids(index: faiss.Index) -> np.ndarray:
    return faiss.vector_to_array(faiss.downcast_index(index).id_map)


def reconstruct(index: faiss.Index, ids_: list[int]) -> np.ndarray:
    return np.vstack([index.reconstruct(int(i)) for i in ids_]) if ids_ else np.zeros((0, 0))


def search(index: faiss.Index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, ids) for one normalised query vector; ids of -1 are padding."""
    k = max(1, min(k, index.ntotal))
    scores, found = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
    return scores[0], found[0]


def write(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def read(path: Path) -> faiss.Index:
    if not path.is_file():
        raise IndexCorrupt(
            f"The vector file {path.name} is missing; run `reportbot ingest --rebuild`."
        )
    try:
        return faiss.read_index(str(path))
    except RuntimeError as exc:  # FAISS's message names C++ internals, not what to do
        raise IndexCorrupt(
            f"The vector file {path.name} is damaged (truncated or not a FAISS index); "
            "run `reportbot ingest --rebuild`."
        ) from exc
