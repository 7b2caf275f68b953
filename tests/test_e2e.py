"""End to end with the real bundled model: the product's promises on the two reports."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.answering import answer
from bot.factcheck import check
from bot.index import ReportIndex, current_generation, verify
from bot.ingest import ingest
from tests.questions import ANSWERABLE, UNANSWERABLE, first_passage_matches
from tests.test_cleaning import BOILERPLATE

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parent.parent
GPU_SENTENCE = (
    "One leading AI lab in Córdoba, for example, runs its entire research cluster on roughly "
    "20 A100-level GPUs (via Rest of World)."
)
REPORTBOT = [sys.executable, "-m", "bot.cli"]


def test_right_passage_first_for_nearly_all_questions(real_index):
    misses = [
        q
        for q, doc, phrase in ANSWERABLE
        if not first_passage_matches(answer(real_index, q), doc, phrase)
    ]
    assert len(misses) <= len(ANSWERABLE) // 10, misses  # at least 90% right


def test_unanswerable_questions_are_declined(real_index):
    leaks = [q for q in UNANSWERABLE if answer(real_index, q).status != "not_found"]
    assert not leaks


def test_the_gpu_question_quotes_the_sentence_with_its_citation(real_index):
    result = answer(real_index, "How many GPUs does the Córdoba lab have?")
    top = result.passages[0]
    assert top.highlight == GPU_SENTENCE
    assert (top.title, top.publisher, top.author) == (
        "Argentina Wants to Be an AI Hub",
        "Techloy",
        "Kelechi Edeh",
    )
    assert top.location.startswith("paragraph ")
    figures = [(f.text, f.value, f.kind, f.qualifier) for f in top.figures]
    assert figures == [("roughly 20", 20.0, "count", "approximate")]


def test_fact_check_claims_with_the_real_model(real_index):
    from tests.test_factcheck import CLAIMS

    wrong = [(c, e) for e, c in CLAIMS if check(real_index, c).verdict != e]
    assert not wrong


@pytest.mark.parametrize("line", BOILERPLATE)
def test_boilerplate_is_never_quoted(real_index, line):
    result = answer(real_index, line, k=5)
    for p in result.passages:
        assert line not in p.quote


def test_cli_ask_in_a_fresh_process(real_index_dir):
    env = {**os.environ, "REPORTBOT_INDEX_DIR": str(real_index_dir), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [*REPORTBOT, "ask", "How many GPUs does the Córdoba lab have?"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=180,
        check=True,
    ).stdout
    lines = out.splitlines()
    assert re.fullmatch(
        r"\[1\] Argentina Wants to Be an AI Hub — Techloy, Kelechi Edeh — paragraph \d+"
        r"( — [^—]+)?",  # the section the passage stands in, when it is under a heading
        lines[0],
    )
    first = out.split("\n\n[2] ")[0]
    assert f"»{GPU_SENTENCE}«" in first  # the key sentence of the first passage, marked


def _synthetic_corpus(folder: Path, documents: int) -> None:
    folder.mkdir()
    topics = ["exports", "talent", "compute", "investment", "universities", "energy", "policy"]
    for d in range(documents):
        paragraphs = [
            f"Report {d} section {p}. The {topics[(d + p) % 7]} outlook for region {d % 13} "
            f"changed by {p * 3 + d} points in year {2000 + p}. Analysts in city {d * 7 % 31} "
            f"expect {topics[p % 7]} to matter more than {topics[(p + 3) % 7]} next year."
            for p in range(12)
        ]
        (folder / f"synthetic-{d:04d}.txt").write_text("\n\n".join(paragraphs))


def test_sigkill_mid_embedding_leaves_the_previous_index_serving(tmp_path, real_embedder):
    index_dir = tmp_path / "index"
    ingest(index_dir, [ROOT / "corpus"], embedder=real_embedder)
    before = current_generation(index_dir)
    big = tmp_path / "big"
    _synthetic_corpus(big, 120)
    env = {**os.environ, "REPORTBOT_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [*REPORTBOT, "-v", "ingest", "--quiet", str(big)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        if "embedding" in line and "chunks" in line:
            break
        assert time.monotonic() < deadline, "ingest never reached the embedding stage"
    time.sleep(0.5)
    assert proc.poll() is None, "ingest finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    assert current_generation(index_dir) == before
    assert verify(index_dir).ok and verify(index_dir).documents == 2
    index = ReportIndex.open(index_dir, real_embedder)
    assert (
        "20 A100-level GPUs"
        in answer(index, "How many GPUs does the Córdoba lab have?").passages[0].quote
    )

    report = ingest(index_dir, [big], embedder=real_embedder)  # the lock died with the process
    assert len(report.added) == 120
    result = verify(index_dir)
    assert result.ok and result.documents == 122
