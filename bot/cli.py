"""The `reportbot` command line. Each command parses, calls one library function, renders."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from bot.config import Settings, get_settings
from bot.errors import ReportbotError
from bot.models import DocumentMeta


def _settings(index_dir: Path | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"index_dir": index_dir}) if index_dir else settings


def _embedder(settings: Settings):
    from bot.embedding import get_embedder

    return get_embedder(settings.model)


def _open(settings: Settings):
    from bot.index import ReportIndex

    return ReportIndex.open(settings.index_dir, _embedder(settings))


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


def command(fn: Callable) -> Callable:
    """Shared options (--index-dir), and domain errors turned into one-line messages."""

    @click.option(
        "--index-dir",
        type=click.Path(path_type=Path, file_okay=False),
        envvar="REPORTBOT_INDEX_DIR",
        help="Index directory [env REPORTBOT_INDEX_DIR; default index/].",
    )
    @wraps(fn)
    def wrapper(*args, index_dir: Path | None = None, **kwargs):
        try:
            return fn(*args, settings=_settings(index_dir), **kwargs)
        except ReportbotError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


def _each_line(
    arg: str,
    run: Callable[[str], Any],
    render: Callable[[Any], str],
    *,
    as_json: bool,
    key: str,
) -> None:
    """Run one input, or with `-` every non-empty stdin line (an error line per bad one)."""
    batch = arg == "-"
    for line in sys.stdin if batch else [arg]:
        if batch and not line.strip():
            continue
        try:
            result = run(line)
        except ReportbotError as exc:
            if not batch:
                raise
            if as_json:
                _emit({key: line.strip(), "status": "error", "error": str(exc)})
            else:
                click.echo(f"error: {exc}\n")
            continue
        if as_json:
            _emit(result.to_dict())
        else:
            click.echo(render(result) + ("\n" if batch else ""))


def _progress(quiet: bool) -> Callable[[str, int, int], None] | None:
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(
                total=total, desc=stage, unit="doc" if stage == "reading" else "chunk", leave=True
            )
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reportbot")
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Answer questions about a collection of reports by quoting them, with citations.

    \b
    Quick start:
      reportbot ingest corpus/
      reportbot ask "How many GPUs does the Córdoba lab have?"
    """
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "telegram.request", "sentence_transformers", "transformers"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


