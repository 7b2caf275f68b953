"""The FAISS side of an index. Vector ids are chunk rowids (IndexIDMap2, or an IVF index's own
ids), inner product on normalised vectors (cosine). Exact search below APPROXIMATE_FROM vectors,
approximate above; see `choose_index_type`.
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

from bot.errors import IndexCorrupt

# From this many vectors an index build chooses an approximate index (see docs/benchmarks.md,
# "Approximate index"): exact search grows ~0.6 ms per 10k vectors per query on 2 cores (5.5 ms
# at 100k, 59 ms at 1M), while IVF2048,SQfp16 answers in 4 ms at 1M with recall@10 0.995.
APPROXIMATE_FROM = 100_000
PROBE_SHARE = 8  # an IVF index scans 1/PROBE_SHARE of its lists per query


def choose_index_type(expected_vectors: int) -> str:
    """The FAISS factory string for an index of about this many vectors.

    Exact `Flat` below APPROXIMATE_FROM; above, an inverted file of about 2*sqrt(n) lists over
    half-precision vectors (`IVF2048,SQfp16` at a million): recall@10 against exact search stays
    above 0.99 when PROBE_SHARE of the lists are scanned, at half the memory of `Flat`.
    """
    if expected_vectors < APPROXIMATE_FROM:
        return "Flat"
    nlist = min(max(2 ** round(np.log2(2 * np.sqrt(expected_vectors))), 16), 16384)
    nlist = min(nlist, max(1, expected_vectors // 39))  # k-means wants >= 39 points per list
    return f"IVF{nlist},SQfp16"


def new_index(dimension: int, index_type: str = "Flat") -> faiss.Index:
    """An empty index whose ids are chunk rowids: add_with_ids, remove_ids, reconstruct(id).

    `Flat` is wrapped in IndexIDMap2. An IVF index keeps the ids in its own lists (IndexIDMap2
    over IVF cannot remove: it assumes the inner index renumbers like a flat one) with a hash
    table from id to list entry for reconstruct and remove; it is trained on its first `add`.
    """
    if not index_type.startswith("IVF"):
        inner = faiss.index_factory(dimension, index_type, faiss.METRIC_INNER_PRODUCT)
        return faiss.IndexIDMap2(inner)
    index = faiss.index_factory(dimension, index_type, faiss.METRIC_INNER_PRODUCT)
    ivf = faiss.extract_index_ivf(index)
    ivf.nprobe = max(1, ivf.nlist // PROBE_SHARE)
    ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]  # faiss's stubs
    return index


def add(index: faiss.Index, ids: np.ndarray, vectors: np.ndarray) -> None:
    if len(ids):
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if not index.is_trained:  # an approximate index, on the first add of its build
            nlist = faiss.extract_index_ivf(index).nlist
            sample = np.random.default_rng(0).permutation(len(vectors))[: 64 * nlist]
            index.train(vectors[np.sort(sample)])
        index.add_with_ids(vectors, ids.astype(np.int64))


def remove(index: faiss.Index, ids: list[int]) -> None:
    if ids:
        # faiss's Python wrapper takes an id array; its stubs know only IDSelector
        index.remove_ids(np.asarray(ids, dtype=np.int64))  # type: ignore[arg-type]


def ids(index: faiss.Index) -> np.ndarray:
    inner = faiss.downcast_index(index)
    if hasattr(inner, "id_map"):
        return faiss.vector_to_array(inner.id_map)
    lists = faiss.extract_index_ivf(index).invlists
    assert lists is not None  # an IVF index always has its lists
    parts = [
        faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
        for i in range(lists.nlist)
        if lists.list_size(i)
    ]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def reconstruct(index: faiss.Index, ids_: list[int]) -> np.ndarray:
    return np.vstack([index.reconstruct(int(i)) for i in ids_]) if ids_ else np.zeros((0, 0))


def rebuilt_as(index: faiss.Index, index_type: str, step: int = 65_536) -> faiss.Index:
    """The same vectors under the same ids in a new index of `index_type`.

    An IVF index is trained on a sample spread over all the vectors, then filled in steps, so
    no more than `step` vectors are copied out at a time.
    """
    all_ids = ids(index)
    out = new_index(index.d, index_type)
    if not out.is_trained and len(all_ids):
        nlist = faiss.extract_index_ivf(out).nlist
        sample = np.sort(np.random.default_rng(0).permutation(len(all_ids))[: 64 * nlist])
        out.train(reconstruct(index, all_ids[sample].tolist()).astype(np.float32))
    for start in range(0, len(all_ids), step):
        part = all_ids[start : start + step]
        add(out, part, reconstruct(index, part.tolist()))
    return out


def search(
    index: faiss.Index, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, ids) for one normalised query vector; ids of -1 are padding.

    `allowed` (chunk ids) restricts the search inside FAISS (an `IDSelectorBatch`), so a
    filtered query still returns up to k results from the allowed ids. An approximate index
    that finds fewer than k in its probed lists searches all of them again.
    """
    x = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    if allowed is None:
        k = max(1, min(k, index.ntotal))
        scores, found = index.search(x, k)
        return scores[0], found[0]
    if not len(allowed):
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    k = max(1, min(k, len(allowed), index.ntotal))
    selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
    inner = faiss.downcast_index(index)
    if hasattr(inner, "id_map"):
        # faiss's Python wrapper takes the fields as keywords; its stubs do not know it
        params: faiss.SearchParameters = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        scores, found = index.search(x, k, params=params)
    else:
        ivf = faiss.extract_index_ivf(index)
        params = faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nprobe)  # type: ignore[call-arg]
        scores, found = index.search(x, k, params=params)
        if (found[0] < 0).any() and ivf.nprobe < ivf.nlist:
            params = faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nlist)  # type: ignore[call-arg]
            scores, found = index.search(x, k, params=params)
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
