"""Answer-or-decline on a question set written by others (the layout of ../shared/eval/squad/).

    dataset/
      corpus/            the reports (any format ingest reads, with .meta.json sidecars)
      questions.jsonl    {"id", "question", "kind", "lang", "answers"[, "doc"]} a line

`kind` is `answerable` (an answer span is in the corpus), `near_topic` (asked about a part of an
indexed report that is not in the corpus) or `off_corpus` (about a report that is not indexed).
`doc`, optional, names the corpus file (its stem) a question is about; `span_problems` checks a
set against its corpus. The corpus goes through the normal ingest (cached like the BEIR runner's indexes) and every
question through the normal `answer()`.

Per language and overall: the answer rate and hit@1 / hit@3 / highlight@1 of the answerable
questions (a declined question counts as a miss: hit@1 is "the first passage shown holds an
answer span"), the share declined of each unanswerable kind, and `answer()` latency.
An answer span matches a passage when it occurs in it after folding case and white space.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.evaluate import DatasetError, cached_index, percentile

if TYPE_CHECKING:
    from bot.embedding import Embedder
    from bot.index import ReportIndex
    from bot.models import Answer

KINDS = ("answerable", "near_topic", "off_corpus")
QUESTIONS_NAME = "questions.jsonl"
CORPUS_NAME = "corpus"


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    kind: str
    lang: str = "en"
    answers: tuple[str, ...] = ()
    doc: str = ""  # the stem of the corpus file the question is about ("" when none)


def is_question_set(path: Path) -> bool:
    """Whether a directory is in this layout (a corpus/ folder and questions.jsonl)."""
    path = Path(path)
    return (path / QUESTIONS_NAME).is_file() and (path / CORPUS_NAME).is_dir()


def load_questions(path: Path) -> list[Question]:
    """The questions of a `questions.jsonl`, refusing malformed lines with their number."""
    out: list[Question] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise DatasetError(f"{path} is missing: a question set needs it") from exc
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path} is not UTF-8 text") from exc
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{lineno} is not valid JSON ({exc.msg})") from exc
        if not isinstance(record, dict) or not str(record.get("question") or "").strip():
            raise DatasetError(f'{path}:{lineno} has no "question"')
        kind = record.get("kind")
        if kind not in KINDS:
            raise DatasetError(f"{path}:{lineno}: kind {kind!r} is not one of {KINDS}")
        answers = tuple(str(a) for a in record.get("answers") or ())
        if kind == "answerable" and not answers:
            raise DatasetError(f"{path}:{lineno}: an answerable question needs answers")
        out.append(
            Question(
                id=str(record.get("id", lineno)),
                question=str(record["question"]),
                kind=kind,
                lang=str(record.get("lang") or "en"),
                answers=answers,
                doc=str(record.get("doc") or ""),
            )
        )
    return out


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def holds(text: str, answers: Iterable[str]) -> bool:
    """Whether any answer span occurs in `text` (case and white space folded)."""
    folded = _norm(text)
    return any(_norm(a) and _norm(a) in folded for a in answers)


def span_problems(questions: Sequence[Question], chunks: Mapping[str, Sequence[str]]) -> list[str]:
    """What is wrong with a question set against its corpus, one sentence per problem.

    `chunks` maps each corpus file's stem to its chunks' text, as ingest stores them. An
    answerable question names its `doc`, every answer span occurs in that document and at least
    one within a single chunk (else no passage can ever hold it); a near_topic question names its
    `doc` and has no spans; an off_corpus one has neither. Ids are unique.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for q in questions:
        where = f"{q.id} ({q.question[:60]!r})"
        if q.id in seen:
            problems.append(f"{where}: the id is used twice")
        seen.add(q.id)
        if q.kind == "off_corpus":
            if q.doc or q.answers:
                problems.append(f"{where}: an off_corpus question names no doc and no answers")
            continue
        if q.doc not in chunks:
            problems.append(f"{where}: doc {q.doc!r} is not a file of the corpus")
            continue
        if q.kind == "near_topic":
            if q.answers:
                problems.append(f"{where}: a near_topic question has no answers")
            continue
        parts = chunks[q.doc]
        whole = " ".join(parts)  # a span may run across a chunk boundary
        missing = [a for a in q.answers if not holds(whole, [a])]
        if missing:
            problems.append(f"{where}: {missing!r} not in {q.doc}")
        elif not any(holds(part, q.answers) for part in parts):
            problems.append(f"{where}: no answer span lies within one chunk of {q.doc}")
    return problems


