"""Load and soak test: the real bot against the local Bot API stand-in, on 127.0.0.1 only.

    python scripts/loadtest.py                      # what `make loadtest` runs
    python scripts/loadtest.py --users 50 --soak-seconds 60     # a quick run

The real bundled model and the real python-telegram-bot Application (long polling, the bot's
own AIORateLimiter and retrying transport) answer N simulated users who each ask Q questions
one after another, all users at once. Every question must be answered exactly once; the script
prints p50/p95 reply latency (question pushed -> answer received by the stand-in) and
questions per second, first with plain query embeddings, then with micro-batched ones
(`BatchingEmbedder` below), and the answering throughput without Telegram in between.
Micro-batching stays an experiment of this script: it did not raise the bot's throughput
(see docs/reliability.md), so the library does not use it.

The soak phase keeps waves of users asking for --soak-seconds, samples the process's RSS
every few seconds, and fails if it grew more than --rss-bound-mb after the first wave.

Everything is bounded: each phase has a deadline, request loops end by themselves, and the
only servers contacted are the stand-in this script starts on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import psutil  # noqa: E402

from bot.answering import answer  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.embedding import Embedder, get_embedder  # noqa: E402
from bot.index import ReportIndex  # noqa: E402
from bot.ingest import ingest  # noqa: E402
from bot.telegram.app import build_application  # noqa: E402
from bot.text import STOPWORDS  # noqa: E402
from tests.botapi_stub import BotApiStub, SentMessage, parse_telegram_html  # noqa: E402
from tests.questions import ANSWERABLE, UNANSWERABLE  # noqa: E402

TOKEN = "424242:LOADTEST-token-never-logged"
QUESTIONS = [q for q, _, _ in ANSWERABLE] + list(UNANSWERABLE)
# Every asked question is made unique (so no cache answers it) by a tail of five stopwords
# numbering it: stopwords are neither searched nor weighed, so the answer stays the same.
TAIL_WORDS = sorted(STOPWORDS)[:16]
_serial = itertools.count()


def tagged(question: str) -> tuple[str, str]:
    """The question with a unique stopword tail, and the tail."""
    n = next(_serial)
    tail = " ".join(TAIL_WORDS[(n >> (4 * k)) & 15] for k in range(5))
    return f"{question.rstrip('?')} {tail}?", tail


log = logging.getLogger("loadtest")


# --- the micro-batching experiment (not in the library: it did not raise throughput) ---


class BatchingEmbedder:
    """Wraps an embedder so one-text `encode` calls made at the same time from several threads
    (query embeddings under load) run as one batch. Other calls pass straight through.

    The first caller waits `max_wait` seconds for company, encodes everything queued (up to
    `max_batch`), hands each caller its row, and passes the lead to the next waiting caller.
    """

    def __init__(self, inner: Embedder, *, max_batch: int = 32, max_wait: float = 0.002) -> None:
        self.inner = inner
        self.name = inner.name
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._lock = threading.Lock()
        self._queue: list[_Slot] = []
        self._leading = False
        self.batches: list[int] = []  # sizes of the batches encoded (for the load test)

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: Any = None) -> np.ndarray:
        if len(texts) != 1:
            return self.inner.encode(texts, batch_size=batch_size, progress=progress)
        slot = _Slot(texts[0])
        with self._lock:
            self._queue.append(slot)
            lead = not self._leading
            self._leading = True
        if not lead:
            slot.done.wait()
            if not slot.lead:
                return slot.result()
        time.sleep(self.max_wait)
        self._run_batches(slot)
        return slot.result()

    def _run_batches(self, own: _Slot) -> None:
        """Encode queued batches until `own` is done, then hand the lead on (or give it up)."""
        while True:
            with self._lock:
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
            if batch:
                try:
                    rows = self.inner.encode([s.text for s in batch], batch_size=len(batch))
                    self.batches.append(len(batch))
                except Exception as exc:  # every waiting caller gets the error
                    rows = None
                    for s in batch:
                        s.error = exc
                for i, s in enumerate(batch):
                    if rows is not None:
                        s.vector = rows[i]
                    if s is not own:
                        s.done.set()
            if own.vector is not None or own.error is not None:
                with self._lock:
                    if self._queue:
                        successor = self._queue[0]
                        successor.lead = True
                        successor.done.set()
                    else:
                        self._leading = False
                return


class _Slot:
    def __init__(self, text: str) -> None:
        self.text = text
        self.vector: np.ndarray | None = None
        self.error: Exception | None = None
        self.lead = False
        self.done = threading.Event()

    def result(self) -> np.ndarray:
        if self.error is not None:
            raise self.error
        assert self.vector is not None
        return self.vector.reshape(1, -1)


# --- the simulated users -------------------------------------------------------------------


class TimedStub(BotApiStub):
    """The stand-in, also handing each sent message to the waiting simulated user."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inboxes: dict[int, asyncio.Queue[tuple[float, SentMessage]]] = {}
        self.user_loop: asyncio.AbstractEventLoop | None = None

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        result = super()._api_sendMessage(params)
        sent = self.sent[-1]
        inbox = self.inboxes.get(sent.chat_id)
        if inbox is not None and self.user_loop is not None:
            self.user_loop.call_soon_threadsafe(inbox.put_nowait, (time.monotonic(), sent))
        return result


