"""The bot's own state: questions and feedback in SQLite, rate limits, upload names.

(The first cases of each live in test_telegram_render.py; these add threads, reopening and
the edges.)
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from bot.telegram.state import BotState, RateLimiter, upload_path


def test_questions_from_many_threads_get_distinct_ids(tmp_path: Path) -> None:
    state = BotState(tmp_path / "state" / "bot.db")  # the folder is made
    ids: list[int] = []
    lock = threading.Lock()

    def ask(n: int) -> None:
        for i in range(25):
            qid = state.record_question(
                f"q{n}-{i}", user_id=n, chat_id=n, status="found", passages=1
            )
            with lock:
                ids.append(qid)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 100 and min(ids) >= 1
    assert state.counts() == {"questions": 100, "up": 0, "down": 0}
    assert {state.question(qid) for qid in ids} == {
        f"q{n}-{i}" for n in range(4) for i in range(25)
    }
    state.close()


def test_feedback_is_one_vote_per_user_and_answer(tmp_path: Path) -> None:
    state = BotState(tmp_path / "bot.db")
    first = state.record_question("A?", user_id=1, chat_id=1, status="found", passages=3)
    second = state.record_question("B?", user_id=1, chat_id=1, status="not_found", passages=0)
    for qid, user, value in ((first, 1, 1), (first, 1, 1), (first, 2, -1), (second, 1, -1)):
        assert state.record_feedback(qid, user, value)
    assert state.counts() == {"questions": 2, "up": 1, "down": 2}
    with pytest.raises(ValueError, match="feedback must be 1 or -1, got 0"):
        state.record_feedback(first, 1, 0)
    state.close()
    rows = sqlite3.connect(tmp_path / "bot.db").execute(
        "SELECT question_id, user_id, value FROM feedback ORDER BY question_id, user_id"
    )
    assert rows.fetchall() == [(first, 1, 1), (first, 2, -1), (second, 1, -1)]


def test_rate_limit_window_slides_and_says_when_to_retry() -> None:
    now = [1000.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    for offset in (0, 10, 20):
        now[0] = 1000 + offset
        assert limiter.allow(7)
    now[0] = 1030
    assert not limiter.allow(7)  # refused events do not count
    assert limiter.retry_in(7) == 31  # the first event leaves the window at 1060
    assert limiter.retry_in(8) == 0  # a user never seen may ask now
    now[0] = 1060
    assert limiter.allow(7) and not limiter.allow(7)  # one slot freed, taken
    now[0] = 1200  # every user idle: swept on the next call, then counted afresh
    assert limiter.allow(9)
    assert list(limiter._events) == [9]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\Informe anual.PDF", "Informe_anual.pdf"),
        ("report.tar.gz", "report.tar.gz"),
        (".hidden", "file_id.hidden"),  # a name that is only an extension gets the id
        ("", "file_id"),
        ("...", "file_id"),
    ],
)
def test_upload_names_stay_inside_the_folder(tmp_path: Path, name: str, expected: str) -> None:
    path = upload_path(tmp_path, name, "file/id")
    assert path.parent == tmp_path.resolve()
    assert path.name == expected
