"""Progress of long work (ingest) that people can watch: a bar, log lines, or a status text.

Ingest reports what it does as `ProgressEvent`s to one callback (`Progress`). This module turns
that stream into what each front end shows:

- `IngestProgress` follows the events and knows the counts, the rate and the time left; its
  `status_text()` is the short text the Telegram front end puts in its status message::

      tracker = IngestProgress()
      ingest(..., progress=tracker)          # from a worker thread
      tracker.status_text()                  # "⏳ embedding: 1,200/9,000 chunks, 85 chunks/s, ~1 min 32 s left"

- `BarProgress` draws a tqdm bar per phase, named (extracting / embedding / writing), for a
  terminal.
- `LogProgress` writes one log line at a steady interval (documents and pages extracted, chunks
  embedded, rate, time left), one when each phase starts and ends, and a warning per document
  that fails, as it fails: for ingest piped into a log file.
- `progress_for(...)` picks one of the two for the command line.

The events are counts so far, never increments, so a late or repeated event cannot skew them.
Counting is thread-safe: ingest runs in a worker thread under Telegram, and `LogProgress` writes
its interval lines from a thread of its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import IO, Any, Literal

log = logging.getLogger(__name__)

Phase = Literal["extracting", "embedding", "writing"]
PHASES: tuple[Phase, ...] = ("extracting", "embedding", "writing")
DEFAULT_INTERVAL = 10.0  # seconds between log lines when not on a terminal
_UNITS: dict[Phase, str] = {"extracting": "doc", "embedding": "chunk", "writing": "step"}


@dataclass(frozen=True)
class ProgressEvent:
    """What ingest has done so far in one phase.

    `done`/`total` count documents while extracting (loading, cleaning, chunking), chunks while
    embedding, and steps while writing the new index. `pages` is the number of pages extracted
    so far (a document without pages counts as one); `source` names the document being
    extracted now, since one long PDF can take minutes. An event with `failed` set reports one
    document that could not be ingested, as (source, one-line reason); its counts are ignored.
    """

    phase: Phase
    done: int = 0
    total: int = 0
    pages: int = 0
    failed: tuple[str, str] | None = None
    source: str = ""


Progress = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class ProgressState:
    """A snapshot of an ingest's progress, as `IngestProgress.state()` returns it."""

    phase: Phase | None  # None before the first event
    documents: int  # documents extracted (failed ones included: they were tried)
    documents_total: int
    pages: int
    source: str  # the document being extracted now ("" when none is)
    chunks: int  # chunks embedded
    chunks_total: int
    steps: int  # writing steps done
    steps_total: int
    failures: tuple[tuple[str, str], ...]
    elapsed: float  # seconds since the first event
    rate: float | None  # pages/s while extracting, chunks/s while embedding
    eta: float | None  # seconds left in the current phase, when it can be estimated

    @property
    def rate_unit(self) -> str:
        return "pages/s" if self.phase == "extracting" else "chunks/s"


class IngestProgress:
    """Follows one ingest's events: counts, rate and time left per phase, and a status text.

    Call it as ingest's `progress` callback. Subclasses show the progress as it changes by
    overriding `on_event` (called after each event has been counted, outside the lock).
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._phase: Phase | None = None
        self._counts: dict[Phase, tuple[int, int]] = {p: (0, 0) for p in PHASES}
        self._pages = 0
        self._source = ""
        self._failures: list[tuple[str, str]] = []
        self._started: float | None = None
        self._phase_started: dict[Phase, float] = {}
        # (time, work done) when the phase's first event came: the rate is measured from there.
        self._phase_base: dict[Phase, tuple[float, int]] = {}
        self._phase_last: dict[Phase, float] = {}  # time of the phase's latest event

    def __call__(self, event: ProgressEvent) -> None:
        now = self._clock()
        with self._lock:
            if self._started is None:
                self._started = now
            if event.failed is not None:
                self._failures.append(event.failed)
            else:
                if event.phase not in self._phase_started:
                    self._phase_started[event.phase] = now
                    self._phase_base[event.phase] = (now, self._work(event))
                self._phase = event.phase
                self._phase_last[event.phase] = now
                self._counts[event.phase] = (event.done, event.total)
                if event.phase == "extracting":
                    self._pages = max(self._pages, event.pages)
                    self._source = event.source if event.done < event.total else ""
        self.on_event(event)

    def on_event(self, event: ProgressEvent) -> None:
        """Hook for subclasses: the event has been counted."""

    @staticmethod
    def _work(event: ProgressEvent) -> int:
        return event.pages if event.phase == "extracting" else event.done

    def state(self) -> ProgressState:
        """The counts, rate and estimate as of now."""
        now = self._clock()
        with self._lock:
            phase = self._phase
            (docs, docs_total), (chunks, chunks_total), (steps, steps_total) = (
                self._counts[p] for p in PHASES
            )
            rate = eta = None
            if phase is not None and phase != "writing":
                # Measured between the phase's first and latest events, so the rate stays put
                # once a phase is over; the estimate counts down between events.
                t0, work0 = self._phase_base[phase]
                last = self._phase_last[phase]
                work = self._pages if phase == "extracting" else chunks
                if last > t0 and work > work0:
                    rate = (work - work0) / (last - t0)
                left = None
                if phase == "embedding" and rate and chunks < chunks_total:
                    left = (chunks_total - chunks) / rate
                elif phase == "extracting" and 0 < docs < docs_total:
                    # Documents differ in size, so the time per document so far is the guide.
                    left = (docs_total - docs) * (last - self._phase_started[phase]) / docs
                if left is not None:
                    eta = max(0.0, left - (now - last))
            return ProgressState(
                phase=phase,
                documents=docs,
                documents_total=docs_total,
                pages=self._pages,
                source=self._source if phase == "extracting" else "",
                chunks=chunks,
                chunks_total=chunks_total,
                steps=steps,
                steps_total=steps_total,
                failures=tuple(self._failures),
                elapsed=0.0 if self._started is None else now - self._started,
                rate=rate,
                eta=eta,
            )

    def status_text(self) -> str:
        """One short line: the phase, its counts, the rate and the time left (plain text)."""
        return "⏳ " + describe(self.state())


def describe(s: ProgressState) -> str:
    """A progress snapshot in words, e.g. `embedding: 1,200/9,000 chunks, 85 chunks/s, ~2 min left`."""
    if s.phase is None:
        return "starting…"
    if s.phase == "extracting":
        parts = [
            f"extracting: {s.documents:,}/{s.documents_total:,} documents, "
            f"{s.pages:,} page{'' if s.pages == 1 else 's'}"
        ]
    elif s.phase == "embedding":
        parts = [f"embedding: {s.chunks:,}/{s.chunks_total:,} chunks"]
    else:
        parts = [f"writing the index: step {s.steps}/{s.steps_total}"]
    if s.rate is not None:
        parts.append(f"{s.rate:,.1f} {s.rate_unit}")
    if s.eta is not None:
        parts.append(f"~{duration(s.eta)} left")
    if s.failures:
        parts.append(f"{len(s.failures)} failed")
    if s.source:
        parts.append(f"now {_short(s.source)}")
    return ", ".join(parts)


def _short(source: str) -> str:
    """A document's file name (a URL stays whole), at most 80 characters."""
    name = source if "://" in source else source.replace("\\", "/").rsplit("/", 1)[-1]
    return name if len(name) <= 80 else name[:79] + "…"