@dataclass
class Outcome:
    """One question's result, as the metrics see it."""

    kind: str
    lang: str
    found: bool
    hit_ranks: tuple[bool, ...] = ()  # per passage shown: holds an answer span
    highlight_hit: bool = False  # the first passage's highlighted sentence holds one
    ms: float = 0.0


def outcome(question: Question, result: Answer, ms: float = 0.0) -> Outcome:
    found = result.status == "found" and bool(result.passages)
    ranks = tuple(holds(p.quote, question.answers) for p in result.passages) if found else ()
    highlight = found and holds(result.passages[0].highlight, question.answers)
    return Outcome(question.kind, question.lang, found, ranks, highlight, ms)


@dataclass
class Scores:
    questions: int = 0
    answerable: int = 0
    answer_rate: float | None = None
    hit_at_1: float | None = None
    hit_at_3: float | None = None
    highlight_at_1: float | None = None
    near_topic: int = 0
    near_topic_declined: float | None = None
    off_corpus: int = 0
    off_corpus_declined: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None


def score(outcomes: Sequence[Outcome]) -> Scores:
    """The metrics over some outcomes (None where a kind is absent)."""
    s = Scores(questions=len(outcomes))
    answerable = [o for o in outcomes if o.kind == "answerable"]
    if answerable:
        n = len(answerable)
        s.answerable = n
        s.answer_rate = sum(o.found for o in answerable) / n
        s.hit_at_1 = sum(bool(o.hit_ranks[:1]) and o.hit_ranks[0] for o in answerable) / n
        s.hit_at_3 = sum(any(o.hit_ranks[:3]) for o in answerable) / n
        s.highlight_at_1 = sum(o.highlight_hit for o in answerable) / n
    for kind in ("near_topic", "off_corpus"):
        group = [o for o in outcomes if o.kind == kind]
        if group:
            setattr(s, kind, len(group))
            setattr(s, f"{kind}_declined", sum(not o.found for o in group) / len(group))
    if outcomes:
        times = [o.ms for o in outcomes]
        s.latency_p50_ms = percentile(times, 50)
        s.latency_p95_ms = percentile(times, 95)
    return s


@dataclass
class QuestionSetResult:
    dataset: str
    model: str
    documents: int
    chunks: int
    overall: Scores
    by_language: dict[str, Scores]
    index_build_s: float | None = None
    cached: bool = False
    index_dir: str = ""
    total: int = 0  # questions in the set (`overall.questions` were asked)
    outcomes: list[Outcome] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("outcomes")
        return data


