"""FinanceBench: are the passages quoted for analysts' questions on the filing's evidence pages?

    run_financebench(dataset_dir) -> FinanceBenchResult

The dataset directory holds `pdfs/` (the filings, named `<doc_name>.pdf`) and `questions.jsonl`
(`question`, `doc_name`, `evidence`: a list of `{evidence_page_num}` counted from 0). Every filing
is ingested into one index through the normal loading path (cached like the BEIR indexes, keyed by
the PDF bytes and everything that decides an index's content), then every question is asked
through `answer()`, the path users take, twice: over the whole collection, and within the named
filing (`SearchFilter(doc_ids=...)`), when `answer()` takes filters.

Metrics, each a share of all questions:
- page@1 / page@5: the first passage / one of the first five lies on an evidence page of the right
  filing (a passage's page is the physical page index + 1, so evidence page n is page n + 1);
- doc@1: the first passage is from the right filing;
- declined: `answer()` said not_found.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.evaluate import DatasetError, cache_settings, cached_index, file_sha256

if TYPE_CHECKING:
    from bot.embedding import Embedder
    from bot.index import ReportIndex

log = logging.getLogger(__name__)

K = 5
CACHE_FORMAT = 1  # bump when the cached index layout or the PDF-to-document mapping changes


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    doc_name: str
    pages: frozenset[int]  # evidence pages, 1-based like a passage's page


@dataclass
class Scores:
    page_at_1: float
    page_at_5: float
    doc_at_1: float
    declined: float


@dataclass
class QuestionOutcome:
    id: str
    doc_name: str
    evidence_pages: list[int]
    found: list[tuple[str, int | None]]  # (doc id, page) of each passage, collection-wide
    found_within: list[tuple[str, int | None]] | None  # the same within the named filing


@dataclass
class FinanceBenchResult:
    dataset: str
    model: str
    questions: int
    documents: int
    chunks: int
    pages: int
    collection: Scores
    within_filing: Scores | None  # None when not asked within each filing
    index_build_s: float | None = None
    cached: bool = False
    index_dir: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    outcomes: list[QuestionOutcome] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("outcomes")
        return data


def load_questions(dataset_dir: Path) -> list[Question]:
    """The questions of `questions.jsonl`, with their evidence pages made 1-based."""
    path = Path(dataset_dir) / "questions.jsonl"
    if not path.is_file():
        raise DatasetError(f"{path} is missing: is {dataset_dir} a FinanceBench directory?")
    out = []
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                pages = frozenset(int(e["evidence_page_num"]) + 1 for e in record["evidence"])
                out.append(
                    Question(
                        id=str(record.get("financebench_id") or lineno),
                        question=str(record["question"]),
                        doc_name=str(record["doc_name"]),
                        pages=pages,
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise DatasetError(
                    f"{path}:{lineno} is not a FinanceBench question ({exc})"
                ) from exc
    return out


def is_financebench(dataset_dir: Path) -> bool:
    """Whether a directory has FinanceBench's layout (`questions.jsonl` and `pdfs/`)."""
    return (Path(dataset_dir) / "questions.jsonl").is_file() and (
        Path(dataset_dir) / "pdfs"
    ).is_dir()


def _pdfs(dataset_dir: Path) -> list[Path]:
    pdfs = sorted((Path(dataset_dir) / "pdfs").glob("*.pdf"))
    if not pdfs:
        raise DatasetError(f"{dataset_dir}/pdfs holds no PDF filings")
    return pdfs


def _settings(embedder: Embedder) -> dict[str, Any]:
    return {**cache_settings(embedder), "financebench_cache": CACHE_FORMAT}


def _documents(pdfs: list[Path], failed: list[str]) -> Iterator[Any]:
    from bot import loaders
    from bot.errors import BadDocument, UnsupportedFormat

    for path in pdfs:
        try:
            raw = loaders.load(path)
        except (BadDocument, UnsupportedFormat) as exc:
            failed.append(f"{path.name}: {exc}")
            continue
        yield replace(raw, doc_id=path.stem)