def duration(seconds: float) -> str:
    """Seconds for people: `45 s`, `3 min 05 s`, `1 h 12 min`."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class LogProgress(IngestProgress):
    """Log lines for ingest without a terminal: at every `interval` seconds while the work runs,
    at the start and end of each phase, and a warning for each document that fails.

    Use it as a context manager, so the interval thread stops with the work::

        with LogProgress(interval=10) as progress:
            ingest(..., progress=progress)
    """

    def __init__(
        self,
        *,
        interval: float = DEFAULT_INTERVAL,
        logger: logging.Logger = log,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(clock=clock)
        self.interval = interval
        self.logger = logger
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._shown: ProgressEvent | None = None  # the last phase-boundary event logged

    def __enter__(self) -> LogProgress:
        self._thread = threading.Thread(target=self._tick, name="ingest-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            if self.state().phase is not None:
                self.logger.info("%s", describe(self.state()))

    def on_event(self, event: ProgressEvent) -> None:
        if event.failed is not None:
            source, reason = event.failed
            self.logger.warning("failed: %s: %s", source, reason)
            return
        boundary = event.done == 0 or event.done >= event.total
        last = self._shown
        if boundary and (last is None or (last.phase, last.done) != (event.phase, event.done)):
            self._shown = replace(event)
            self.logger.info("%s", describe(self.state()))


class BarProgress(IngestProgress):
    """A tqdm bar per phase on a terminal, named after the phase; failures printed above it."""

    def __init__(self, *, file: IO[str] | None = None) -> None:
        super().__init__()
        self._file = file
        self._bars: dict[Phase, Any] = {}
        self._closed: set[Phase] = set()

    def __enter__(self) -> BarProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        for bar in self._bars.values():
            bar.close()

    def on_event(self, event: ProgressEvent) -> None:
        from tqdm import tqdm

        if event.failed is not None:
            source, reason = event.failed
            tqdm.write(f"failed: {source}: {reason}", file=self._file)
            return
        if event.phase in self._closed:
            return
        bar = self._bars.get(event.phase)
        if bar is None:
            bar = self._bars[event.phase] = tqdm(
                total=event.total,
                desc=event.phase,
                unit=_UNITS[event.phase],
                file=self._file,
                leave=True,
            )
        bar.total = event.total
        bar.n = event.done
        if event.phase == "extracting":
            bar.set_postfix_str(f"{event.pages:,} pages", refresh=False)
        bar.refresh()
        if event.total and event.done >= event.total:
            bar.close()
            self._closed.add(event.phase)


def progress_for(
    *, quiet: bool, stream: IO[str], interval: float = DEFAULT_INTERVAL
) -> BarProgress | LogProgress | None:
    """What the command line shows on `stream`: a bar on a terminal, log lines elsewhere, or
    nothing with `quiet`. Use the result as a context manager."""
    if quiet:
        return None
    if stream.isatty():
        return BarProgress(file=stream)
    return LogProgress(interval=interval)