@dataclass
class Phase:
    name: str
    questions: int = 0
    answered: int = 0
    found: int = 0
    latencies: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    batches: list[int] = field(default_factory=list)

    def summary(self) -> str:
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) if lat else float("nan")
        p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else float("nan")
        text = (
            f"{self.name}: {self.answered}/{self.questions} answered exactly once "
            f"({self.found} with quotes) in {self.seconds:.1f} s = "
            f"{self.answered / self.seconds if self.seconds else 0:.1f} questions/s; "
            f"latency p50 {p50:.2f} s, p95 {p95:.2f} s, max {lat[-1] if lat else 0:.2f} s"
        )
        if self.batches:
            text += (
                f"; query batches: {len(self.batches)}, mean size "
                f"{statistics.mean(self.batches):.1f}, max {max(self.batches)}"
            )
        return text


async def simulate(
    stub: TimedStub, phase: Phase, user_ids: range, per_user: int, deadline: float
) -> None:
    """Every user asks `per_user` questions, each after the previous answer arrived."""
    stub.user_loop = asyncio.get_running_loop()
    for uid in user_ids:
        stub.inboxes[uid] = asyncio.Queue()

    async def user(uid: int) -> None:
        for i in range(per_user):
            question, tail = tagged(QUESTIONS[(uid * 7 + i) % len(QUESTIONS)])
            phase.questions += 1
            pushed = time.monotonic()
            stub.push_message(question, user_id=uid)
            try:
                at, sent = await asyncio.wait_for(
                    stub.inboxes[uid].get(), timeout=max(0.1, deadline - time.monotonic())
                )
            except TimeoutError:
                phase.problems.append(f"user {uid} question {i}: no answer before the deadline")
                return
            text = parse_telegram_html(sent.text)
            if f"{tail}?" not in text:
                phase.problems.append(f"user {uid} question {i}: reply to another question")
            phase.answered += 1
            phase.found += "<blockquote>" in sent.text
            phase.latencies.append(at - pushed)

    started = time.monotonic()
    await asyncio.gather(*(user(uid) for uid in user_ids))
    phase.seconds = time.monotonic() - started
    await asyncio.sleep(1.0)  # time for any duplicate to arrive
    for uid in user_ids:
        extra = stub.inboxes.pop(uid).qsize()
        if extra:
            phase.problems.append(f"user {uid}: {extra} replies more than questions")
        sent = stub.messages(uid)
        if len(sent) != per_user:
            phase.problems.append(f"user {uid}: {len(sent)} messages for {per_user} questions")


async def run_bot_phase(
    stub: TimedStub, index_dir: Path, embedder: Any, phase: Phase, user_ids: range, args
) -> None:
    settings = Settings(
        telegram_bot_token=TOKEN,
        telegram_api_base_url=stub.url,
        index_dir=index_dir,
        rate_limit_per_minute=max(20, args.questions * 2),
    )
    app = build_application(settings, embedder=embedder)
    async with app:
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=["message"])
        try:
            await simulate(
                stub, phase, user_ids, args.questions, time.monotonic() + args.phase_timeout
            )
        finally:
            await app.updater.stop()
            await app.stop()
    if isinstance(embedder, BatchingEmbedder):
        phase.batches = list(embedder.batches)
        embedder.batches.clear()


def direct_throughput(index: ReportIndex, threads: int, count: int) -> float:
    """Questions per second through `answer()` alone, from `threads` worker threads."""
    questions = [tagged(QUESTIONS[i % len(QUESTIONS)])[0] for i in range(count)]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda q: answer(index, q), questions))
    return count / (time.perf_counter() - started)


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