def build_or_open_index(
    dataset_dir: Path,
    embedder: Embedder,
    *,
    cache_root: Path | None = None,
    rebuild: bool = False,
    progress: Callable[..., Any] | None = None,
) -> tuple[ReportIndex, Path, float | None]:
    """Open the cached index of the filings, or build it through `ingest_raw` first."""
    from bot.ingest import ingest_raw

    pdfs = _pdfs(dataset_dir)
    digest = hashlib.sha256(f"financebench_cache:{CACHE_FORMAT}\n".encode())
    for path in pdfs:
        digest.update(f"{path.name}:{file_sha256(path)}\n".encode())

    def build(index_dir: Path) -> None:
        failed: list[str] = []
        ingest_raw(index_dir, _documents(pdfs, failed), embedder=embedder, progress=progress)
        if failed:  # no completion marker: the next run builds again
            raise DatasetError(f"{len(failed)} filing(s) could not be read: {failed[0]}")

    return cached_index(
        "financebench", digest.hexdigest(), build, embedder, cache_root=cache_root, rebuild=rebuild
    )


def _ask(index: ReportIndex, question: str, doc_id: str | None) -> list[tuple[str, int | None]]:
    from bot.answering import answer

    if doc_id is None:
        result = answer(index, question, k=K)
    else:
        from bot.models import SearchFilter

        result = answer(index, question, k=K, filters=SearchFilter(doc_ids=(doc_id,)))
    return [(p.doc_id, p.page) for p in result.passages]


def score(questions: list[Question], found: list[list[tuple[str, int | None]]]) -> Scores:
    """page@1, page@5, doc@1 and the share declined, over every question."""
    n = max(len(questions), 1)
    page1 = page5 = doc1 = declined = 0
    for q, passages in zip(questions, found, strict=True):
        on_page = [d == q.doc_name and p in q.pages for d, p in passages[:K]]
        page1 += bool(on_page[:1] and on_page[0])
        page5 += any(on_page)
        doc1 += bool(passages and passages[0][0] == q.doc_name)
        declined += not passages
    return Scores(page1 / n, page5 / n, doc1 / n, declined / n)


def run_financebench(
    dataset_dir: Path,
    *,
    embedder: Embedder | None = None,
    model: str | None = None,
    cache_root: Path | None = None,
    rebuild: bool = False,
    within: bool = True,
    progress: Callable[..., Any] | None = None,
) -> FinanceBenchResult:
    """Ask every question over all filings (and within its filing) and score the pages quoted."""
    from bot.config import get_settings
    from bot.embedding import get_embedder

    questions = load_questions(Path(dataset_dir))
    if embedder is None:
        embedder = get_embedder(model or get_settings().model)
    index, index_dir, build_s = build_or_open_index(
        Path(dataset_dir), embedder, cache_root=cache_root, rebuild=rebuild, progress=progress
    )
    known = {d["id"] for d in index.documents()}
    missing = sorted({q.doc_name for q in questions} - known)
    if missing:
        raise DatasetError(f"questions name filings that are not in pdfs/: {', '.join(missing)}")
    found = [_ask(index, q.question, None) for q in questions]
    found_within = [_ask(index, q.question, q.doc_name) for q in questions] if within else None
    info = index.info()
    pages = sum(len(index.document(doc_id)["page_starts"]) or 1 for doc_id in sorted(known))
    return FinanceBenchResult(
        dataset=Path(dataset_dir).resolve().name,
        model=embedder.name,
        questions=len(questions),
        documents=int(info["documents"]),
        chunks=int(info["chunks"]),
        pages=pages,
        collection=score(questions, found),
        within_filing=score(questions, found_within) if found_within is not None else None,
        index_build_s=build_s,
        cached=build_s is None,
        index_dir=str(index_dir),
        settings=_settings(embedder),
        outcomes=[
            QuestionOutcome(
                q.id,
                q.doc_name,
                sorted(q.pages),
                f,
                found_within[i] if found_within is not None else None,
            )
            for i, (q, f) in enumerate(zip(questions, found, strict=True))
        ],
    )
