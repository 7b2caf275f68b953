"""The bot's own small state: questions asked and feedback, plus per-user rate limiting.

Lives in `<index_dir>/bot.db`, beside the index generations and never inside them: an ingest
replaces a generation wholesale and must not take the feedback with it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from pathlib import Path, PurePosixPath, PureWindowsPath

_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY,
    asked_at REAL NOT NULL,
    user_id INTEGER,
    chat_id INTEGER,
    question TEXT NOT NULL,
    status TEXT NOT NULL,
    passages INTEGER NOT NULL,
    doc_ids TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS feedback (
    question_id INTEGER NOT NULL REFERENCES questions(id),
    user_id INTEGER NOT NULL,
    value INTEGER NOT NULL CHECK (value IN (-1, 1)),
    at REAL NOT NULL,
    PRIMARY KEY (question_id, user_id)
);
"""


class BotState:
    """Questions and feedback in SQLite; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(questions)")}
        if "doc_ids" not in columns:  # a bot.db from before "search in this report"
            self._db.execute("ALTER TABLE questions ADD COLUMN doc_ids TEXT NOT NULL DEFAULT ''")

    def record_question(
        self,
        question: str,
        *,
        user_id: int | None,
        chat_id: int | None,
        status: str,
        passages: int,
        doc_ids: tuple[str, ...] = (),
    ) -> int:
        """Store a question that was answered; returns its id (used by More and feedback).

        `doc_ids` are the reports the question was restricted to (none: all of them).
        """
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO questions"
                " (asked_at, user_id, chat_id, question, status, passages, doc_ids)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (time.time(), user_id, chat_id, question, status, passages, json.dumps(doc_ids)),
            )
            return int(cur.lastrowid or 0)

    def asked(self, question_id: int) -> tuple[str, tuple[str, ...]] | None:
        """A stored question and the reports it was restricted to, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT question, doc_ids FROM questions WHERE id = ?", (question_id,)
            ).fetchone()
        if row is None:
            return None
        return row[0], tuple(json.loads(row[1])) if row[1] else ()

    def question(self, question_id: int) -> str | None:
        """The text of a stored question, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT question FROM questions WHERE id = ?", (question_id,)
            ).fetchone()
        return row[0] if row else None

    def record_feedback(self, question_id: int, user_id: int, value: int) -> bool:
        """Store 👍 (1) or 👎 (-1); a user's later vote on the same answer replaces the earlier.

        Returns False when the question is unknown.
        """
        if value not in (-1, 1):
            raise ValueError(f"feedback must be 1 or -1, got {value}")
        with self._lock:
            if not self._db.execute(
                "SELECT 1 FROM questions WHERE id = ?", (question_id,)
            ).fetchone():
                return False
            self._db.execute(
                "INSERT INTO feedback (question_id, user_id, value, at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (question_id, user_id) DO UPDATE SET value = excluded.value,"
                " at = excluded.at",
                (question_id, user_id, value, time.time()),
            )
        return True

    def counts(self) -> dict[str, int]:
        """Questions asked and feedback totals."""
        with self._lock:
            questions = self._db.execute("SELECT count(*) FROM questions").fetchone()[0]
            up, down = self._db.execute(
                "SELECT coalesce(sum(value = 1), 0), coalesce(sum(value = -1), 0) FROM feedback"
            ).fetchone()
        return {"questions": int(questions), "up": int(up), "down": int(down)}

    def close(self) -> None:
        with self._lock:
            self._db.close()


class RateLimiter:
    """At most `per_minute` events per key in any 60-second window (sliding log)."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._events: dict[int, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._swept = self._clock()

    def allow(self, key: int) -> bool:
        """Record an event for `key` and say whether it is within the limit."""
        if self.per_minute <= 0:
            return True
        now = self._clock()
        with self._lock:
            if now - self._swept >= 60:  # forget idle users, or every user ever seen stays
                self._swept = now
                for idle in [k for k, e in self._events.items() if not e or now - e[-1] >= 60]:
                    del self._events[idle]
            events = self._events[key]
            while events and now - events[0] >= 60:
                events.popleft()
            if len(events) >= self.per_minute:
                return False
            events.append(now)
            return True

    def retry_in(self, key: int) -> int:
        """Seconds until `key` may ask again (0 when it may now)."""
        with self._lock:
            events = self._events.get(key)
            if not events or len(events) < self.per_minute:
                return 0
            return max(1, int(60 - (self._clock() - events[0])) + 1)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def upload_path(uploads_dir: Path, file_name: str | None, fallback: str) -> Path:
    """Where an uploaded file is saved: a sanitised name that cannot leave `uploads_dir`."""
    name = PureWindowsPath(PurePosixPath(file_name or "").name).name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = _UNSAFE.sub("_", stem).strip("._-")[:100]
    ext = _UNSAFE.sub("", ext)[:10].lower()
    safe_fallback = _UNSAFE.sub("_", fallback).strip("._-")[:64] or "upload"
    name = f"{stem or safe_fallback}.{ext}" if ext else stem or safe_fallback
    base = uploads_dir.resolve()
    path = (base / name).resolve()
    if path.parent != base:  # belt and braces: the name above has no separators left
        raise ValueError(f"unsafe upload name {file_name!r}")
    return path