def corpus_hash(corpus_dir: Path) -> str:
    """sha256 over the corpus folder's file names and bytes, in name order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(corpus_dir).rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(corpus_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def subsample(questions: list[Question], limit: int | None, lang: str | None) -> list[Question]:
    """Every question of `lang` (all when None), then at most `limit`, spread evenly."""
    chosen = [q for q in questions if lang is None or q.lang == lang]
    if limit is not None and 0 < limit < len(chosen):
        step = len(chosen) / limit
        chosen = [chosen[int(i * step)] for i in range(limit)]
    return chosen


def open_question_set_index(
    dataset_dir: Path,
    embedder: Embedder,
    *,
    cache_root: Path | None = None,
    rebuild: bool = False,
    progress: Callable[..., Any] | None = None,
) -> tuple[ReportIndex, Path, float | None]:
    """The cached index of `dataset_dir/corpus`, built through the normal ingest if needed."""
    from bot.ingest import ingest

    corpus = Path(dataset_dir) / CORPUS_NAME

    def build(index_dir: Path) -> None:
        report = ingest(index_dir, [corpus], embedder=embedder, progress=progress)
        if report.failed:
            raise DatasetError(f"{len(report.failed)} corpus files failed to ingest")

    name = Path(dataset_dir).resolve().name
    return cached_index(
        name, corpus_hash(corpus), build, embedder, cache_root=cache_root, rebuild=rebuild
    )


def run_question_set(
    dataset_dir: Path,
    *,
    embedder: Embedder | None = None,
    model: str | None = None,
    cache_root: Path | None = None,
    rebuild: bool = False,
    limit: int | None = None,
    lang: str | None = None,
    progress: Callable[..., Any] | None = None,
) -> QuestionSetResult:
    """Ingest `dataset_dir/corpus` (cached), ask every question through `answer()`, score."""
    from bot.answering import answer
    from bot.config import get_settings
    from bot.embedding import get_embedder
    from bot.errors import InvalidQuestion

    dataset_dir = Path(dataset_dir)
    if not is_question_set(dataset_dir):
        raise DatasetError(f"{dataset_dir} has no {CORPUS_NAME}/ folder and {QUESTIONS_NAME}")
    questions = load_questions(dataset_dir / QUESTIONS_NAME)
    asked = subsample(questions, limit, lang)
    if embedder is None:
        embedder = get_embedder(model or get_settings().model)
    name = dataset_dir.resolve().name
    index, index_dir, build_s = open_question_set_index(
        dataset_dir, embedder, cache_root=cache_root, rebuild=rebuild, progress=progress
    )
    if asked:  # one untimed question: loads the model and warms the caches
        answer(index, asked[0].question)
    outcomes: list[Outcome] = []
    for q in asked:
        start = time.perf_counter()
        try:
            result = answer(index, q.question)
        except InvalidQuestion:
            from bot.models import Answer

            result = Answer(q.question, "not_found", [])
        outcomes.append(outcome(q, result, (time.perf_counter() - start) * 1000))
    info = index.info()
    langs = sorted({o.lang for o in outcomes})
    return QuestionSetResult(
        dataset=name,
        model=embedder.name,
        documents=int(info["documents"]),
        chunks=int(info["chunks"]),
        overall=score(outcomes),
        by_language={la: score([o for o in outcomes if o.lang == la]) for la in langs},
        index_build_s=build_s,
        cached=build_s is None,
        index_dir=str(index_dir),
        total=len(questions),
        outcomes=outcomes,
    )


def render(result: QuestionSetResult) -> list[str]:
    """The figures as lines of text: one column per language and one for all."""
    r = result
    build = "cached index" if r.cached else f"built in {r.index_build_s:.0f} s"
    asked = f", {r.overall.questions:,} asked" if r.overall.questions != r.total else ""
    lines = [
        f"{r.dataset}: {r.total:,} questions{asked}, {r.documents:,} documents, "
        f"{r.chunks:,} chunks ({build})"
    ]
    columns = [*r.by_language.items(), ("all", r.overall)]
    lines.append(f"  {'':<22}" + "".join(f"{name:>9}" for name, _ in columns))
    rows = [
        ("answerable questions", "answerable", "{:,}"),
        ("answer rate", "answer_rate", "{:.3f}"),
        ("hit@1", "hit_at_1", "{:.3f}"),
        ("hit@3", "hit_at_3", "{:.3f}"),
        ("highlight@1", "highlight_at_1", "{:.3f}"),
        ("near-topic questions", "near_topic", "{:,}"),
        ("near-topic declined", "near_topic_declined", "{:.3f}"),
        ("off-corpus questions", "off_corpus", "{:,}"),
        ("off-corpus declined", "off_corpus_declined", "{:.3f}"),
        ("answer p50 ms", "latency_p50_ms", "{:.1f}"),
        ("answer p95 ms", "latency_p95_ms", "{:.1f}"),
    ]
    for label, attr, fmt in rows:
        cells = []
        for _, s in columns:
            value = getattr(s, attr)
            cells.append(f"{'-' if value is None else fmt.format(value):>9}")
        lines.append(f"  {label:<22}" + "".join(cells))
    return lines
