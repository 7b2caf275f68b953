"""Progress of ingest: counts, rate and estimate; log lines when piped; bars on a terminal."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
import time

from bot.progress import (
    BarProgress,
    IngestProgress,
    LogProgress,
    ProgressEvent,
    describe,
    duration,
    progress_for,
)
from tests.conftest import CORPUS, ROOT


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_counts_rate_and_estimate_follow_the_events():
    clock = Clock()
    tracker = IngestProgress(clock=clock)
    assert tracker.state().phase is None
    assert tracker.status_text() == "⏳ starting…"
    tracker(ProgressEvent("extracting", 0, 4, 0))
    clock.now += 10
    tracker(ProgressEvent("extracting", 1, 4, 50))
    state = tracker.state()
    assert (state.documents, state.documents_total, state.pages) == (1, 4, 50)
    assert state.rate == 5.0  # pages/s
    assert state.eta == 30.0  # three documents left at 10 s each
    clock.now += 4  # the estimate counts down between events
    assert tracker.state().eta == 26.0
    tracker(ProgressEvent("extracting", failed=("bad.pdf", "not a PDF")))
    tracker(ProgressEvent("extracting", 4, 4, 80))
    tracker(ProgressEvent("embedding", 0, 1000))
    clock.now += 20
    tracker(ProgressEvent("embedding", 400, 1000))
    state = tracker.state()
    assert state.phase == "embedding"
    assert (state.documents, state.pages, state.chunks, state.chunks_total) == (4, 80, 400, 1000)
    assert state.failures == (("bad.pdf", "not a PDF"),)
    assert state.rate == 20.0 and state.eta == 30.0
    assert tracker.status_text() == (
        "⏳ embedding: 400/1,000 chunks, 20.0 chunks/s, ~30 s left, 1 failed"
    )


def test_the_document_being_extracted_is_named_until_extraction_ends():
    tracker = IngestProgress()
    tracker(ProgressEvent("extracting", 0, 2, 0, source="/data/filings/3M_2018_10K.pdf"))
    assert tracker.status_text() == "⏳ extracting: 0/2 documents, 0 pages, now 3M_2018_10K.pdf"
    url = "https://example.org/" + "r" * 100
    tracker(ProgressEvent("extracting", 1, 2, 130, source=url))
    assert tracker.state().source == url
    assert tracker.status_text().endswith(f"now {url[:79]}…")
    tracker(ProgressEvent("extracting", 2, 2, 150))
    assert tracker.state().source == ""


def test_a_finished_phase_keeps_its_rate_and_has_no_estimate():
    clock = Clock()
    tracker = IngestProgress(clock=clock)
    tracker(ProgressEvent("embedding", 0, 100))
    clock.now += 2
    tracker(ProgressEvent("embedding", 100, 100))
    clock.now += 60
    state = tracker.state()
    assert state.rate == 50.0 and state.eta is None
    tracker(ProgressEvent("writing", 1, 3))
    assert describe(tracker.state()) == "writing the index: step 1/3"


def test_duration_reads_as_people_write_it():
    assert [duration(s) for s in (0.4, 45, 185, 4320)] == [
        "0 s",
        "45 s",
        "3 min 05 s",
        "1 h 12 min",
    ]


def _records(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.progress"]


def test_log_lines_come_at_the_interval_while_nothing_else_happens(caplog):
    caplog.set_level(logging.INFO, logger="bot.progress")
    with LogProgress(interval=0.02) as progress:
        progress(ProgressEvent("extracting", 0, 2, 0))
        time.sleep(0.3)  # one long document: the interval lines still come
    lines = _records(caplog)
    assert lines[0] == "extracting: 0/2 documents, 0 pages"
    assert len(lines) >= 5
    assert all(line.startswith("extracting: 0/2 documents") for line in lines)
    count = len(_records(caplog))
    time.sleep(0.1)
    assert len(_records(caplog)) == count  # the interval thread stopped with the work


def test_log_lines_at_phase_boundaries_and_failures_as_warnings(caplog):
    caplog.set_level(logging.INFO, logger="bot.progress")
    with LogProgress(interval=3600) as progress:
        for event in (
            ProgressEvent("extracting", 0, 2, 0),
            ProgressEvent("extracting", 1, 2, 3),  # mid-phase: left to the interval
            ProgressEvent("extracting", failed=("b.pdf", "encrypted")),
            ProgressEvent("extracting", 2, 2, 3),
            ProgressEvent("embedding", 0, 10),
            ProgressEvent("embedding", 10, 10),
            ProgressEvent("embedding", 10, 10),  # repeated: not logged twice
        ):
            progress(event)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == ["failed: b.pdf: encrypted"]
    lines = [line.split(",")[0] for line in _records(caplog)]
    assert lines == [
        "extracting: 0/2 documents",
        "failed: b.pdf: encrypted",
        "extracting: 2/2 documents",
        "embedding: 0/10 chunks",
        "embedding: 10/10 chunks",
    ]


def test_bars_name_the_phase():
    out = io.StringIO()
    with BarProgress(file=out) as progress:
        progress(ProgressEvent("extracting", 0, 2, 0))
        progress(ProgressEvent("extracting", 2, 2, 7))
        progress(ProgressEvent("embedding", 0, 5))
        progress(ProgressEvent("embedding", 5, 5))
    text = out.getvalue()
    assert "extracting: 100%" in text and "7 pages" in text
    assert "embedding: 100%" in text and "5/5" in text


def test_the_command_line_picks_bar_lines_or_nothing():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(progress_for(quiet=False, stream=Tty()), BarProgress)
    assert isinstance(progress_for(quiet=False, stream=io.StringIO()), LogProgress)
    assert progress_for(quiet=True, stream=Tty()) is None


ARG = "argencon-mission-to-the-united-states"
LINE = re.compile(r"^\S+ \S+ (INFO|WARNING) bot\.progress: (.*)$")


def test_piped_ingest_writes_progress_lines_to_its_log(tmp_path):
    """`reportbot ingest > file 2>&1`: phase lines, interval lines and failures as they happen."""
    log_file = tmp_path / "ingest.log"
    env = {
        **os.environ,
        "REPORTBOT_MODEL": "hash",
        "REPORTBOT_PROGRESS_INTERVAL": "0.01",
        "PYTHONPATH": str(ROOT),
    }
    missing = tmp_path / "missing.pdf"
    with open(log_file, "w") as out:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "ingest",
                "--index-dir",
                str(tmp_path / "index"),
                str(CORPUS),
                str(missing),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
    assert proc.returncode == 1  # one source failed
    text = log_file.read_text()
    lines = [m.groups() for m in map(LINE.match, text.splitlines()) if m]
    messages = [message for _, message in lines]
    assert ("WARNING", f"failed: {missing}: {missing} does not exist.") in lines
    assert f"extracting: 0/3 documents, 0 pages, now {ARG}.txt" in messages
    assert any(
        re.fullmatch(r"extracting: 3/3 documents, 2 pages, [\d.,]+ pages/s, 1 failed", m)
        for m in messages
    )
    assert any(
        re.fullmatch(r"embedding: (\d+)/\1 chunks, [\d.,]+ chunks/s, 1 failed", m) for m in messages
    )
    assert "writing the index: step 3/3, 1 failed" in messages
    phases = [m.split(":")[0] for m in messages if not m.startswith("failed")]
    assert phases == sorted(phases, key=["extracting", "embedding", "writing the index"].index)
    assert text.splitlines()[-1].startswith("2 added, 0 updated, 0 unchanged, 0 removed, 1 failed;")