async def soak(stub: TimedStub, index_dir: Path, embedder: Any, args) -> tuple[bool, str]:
    """Waves of users for `soak_seconds`; RSS sampled throughout; growth after wave 1 bounded."""
    settings = Settings(
        telegram_bot_token=TOKEN, telegram_api_base_url=stub.url, index_dir=index_dir
    )
    app = build_application(settings, embedder=embedder)
    samples: list[tuple[float, float]] = []
    phase = Phase("soak")
    stop = asyncio.Event()

    async def sampler() -> None:
        while not stop.is_set():
            samples.append((time.monotonic(), rss_mb()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=args.sample_seconds)

    async with app:
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=["message"])
        sampling = asyncio.create_task(sampler())
        started = time.monotonic()
        end = started + args.soak_seconds
        base_uid, waves, baseline = 10_000_000, 0, None
        try:
            while time.monotonic() < end and waves < 10_000:
                users = range(base_uid, base_uid + args.soak_users)
                base_uid += args.soak_users
                wave = Phase(f"wave {waves}")
                await simulate(stub, wave, users, 3, min(end + 60, time.monotonic() + 300))
                phase.questions += wave.questions
                phase.answered += wave.answered
                phase.problems += wave.problems
                phase.latencies += wave.latencies
                with stub._lock:  # the stand-in keeps what was sent: forget finished chats
                    stub.sent = [m for m in stub.sent if m.chat_id not in users]
                    for uid in users:
                        stub.chats.pop(uid, None)
                    stub.calls.clear()
                    stub.chat_actions.clear()
                waves += 1
                if baseline is None:
                    gc.collect()
                    baseline = rss_mb()
        finally:
            stop.set()
            await sampling
            await app.updater.stop()
            await app.stop()
    phase.seconds = time.monotonic() - started
    gc.collect()
    final = rss_mb()
    peak = max(r for _, r in samples) if samples else final
    growth = final - (baseline or final)
    ok = growth <= args.rss_bound_mb and not phase.problems
    text = (
        f"soak: {waves} waves of {args.soak_users} users x 3 questions over "
        f"{phase.seconds:.0f} s, {phase.answered}/{phase.questions} answered exactly once; "
        f"RSS after wave 1 {baseline or 0:.0f} MB, at the end {final:.0f} MB "
        f"(growth {growth:+.1f} MB, bound {args.rss_bound_mb:.0f} MB), peak {peak:.0f} MB, "
        f"{len(samples)} samples"
    )
    if phase.problems:
        text += f"; problems: {phase.problems[:5]}"
    return ok, text


async def main_async(args) -> int:
    embedder = get_embedder(args.model)
    with tempfile.TemporaryDirectory(prefix="reportbot-load-") as tmp:
        index_dir = Path(tmp) / "index"
        report = ingest(index_dir, [ROOT / "corpus"], embedder=embedder)
        print(f"index: {report.summary()}")
        index = ReportIndex.open(index_dir, embedder)
        await asyncio.to_thread(answer, index, "warm up the model")
        for q in QUESTIONS:  # question vectors and SQLite pages warm, as on a serving bot
            await asyncio.to_thread(answer, index, q)
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")

        failures = 0
        if args.direct:
            threads = min(32, (os.cpu_count() or 1) + 4)  # asyncio.to_thread's default pool
            plain = direct_throughput(index, threads, args.direct)
            index.embedder = BatchingEmbedder(embedder)  # same index: same warm sentence cache
            batched = direct_throughput(index, threads, args.direct)
            index.embedder = embedder
            print(
                f"answer() alone, {threads} threads, {args.direct} questions: "
                f"{plain:.1f} q/s plain, {batched:.1f} q/s micro-batched"
            )

        with TimedStub(TOKEN) as stub:
            phases = []
            modes = {"off": [False], "on": [True], "compare": [False, True]}[args.batching]
            for n, batching in enumerate(modes):
                phase = Phase("micro-batched" if batching else "plain")
                users = range(1000 + n * 100_000, 1000 + n * 100_000 + args.users)
                used = BatchingEmbedder(embedder) if batching else embedder
                await run_bot_phase(stub, index_dir, used, phase, users, args)
                print(f"load {phase.summary()}")
                for problem in phase.problems[:10]:
                    print(f"  problem: {problem}")
                failures += bool(phase.problems) or phase.answered != phase.questions
                phases.append(phase)
            if stub.rejections:
                print(f"Bot API rejections: {stub.rejections[:5]}")
                failures += 1
            if args.soak_seconds > 0:
                ok, text = await soak(stub, index_dir, embedder, args)
                print(text)
                failures += not ok
    print("PASS" if not failures else "FAIL")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200, help="simulated users (default 200)")
    parser.add_argument("--questions", type=int, default=10, help="questions per user")
    parser.add_argument(
        "--batching",
        choices=["off", "on", "compare"],
        default="compare",
        help="micro-batch query embeddings: off, on, or both one after the other (default)",
    )
    parser.add_argument(
        "--direct",
        type=int,
        default=300,
        help="also time N questions through answer() alone, plain and batched (0: skip)",
    )
    parser.add_argument("--phase-timeout", type=float, default=900, help="seconds per phase")
    parser.add_argument(
        "--soak-seconds", type=float, default=600, help="soak duration (0: no soak)"
    )
    parser.add_argument("--soak-users", type=int, default=50, help="users per soak wave")
    parser.add_argument("--sample-seconds", type=float, default=5.0, help="RSS sampling period")
    parser.add_argument(
        "--rss-bound-mb", type=float, default=50.0, help="allowed RSS growth after wave 1"
    )
    parser.add_argument("--model", default="all-MiniLM-L6-v2", help="embedding model")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bot.telegram").setLevel(logging.ERROR)  # retries are expected
    threading.current_thread().name = "loadtest"
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