@cli.command()
@click.argument("sources", nargs=-1)
@click.option("--rebuild", is_flag=True, help="Rebuild the index from scratch.")
@click.option("--sync", is_flag=True, help="Also remove documents deleted from the given folders.")
@click.option(
    "--rebuild-on-mismatch",
    is_flag=True,
    help="Rebuild automatically if the index was built with other settings.",
)
@click.option("--title", default="", help="Title for a single document (overrides metadata).")
@click.option("--publisher", default="", help="Publisher for a single document.")
@click.option("--author", default="", help="Author for a single document.")
@click.option("--date", default="", help="Publication date for a single document.")
@click.option("--url", "doc_url", default="", help="Publication URL for a single document.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@command
def ingest(
    sources,
    rebuild,
    sync,
    rebuild_on_mismatch,
    title,
    publisher,
    author,
    date,
    doc_url,
    as_json,
    quiet,
    settings,
) -> None:
    """Add or update documents (files, folders, http(s) URLs); default corpus/.

    Unchanged documents are skipped, so re-running costs no embedding work.

    \b
    Example:
      reportbot ingest corpus/ https://example.org/report.pdf
    """
    from bot.ingest import ingest as run_ingest

    meta = DocumentMeta(title, publisher, author, date, doc_url)
    report = run_ingest(
        settings.index_dir,
        list(sources) or ["corpus/"],
        embedder=_embedder(settings),
        meta=meta if any((title, publisher, author, date, doc_url)) else None,
        rebuild=rebuild,
        sync=sync,
        rebuild_on_mismatch=rebuild_on_mismatch,
        progress=_progress(quiet),
        max_bytes=settings.max_file_bytes,
        fetch_timeout=settings.fetch_timeout,
        allow_private=settings.allow_private_urls,
    )
    if as_json:
        _emit(report.to_dict())
    else:
        for source, reason in report.failed:
            click.echo(f"failed: {source}: {reason}", err=True)
        click.echo(report.summary())
    if report.failed:
        sys.exit(1)


@cli.command()
@click.argument("doc_ids", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@command
def remove(doc_ids, as_json, settings) -> None:
    """Remove documents, with their chunks and vectors, by id.

    \b
    Example:
      reportbot remove techloy-argentina-wants-to-be-an-ai-hub
    """
    from bot.ingest import remove as run_remove

    report = run_remove(settings.index_dir, doc_ids, embedder=_embedder(settings))
    _emit(report.to_dict()) if as_json else click.echo(report.summary())


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@command
def verify(as_json, settings) -> None:
    """Check that every chunk has one vector and every vector one chunk; exit 1 if not.

    \b
    Example:
      reportbot verify
    """
    from bot.index import REBUILD_HINT
    from bot.index import verify as run_verify

    result = run_verify(settings.index_dir)
    if as_json:
        _emit(result)
    else:
        click.echo(
            f"generation {result['generation']}: {result['documents']} documents, "
            f"{result['chunks']} chunks, {result['vectors']} vectors, model {result['model']}"
        )
        for problem in result["problems"]:
            click.echo(f"problem: {problem}", err=True)
        click.echo("ok" if result["ok"] else f"INCONSISTENT: {REBUILD_HINT}")
    if not result["ok"]:
        sys.exit(1)


@cli.command()
@click.argument("question")
@click.option("-k", "k", default=3, show_default=True, help="Number of passages.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (JSON lines with -).")
@command
def ask(question, k, as_json, settings) -> None:
    """Answer a question with verbatim quotes; `-` reads one question per line from stdin.

    \b
    Examples:
      reportbot ask "How many GPUs does the Córdoba lab have?"
      reportbot ask --json - < questions.txt
    """
    from bot.answering import answer
    from bot.terminal import render_answer

    index = _open(settings)
    color = sys.stdout.isatty()
    _each_line(
        question,
        lambda text: answer(index, text, k=k, max_chars=settings.max_question_chars),
        lambda result: render_answer(result, color=color),
        as_json=as_json,
        key="question",
    )


@cli.command()
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True, help="Print the document as JSON.")
@command
def show(doc_id, as_json, settings) -> None:
    """Print a document's metadata and cleaned text.

    \b
    Example:
      reportbot show techloy-argentina-wants-to-be-an-ai-hub
    """
    from bot.store import document

    index = _open(settings)
    info = document(index.db, doc_id)
    text = index.document(doc_id)["text"]
    if as_json:
        _emit({**info.to_dict(), "text": text})
        return
    for key in ("id", "title", "publisher", "author", "date", "url", "format", "source"):
        value = getattr(info, key)
        origin = info.found.get(key)
        click.echo(f"{key + ':':13}{value}" + (f"  (from {origin})" if value and origin else ""))
    size = f"{info.pages} pages, " if info.pages else ""
    click.echo(f"{'size:':13}{size}{info.chunks} chunks")
    click.echo(f"{'ingested_at:':13}{info.ingested_at}")
    click.echo("\n" + text)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@command
def sources(as_json, settings) -> None:
    """List the indexed documents with their chunk counts.

    \b
    Example:
      reportbot sources --json
    """
    docs = _open(settings).documents()
    if as_json:
        _emit(docs)
        return
    for d in docs:
        by = ", ".join(x for x in (d["publisher"], d["author"]) if x)
        click.echo(f"{d['id']}\n    {d['title']} — {by} ({d['chunks']} chunks, {d['format']})")
    if not docs:
        click.echo("The index is empty; add reports with `reportbot ingest PATH`.")


@cli.command()
@click.argument("claim")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (JSON lines with -).")
@command
def check(claim, as_json, settings) -> None:
    """Check a claim's figures against the reports; `-` reads one claim per line from stdin.

    \b
    Examples:
      reportbot check "Knowledge exports reached \\$12 billion in July 2024 - June 2025"
      reportbot check --json - < claims.txt
    """
    from bot.factcheck import check as check_claim

    index = _open(settings)
    _each_line(
        claim,
        lambda text: check_claim(index, text, max_chars=settings.max_question_chars),
        lambda v: f"{v.verdict.upper().replace('_', ' ')}: {v.explanation}",
        as_json=as_json,
        key="claim",
    )


@cli.command()
@click.argument("doc_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@command
def figures(doc_id, as_json, settings) -> None:
    """List every figure in a report (or in all reports) with the sentence it comes from.

    \b
    Example:
      reportbot figures techloy-argentina-wants-to-be-an-ai-hub
    """
    from bot.factcheck import list_figures

    rows = list_figures(_open(settings), doc_id)
    if as_json:
        _emit(rows)
        return
    for row in rows:
        click.echo(f"{row['doc_id']} [{row['start']}] {row['text']}  ({row['kind']})")
        click.echo(f"    {row['sentence']}")
    if not rows:
        click.echo("No figures found.")


@cli.command()
@command
def chat(settings) -> None:
    """Interactive chat in the terminal (reads questions until EOF; works piped).

    \b
    Example:
      echo "Who leads Argencon?" | reportbot chat
    """
    from bot.answering import answer
    from bot.terminal import chat as chat_loop
    from bot.terminal import render_answer

    index = _open(settings)
    color = sys.stdout.isatty()

    def ask_one(text: str) -> str:
        try:
            return render_answer(
                answer(index, text, max_chars=settings.max_question_chars), color=color
            )
        except ReportbotError as exc:
            return str(exc)

    def list_sources() -> str:
        return "\n".join(f"- {d['title']} ({d['publisher']})" for d in index.documents())

    chat_loop(
        ask_one,
        intro=f"reportbot: ask about {len(index.documents())} reports. "
        "/sources lists them, /quit or Ctrl-D leaves.",
        commands={"/sources": list_sources, "/help": lambda: "Type a question; /sources, /quit."},
    )


@cli.command()
@command
def run(settings) -> None:
    """Run the bot: Telegram when TELEGRAM_BOT_TOKEN is set, else the terminal chat.

    \b
    Example:
      TELEGRAM_BOT_TOKEN=123:abc reportbot run
    """
    if settings.telegram_bot_token is None:
        click.echo("TELEGRAM_BOT_TOKEN is not set: starting the terminal chat.", err=True)
        click.get_current_context().invoke(chat, index_dir=settings.index_dir)
        return
    from bot.telegram_bot import run_bot

    run_bot(settings)


@cli.command("eval")
@click.argument("dataset_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--split", default="test", show_default=True, help="Which qrels/<split>.tsv.")
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "dense", "lexical"]),
    default="hybrid",
    show_default=True,
    help="Retrieval to score.",
)
@click.option("--rebuild", is_flag=True, help="Rebuild the cached index of the corpus.")
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where eval indexes are cached [env REPORTBOT_EVAL_CACHE; ~/.cache/reportbot/eval].",
)
@click.option(
    "--model",
    help="Embedding model to evaluate, e.g. all-MiniLM-L6-v2+onnx-int8 [env REPORTBOT_MODEL].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
def eval_(dataset_dir, split, mode, rebuild, cache_dir, model, as_json, quiet) -> None:
    """Score retrieval on a BEIR-layout dataset: nDCG@10, Recall@10/100, MRR@10, latency.

    A FinanceBench directory (questions.jsonl and pdfs/) is scored by page@1, page@5, doc@1 and
    the share declined, over all filings and within the named filing.

    \b
    Example:
      reportbot eval ../shared/eval/scifact --split test --mode hybrid
      reportbot eval ../shared/eval/financebench
    """
    from bot.evaluate import run_eval
    from bot.evaluate.financebench import is_financebench

    if is_financebench(dataset_dir):
        _eval_financebench(dataset_dir, rebuild, cache_dir, model, as_json, quiet)
        return
    try:
        result = run_eval(
            dataset_dir,
            split,
            mode,
            model=model,
            cache_root=cache_dir,
            rebuild=rebuild,
            progress=_progress(quiet),
        )
    except ReportbotError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        _emit(result.to_dict())
        return
    r = result
    click.echo(
        f"{r.dataset} {r.split}, {r.mode}: {r.queries:,} queries, {r.documents:,} documents, "
        f"{r.chunks:,} chunks ({'cached index' if r.cached else f'built in {r.index_build_s:.0f} s'})"
    )
    for label, value in (
        ("nDCG@10", r.ndcg_at_10),
        ("Recall@10", r.recall_at_10),
        ("Recall@100", r.recall_at_100),
        ("MRR@10", r.mrr_at_10),
    ):
        click.echo(f"  {label:<11} {value:.3f}")
    click.echo(f"  search      p50 {r.latency_p50_ms:.1f} ms, p95 {r.latency_p95_ms:.1f} ms")
    if r.answer_p50_ms is not None:
        click.echo(f"  answer      p50 {r.answer_p50_ms:.1f} ms, p95 {r.answer_p95_ms:.1f} ms")


def _eval_financebench(dataset_dir, rebuild, cache_dir, model, as_json, quiet) -> None:
    from bot.evaluate.financebench import run_financebench

    try:
        result = run_financebench(
            dataset_dir,
            model=model,
            cache_root=cache_dir,
            rebuild=rebuild,
            progress=_progress(quiet),
        )
    except ReportbotError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        _emit(result.to_dict())
        return
    r = result
    click.echo(
        f"{r.dataset}: {r.questions} questions, {r.documents} filings, {r.pages:,} pages, "
        f"{r.chunks:,} chunks ({'cached index' if r.cached else f'built in {r.index_build_s:.0f} s'})"
    )
    rows = [("all filings", r.collection), ("within the filing", r.within_filing)]
    for label, s in rows:
        if s is None:
            click.echo(f"  {label:<18} not measured (answer() takes no filters)")
            continue
        click.echo(
            f"  {label:<18} page@1 {s.page_at_1:.3f}  page@5 {s.page_at_5:.3f}  "
            f"doc@1 {s.doc_at_1:.3f}  declined {s.declined:.3f}"
        )


def main() -> None:
    cli(prog_name="reportbot")


if __name__ == "__main__":
    main()
