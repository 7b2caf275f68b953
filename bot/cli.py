"""The `reportbot` command line. Each command parses, calls one library function, renders."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable
from contextlib import nullcontext
from functools import wraps
from pathlib import Path
from typing import Any

import click

from bot.config import Settings, get_settings
from bot.errors import ReportbotError
from bot.models import DocumentMeta, SearchFilter
from bot.progress import DEFAULT_INTERVAL, BarProgress, LogProgress, progress_for


def _settings(index_dir: Path | None, index: str | None = None) -> Settings:
    """The settings with the command line's index: a URL (`--index`) or a directory."""
    settings = get_settings()
    if index:
        return settings.model_copy(update={"index": index})
    if index_dir:  # a directory given on the command line wins over REPORTBOT_INDEX
        return settings.model_copy(update={"index_dir": index_dir, "index": ""})
    return settings


def _embedder(settings: Settings):
    from bot.embedding import get_embedder

    return get_embedder(settings.model)


def _open(settings: Settings):
    from bot.index import ReportIndex

    return ReportIndex.open(settings.location, _embedder(settings))


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


def domain_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Domain errors (bad input, missing index...) become one-line messages, no traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ReportbotError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


def command(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Shared options (--index-dir, --index, giving the command `settings`), `domain_errors`."""

    @click.option(
        "--index",
        "index_url",
        metavar="URL",
        help="A PostgreSQL index, postgresql://user@host/db, instead of the directory "
        "[env REPORTBOT_INDEX].",
    )
    @click.option(
        "--index-dir",
        type=click.Path(path_type=Path, file_okay=False),
        envvar="REPORTBOT_INDEX_DIR",
        help="Index directory [env REPORTBOT_INDEX_DIR; default index/].",
    )
    @wraps(fn)
    @domain_errors
    def wrapper(
        *args: Any, index_dir: Path | None = None, index_url: str | None = None, **kwargs: Any
    ) -> Any:
        return fn(*args, settings=_settings(index_dir, index_url), **kwargs)

    return wrapper


def json_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The same `--json` flag on every command (as `as_json`): `what` is printed as JSON."""
    return click.option("--json", "as_json", is_flag=True, help=f"Print {what} as JSON.")


_DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")


def _iso_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    if not value:
        return ""
    if not _DATE.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD.")
    return value


def filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--doc (repeatable), --publisher, --since, --until, given to the command as `filters`."""

    @click.option(
        "--doc", "doc_ids", multiple=True, metavar="ID", help="Only this document (repeatable)."
    )
    @click.option("--publisher", default="", help="Only documents from this publisher.")
    @click.option(
        "--since", default="", callback=_iso_date, help="Only documents dated on or after (ISO)."
    )
    @click.option(
        "--until", default="", callback=_iso_date, help="Only documents dated on or before (ISO)."
    )
    @wraps(fn)
    def wrapper(
        *args: Any,
        doc_ids: tuple[str, ...],
        publisher: str,
        since: str,
        until: str,
        **kwargs: Any,
    ) -> Any:
        filters = SearchFilter(doc_ids, publisher.strip(), since, until)
        return fn(*args, filters=filters, **kwargs)

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


def _progress(quiet: bool, interval: float = DEFAULT_INTERVAL) -> BarProgress | LogProgress | None:
    """A bar on a terminal (stderr), progress log lines when piped, nothing with --quiet."""
    shown = progress_for(quiet=quiet, stream=sys.stderr, interval=interval)
    if isinstance(shown, LogProgress):
        logging.getLogger(shown.logger.name).setLevel(logging.INFO)  # at any -v level
    return shown


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
@click.option(
    "--ray",
    "ray_address",
    metavar="ADDRESS",
    help="Extract and embed on a Ray cluster (host:6379, ray://host:10001, auto, or local).",
)
@click.option(
    "--ray-workers",
    type=click.IntRange(min=1),
    help="Ray extraction tasks and embedding actors at once [default: the cluster's CPUs].",
)
@json_option("the report")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar (or, piped, no progress lines).")
@click.option(
    "--progress-interval",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_INTERVAL,
    show_default=True,
    envvar="REPORTBOT_PROGRESS_INTERVAL",
    help="Seconds between progress lines when not on a terminal [env REPORTBOT_PROGRESS_INTERVAL].",
)
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
    ray_address,
    ray_workers,
    as_json,
    quiet,
    progress_interval,
    settings,
) -> None:
    """Add or update documents (files, folders, http(s) URLs); default corpus/.

    Unchanged documents are skipped, so re-running costs no embedding work.
    With --ray, extraction and embedding run on a Ray cluster (pip install
    'reportbot[cluster]'); the index is written and published here, as without it.

    \b
    Example:
      reportbot ingest corpus/ https://example.org/report.pdf
      reportbot ingest --ray local corpus/
    """
    from bot.ingest import ingest as run_ingest

    if ray_workers and not ray_address:
        raise click.UsageError("--ray-workers needs --ray ADDRESS.")
    runner = None
    if ray_address:
        from bot.cluster import RayRunner

        runner = RayRunner.connect(ray_address, settings.model, workers=ray_workers)
    meta = DocumentMeta(title, publisher, author, date, doc_url)
    with _progress(quiet, progress_interval) or nullcontext() as progress:
        report = run_ingest(
            settings.location,
            list(sources) or ["corpus/"],
            embedder=_embedder(settings),
            meta=meta if any((title, publisher, author, date, doc_url)) else None,
            rebuild=rebuild,
            sync=sync,
            rebuild_on_mismatch=rebuild_on_mismatch,
            progress=progress,
            max_bytes=settings.max_file_bytes,
            fetch_timeout=settings.fetch_timeout,
            allow_private=settings.allow_private_urls,
            runner=runner,
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
@json_option("the report")
@command
def remove(doc_ids, as_json, settings) -> None:
    """Remove documents, with their chunks and vectors, by id.

    \b
    Example:
      reportbot remove techloy-argentina-wants-to-be-an-ai-hub
    """
    from bot.ingest import remove as run_remove

    report = run_remove(settings.location, doc_ids, embedder=_embedder(settings))
    _emit(report.to_dict()) if as_json else click.echo(report.summary())


@cli.command()
@json_option("the result")
@command
def verify(as_json, settings) -> None:
    """Check that every chunk has one vector and every vector one chunk; exit 1 if not.

    \b
    Example:
      reportbot verify
    """
    from bot.index import verify as run_verify
    from bot.terminal import render_verify

    result = run_verify(settings.location)
    if as_json:
        _emit(result.to_dict())
    else:
        for problem in result.problems:
            click.echo(f"problem: {problem}", err=True)
        click.echo(render_verify(result))
    if not result.ok:
        sys.exit(1)


@cli.command()
@click.argument("question")
@click.option("-k", "k", default=3, show_default=True, help="Number of passages.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (JSON lines with -).")
@filter_options
@command
def ask(question, k, as_json, filters, settings) -> None:
    """Answer a question with verbatim quotes; `-` reads one question per line from stdin.

    \b
    Examples:
      reportbot ask "How many GPUs does the Córdoba lab have?"
      reportbot ask --doc argencon-mission-to-the-united-states "Who leads Argencon?"
      reportbot ask --json - < questions.txt
    """
    from bot.answering import answer
    from bot.terminal import render_answer

    index = _open(settings)
    color = sys.stdout.isatty()
    _each_line(
        question,
        lambda text: answer(
            index, text, k=k, max_chars=settings.max_question_chars, filters=filters
        ),
        lambda result: render_answer(result, color=color),
        as_json=as_json,
        key="question",
    )


@cli.command()
@click.argument("doc_id")
@json_option("the document")
@command
def show(doc_id, as_json, settings) -> None:
    """Print a document's metadata and cleaned text.

    \b
    Example:
      reportbot show techloy-argentina-wants-to-be-an-ai-hub
    """
    from bot.terminal import render_document

    index = _open(settings)
    info, text = index.document_info(doc_id), index.document(doc_id)["text"]
    _emit({**info.to_dict(), "text": text}) if as_json else click.echo(render_document(info, text))


@cli.command()
@json_option("the list")
@command
def sources(as_json, settings) -> None:
    """List the indexed documents with their chunk counts.

    \b
    Example:
      reportbot sources --json
    """
    from bot.terminal import render_sources

    docs = _open(settings).documents()
    _emit(docs) if as_json else click.echo(render_sources(docs))


@cli.command()
@click.argument("claim")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (JSON lines with -).")
@filter_options
@command
def check(claim, as_json, filters, settings) -> None:
    """Check a claim's figures against the reports; `-` reads one claim per line from stdin.

    \b
    Examples:
      reportbot check "Knowledge exports reached \\$12 billion in July 2024 - June 2025"
      reportbot check --since 2025 --json - < claims.txt
    """
    from bot.factcheck import check as check_claim
    from bot.terminal import render_verdict

    index = _open(settings)
    _each_line(
        claim,
        lambda text: check_claim(
            index, text, max_chars=settings.max_question_chars, filters=filters
        ),
        render_verdict,
        as_json=as_json,
        key="claim",
    )


@cli.command()
@click.argument("doc_id", required=False)
@json_option("the figures")
@command
def figures(doc_id, as_json, settings) -> None:
    """List every figure in a report (or in all reports) with the sentence it comes from.

    \b
    Example:
      reportbot figures techloy-argentina-wants-to-be-an-ai-hub
    """
    from bot.factcheck import list_figures
    from bot.terminal import render_figures

    rows = list_figures(_open(settings), doc_id)
    _emit(rows) if as_json else click.echo(render_figures(rows))


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
    from bot.terminal import render_answer, render_source_list

    index = _open(settings)
    color = sys.stdout.isatty()

    def ask_one(text: str) -> str:
        try:
            return render_answer(
                answer(index, text, max_chars=settings.max_question_chars), color=color
            )
        except ReportbotError as exc:
            return str(exc)

    chat_loop(
        ask_one,
        intro=f"reportbot: ask about {len(index.documents())} reports. "
        "/sources lists them, /quit or Ctrl-D leaves.",
        commands={
            "/sources": lambda: render_source_list(index.documents()),
            "/help": lambda: "Type a question; /sources, /quit.",
        },
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
        click.get_current_context().invoke(
            chat, index_dir=settings.index_dir, index_url=settings.index or None
        )
        return
    from bot.telegram.app import run_bot

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
@json_option("the figures")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar (or, piped, no progress lines).")
@click.option("--sample", type=int, help="Question sets: ask at most this many, spread evenly.")
@click.option("--lang", help="Question sets: ask only the questions in this language (en, es).")
@domain_errors
def eval_(
    dataset_dir, split, mode, rebuild, cache_dir, model, as_json, quiet, sample, lang
) -> None:
    """Score retrieval on a BEIR dataset, or answer-or-decline on a question set.

    A folder with corpus/ and questions.jsonl is a question set (answer rate, hit@1/3,
    highlight@1, share declined, per language); one with corpus.jsonl is BEIR (nDCG@10,
    Recall@10/100, MRR@10). Both report latency.

    A FinanceBench directory (questions.jsonl and pdfs/) is scored by page@1, page@5, doc@1 and
    the share declined, over all filings and within the named filing.

    \b
    Example:
      reportbot eval ../shared/eval/scifact --split test --mode hybrid
      reportbot eval ../shared/eval/squad --lang es
      reportbot eval ../shared/eval/financebench
    """
    from bot.evaluate import run_eval, squad
    from bot.evaluate.financebench import is_financebench, run_financebench
    from bot.terminal import render_eval, render_financebench

    if is_financebench(dataset_dir):
        with _progress(quiet) or nullcontext() as progress:
            pages = run_financebench(
                dataset_dir, model=model, cache_root=cache_dir, rebuild=rebuild, progress=progress
            )
        _emit(pages.to_dict()) if as_json else click.echo(render_financebench(pages))
        return
    if squad.is_question_set(dataset_dir):
        with _progress(quiet) or nullcontext() as progress:
            found = squad.run_question_set(
                dataset_dir,
                model=model,
                cache_root=cache_dir,
                rebuild=rebuild,
                limit=sample,
                lang=lang,
                progress=progress,
            )
        _emit(found.to_dict()) if as_json else click.echo("\n".join(squad.render(found)))
        return
    with _progress(quiet) or nullcontext() as progress:
        result = run_eval(
            dataset_dir,
            split,
            mode,
            model=model,
            cache_root=cache_dir,
            rebuild=rebuild,
            progress=progress,
        )
    _emit(result.to_dict()) if as_json else click.echo(render_eval(result))


def main() -> None:
    cli(prog_name="reportbot")


if __name__ == "__main__":
    main()
