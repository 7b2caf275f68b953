"""Faults: SIGKILL at every stage of an ingest, damaged index files, a full disk, two ingests at
once, a reader polling while ingests publish, and a Bot API that times out.

Subprocess ingests use the fake embedder (REPORTBOT_MODEL=hash). To land kills inside each stage,
the killed process runs `reportbot` through a small wrapper written into the test's own tmp dir
(never imported by the library): it slows the embedder, one SQLite transaction and every fsync,
and prints a marker on stderr when each stage begins. The test kills a random time into the
window after a marker.
"""

from __future__ import annotations

import asyncio
import os
import queue
import random
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.answering import answer
from bot.cli import cli
from bot.config import get_settings
from bot.embedding import HashEmbedder
from bot.errors import IndexLocked
from bot.index import CURRENT, DB_NAME, META_NAME, VECTORS_NAME, ReportIndex, current_generation
from bot.index import verify as verify_index
from bot.ingest import ingest
from bot.staging import LOCK_NAME
from bot.telegram.transport import RetryingRequest
from tests.botapi_stub import BotApiStub, Faults
from tests.test_telegram_bot import QUESTION, TOKEN, quoted, replies, running_bot, shown

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
LINUX = sys.platform.startswith("linux")
EMBEDDER = HashEmbedder()
NEW_DOCS = 8
SLOW = 0.4  # seconds each slowed stage lasts in the wrapper

pytestmark = pytest.mark.timeout(120)


# --- helpers ----------------------------------------------------------------------------------


def marker_word(d: int) -> str:
    """A word only document `d` of the new batch contains (lexical search finds it or not)."""
    return "zorblat" + "abcdefghijklmnop"[d]


def new_documents(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(NEW_DOCS):
        paragraphs = [
            f"Bulletin {d} part {p}. The {marker_word(d)} cooperative in district {d + p} "
            f"reported {p * 7 + d} new members in {2010 + p}, and its treasurer expects "
            f"membership to grow by {p + 2}% next year as rural broadband arrives."
            for p in range(10)
        ]
        (folder / f"bulletin-{d}.txt").write_text("\n\n".join(paragraphs))
    return folder


@pytest.fixture(scope="module")
def base_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus indexed with the fake embedder: the 'last good state' each test starts from."""
    index_dir = tmp_path_factory.mktemp("base") / "index"
    ingest(index_dir, [CORPUS], embedder=EMBEDDER)
    return index_dir


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, base_index: Path) -> dict[str, int]:
    """Chunks per document after a complete, undisturbed ingest of the corpus plus the batch."""
    work = tmp_path_factory.mktemp("reference")
    index_dir = Path(shutil.copytree(base_index, work / "index"))
    ingest(index_dir, [new_documents(work / "new")], embedder=EMBEDDER)
    return {d["id"]: d["chunks"] for d in ReportIndex.open(index_dir, EMBEDDER).documents()}


@pytest.fixture
def index_dir(base_index: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(base_index, tmp_path / "index"))


def documents(index_dir: Path) -> dict[str, int]:
    return {d["id"]: d["chunks"] for d in ReportIndex.open(index_dir, EMBEDDER).documents()}


WRAPPER = '''
"""Test-only: `reportbot` with slow stages and stage markers on stderr (see test_faults.py)."""
import os
import sys
import time

import bot.embedding
import bot.prepare
from bot.embedding import HashEmbedder

SLOW = float(os.environ["FAULT_SLOW_SECONDS"])
EMBED = float(os.environ.get("FAULT_EMBED_SECONDS", SLOW))


def mark(stage):
    sys.stderr.write(f"STAGE {stage} {time.monotonic():.4f}\\n")
    sys.stderr.flush()


class SlowEmbedder(HashEmbedder):
    def encode(self, texts, **kwargs):
        mark("embedding")
        time.sleep(EMBED)
        return super().encode(texts, **kwargs)


_figure_rows = bot.prepare.figure_rows
_first = []


def slow_figure_rows(*args, **kwargs):
    if not _first:  # while the first document is prepared for its SQLite transaction
        _first.append(1)
        mark("sqlite")
        time.sleep(SLOW)
    return _figure_rows(*args, **kwargs)


_fsync = os.fsync


def slow_fsync(fd):
    path = os.readlink(f"/proc/self/fd/{fd}")
    name = "dir" if os.path.isdir(path) else os.path.basename(path)
    _fsync(fd)
    mark(f"fsync:{name}")
    time.sleep(SLOW)


_replace = os.replace


def slow_replace(src, dst, *args, **kwargs):
    _replace(src, dst, *args, **kwargs)
    name = os.path.basename(os.fspath(dst))
    mark("replace:" + ("gen" if name.startswith("gen-") else name))
    time.sleep(SLOW)


bot.embedding.get_embedder = lambda name: SlowEmbedder()
bot.prepare.figure_rows = slow_figure_rows
os.fsync = slow_fsync
os.replace = slow_replace
mark("start")

from bot.cli import main

sys.argv = ["reportbot", *sys.argv[1:]]
main()
'''


def slow_ingest(
    tmp_path: Path, index_dir: Path, *args: str, embed_seconds: float = SLOW
) -> subprocess.Popen[str]:
    """`reportbot ingest ARGS` in a subprocess with slowed, marked stages."""
    wrapper = tmp_path / "slowreportbot.py"
    wrapper.write_text(textwrap.dedent(WRAPPER))
    env = {
        **os.environ,
        "REPORTBOT_MODEL": "hash",
        "REPORTBOT_INDEX_DIR": str(index_dir),
        "FAULT_SLOW_SECONDS": str(SLOW),
        "FAULT_EMBED_SECONDS": str(embed_seconds),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, str(wrapper), "ingest", "--quiet", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


class Stages:
    """Reads a slowed ingest's stderr in a thread; lets the test wait for a stage marker."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.other: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self.lines.put(line)

    def _drain(self, block_for: float = 0.0) -> None:
        try:
            while True:
                line = self.lines.get(timeout=block_for) if block_for else self.lines.get_nowait()
                block_for = 0.0
                if line.startswith("STAGE "):
                    self.seen.append(line.split()[1])
                else:
                    self.other.append(line)
        except queue.Empty:
            pass

    def wait_for(self, stage: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while stage not in self.seen:
            assert time.monotonic() < deadline, f"never reached {stage}; saw {self.seen}"
            self._drain(block_for=0.05)

    def poll(self) -> list[str]:
        self._drain()
        return self.seen

    def finish(self) -> list[str]:
        self.thread.join(10)
        self._drain()
        return self.seen


# --- SIGKILL at every stage -------------------------------------------------------------------

# The wrapper's markers in the order an ingest reaches them. Killed after "replace:CURRENT",
# the new generation must be live; before "fsync:CURRENT.tmp", the old one. (Right after that
# marker comes the swap itself, so a kill that overshoots its window may find either.)
KILL_STAGES = [
    "start",  # a random time from launch: any stage
    "sqlite",  # inside the first document's transaction in the staging database
    "embedding",
    "embedding",
    "fsync:vectors.faiss",  # FAISS file written, metadata not yet
    "fsync:meta.json",  # generation complete in staging, not yet renamed
    "replace:gen",  # generation renamed into place, CURRENT not yet written
    "fsync:CURRENT.tmp",  # the new CURRENT written beside the old one, not yet swapped
    "replace:CURRENT",  # swapped: the new generation is live
    "fsync:dir",  # and the swap is durable
]
OLD_LIVE = {"start", "sqlite", "embedding", "fsync:vectors.faiss", "fsync:meta.json", "replace:gen"}
NEW_LIVE = {"replace:CURRENT", "fsync:dir"}


def kill_and_check(
    tmp_path: Path, base_index: Path, batch: Path, after: dict[str, int], stage: str, delay: float
) -> tuple[str, bool]:
    """Kill an ingest `delay` s after `stage`, check everything, return (stage reached, new)."""
    name = f"kill-{len(list(tmp_path.glob('kill-*')))} (seed {os.environ['FAULT_SEED']})"
    index_dir = Path(shutil.copytree(base_index, tmp_path / name))
    before = current_generation(index_dir)
    old = documents(index_dir)
    proc = slow_ingest(tmp_path, index_dir, str(batch))
    stages = Stages(proc)
    stages.wait_for(stage)
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    reached = stages.finish()[-1]
    where = f"{name}: killed {delay:.2f}s after {stage!r}, last stage {reached!r}"
    assert not stages.other, f"{where}: unexpected output {stages.other}"

    # verify passes, and the live generation is the old one or the whole new one
    result = verify_index(index_dir)
    assert result.ok, (where, result.problems)
    is_new = current_generation(index_dir) != before
    assert documents(index_dir) == (after if is_new else old), where
    if reached in OLD_LIVE:
        assert not is_new, where
    elif reached in NEW_LIVE:
        assert is_new, where

    # answers come from that state: no document of the batch is searchable before publish
    index = ReportIndex.open(index_dir, EMBEDDER)
    for d in range(NEW_DOCS):
        hits = answer(index, f"{marker_word(d)} cooperative members", k=3)
        assert any(p.doc_id == f"bulletin-{d}" for p in hits.passages) == is_new, (where, d)
    known = answer(index, QUESTION)
    assert known.status == "found" and known.passages[0].doc_id in old, where

    # the next ingest completes (the lock died with the process) and indexes everything
    ingest(index_dir, [batch], embedder=EMBEDDER)
    assert verify_index(index_dir).ok, where
    assert documents(index_dir) == after, where
    assert not list(index_dir.glob(".staging-*")), where
    return reached, is_new


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="stage markers read /proc/self/fd")
def test_sigkill_at_every_stage_loses_nothing(
    tmp_path: Path, base_index: Path, reference: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = int(os.environ.get("REPORTBOT_FAULT_SEED", random.randrange(1 << 30)))
    monkeypatch.setenv("FAULT_SEED", str(seed))  # named in every assertion message
    rng = random.Random(seed)
    batch = new_documents(tmp_path / "new")
    outcomes: list[tuple[str, bool]] = []
    for stage in KILL_STAGES:
        for _ in range(3):  # a loaded machine may overshoot a window: kill there again
            delay = rng.uniform(0.3, 3.0) if stage == "start" else rng.uniform(0.02, SLOW / 2)
            reached, is_new = kill_and_check(tmp_path, base_index, batch, reference, stage, delay)
            outcomes.append((reached, is_new))
            if stage == "start" or reached == stage:
                break
    reached_stages = {reached for reached, _ in outcomes}
    assert reached_stages >= set(KILL_STAGES) - {"start"}, (f"seed {seed}", outcomes)
    assert any(new for _, new in outcomes) and not all(new for _, new in outcomes)


# --- damaged index files ----------------------------------------------------------------------


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 3)])


def _garbage(path: Path) -> None:
    path.write_bytes(random.Random(7).randbytes(4096))


DAMAGE = {
    "meta.json garbage": (lambda g: _garbage(g / META_NAME), "metadata file is damaged"),
    "meta.json truncated": (lambda g: _truncate(g / META_NAME), "metadata file is damaged"),
    "meta.json not an object": (
        lambda g: (g / META_NAME).write_text("null"),
        "metadata file is damaged",
    ),
    "meta.json deleted": (lambda g: (g / META_NAME).unlink(), "metadata file is missing"),
    "vectors.faiss garbage": (lambda g: _garbage(g / VECTORS_NAME), "vectors.faiss is damaged"),
    "vectors.faiss truncated": (lambda g: _truncate(g / VECTORS_NAME), "vectors.faiss is damaged"),
    "vectors.faiss deleted": (lambda g: (g / VECTORS_NAME).unlink(), "vectors.faiss is missing"),
    "reportbot.db garbage": (lambda g: _garbage(g / DB_NAME), "database is damaged"),
    "reportbot.db truncated": (lambda g: _truncate(g / DB_NAME), "database is damaged"),
    "reportbot.db emptied": (
        lambda g: (g / DB_NAME).write_bytes(b""),
        ("database is damaged", "holds 0 chunks but 23 vectors"),
    ),
    "reportbot.db deleted": (lambda g: (g / DB_NAME).unlink(), "database is missing"),
    "CURRENT names nothing": (
        lambda g: (g.parent / CURRENT).write_text("gen-404\n"),
        "names generation gen-404, which is missing",
    ),
    "generation deleted": (lambda g: shutil.rmtree(g), "which is missing"),
}


def damage(index_dir: Path, case: str) -> str | tuple[str, ...]:
    hurt, message = DAMAGE[case]
    hurt(index_dir / current_generation(index_dir))
    return message


@pytest.fixture
def cli_run(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REPORTBOT_MODEL", "hash")
    get_settings.cache_clear()
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args))


@pytest.mark.parametrize("case", DAMAGE)
def test_damaged_index_cli_says_what_and_how_to_fix(index_dir: Path, case: str, cli_run) -> None:
    message = damage(index_dir, case)
    where = ["--index-dir", str(index_dir)]
    for command in (
        ["ask", "How many GPUs?"],
        ["check", "Argencon aims for USD 30 billion"],
        ["sources"],
        ["verify"],
        ["ingest", "--quiet", str(CORPUS)],
    ):
        result = cli_run(*command, *where)
        assert result.exit_code == 1, (command, result.output)
        assert isinstance(result.exception, SystemExit), (command, result.exception)
        assert "Traceback" not in result.output
        expected = message if isinstance(message, tuple) else (message,)
        if command == ["verify"] and "database is damaged" in expected:
            expected = ("problem: the database cannot be read",)  # verify lists what it checked
        assert any(e in result.output for e in expected), (command, result.output)
        assert "reportbot ingest --rebuild" in result.output, (command, result.output)
    fixed = cli_run("ingest", "--rebuild", "--quiet", str(CORPUS), *where)
    assert fixed.exit_code == 0, fixed.output
    assert verify_index(index_dir).ok and len(documents(index_dir)) == 2


def test_damaged_database_verify_lists_the_problem(index_dir: Path, cli_run) -> None:
    db = index_dir / current_generation(index_dir) / DB_NAME
    with open(db, "r+b") as fh:  # damage pages in the middle, keep the header
        fh.seek(8192)
        fh.write(b"\xff" * 16384)
    result = cli_run("verify", "--index-dir", str(index_dir))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "problem:" in result.output or "damaged" in result.output
    assert "reportbot ingest --rebuild" in result.output


def test_index_from_another_model_says_which_and_how_to_fix(
    tmp_path: Path, index_dir: Path, cli_run
) -> None:
    other = tmp_path / "other"
    ingest(other, [CORPUS], embedder=HashEmbedder(128))
    for command in (["ask", "How many GPUs?"], ["ingest", "--quiet", str(CORPUS)]):
        result = cli_run(*command, "--index-dir", str(other))
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "'hash-128'" in result.output and "'hash-384'" in result.output, result.output
        assert "reportbot ingest --rebuild" in result.output
    assert (
        cli_run("ingest", "-q", "--rebuild", str(CORPUS), "--index-dir", str(other)).exit_code == 0
    )
    assert ReportIndex.open(other, EMBEDDER).meta["model"] == "hash-384"


# --- the Telegram bot and a damaged index -----------------------------------------------------


def _play(index_dir: Path, scenario, **kwargs) -> BotApiStub:
    with BotApiStub(TOKEN, faults=kwargs.pop("faults", None)) as stub:

        async def main() -> None:
            async with running_bot(stub, index_dir, kwargs.pop("request", None), **kwargs):
                await scenario(stub)

        asyncio.run(main())
    assert stub.rejections == [], stub.rejections
    return stub


@pytest.mark.parametrize(
    "case", ["reportbot.db garbage", "vectors.faiss truncated", "CURRENT names nothing"]
)
def test_bot_starts_on_a_damaged_index_and_says_what_is_wrong(index_dir: Path, case: str) -> None:
    message = damage(index_dir, case)

    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(QUESTION)
        await replies(stub, 111, 1)
        stub.push_message("/sources")
        await replies(stub, 111, 2)
        stub.push_message("/start")
        await replies(stub, 111, 3)

    stub = _play(index_dir, scenario)
    assert len(stub.messages(111)) == 3
    for reply in stub.messages(111):
        text = shown(reply)
        assert (
            isinstance(message, str) and message in text and "reportbot ingest --rebuild" in text
        ), text
        assert "went wrong" not in text


def test_bot_starts_on_an_index_from_another_model(tmp_path: Path) -> None:
    other = tmp_path / "other"
    ingest(other, [CORPUS], embedder=HashEmbedder(128))

    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(QUESTION)
        await replies(stub, 111, 1)

    text = shown(_play(other, scenario).messages(111)[0])
    assert "'hash-128'" in text and "reportbot ingest --rebuild" in text


def _publish_broken_generation(index_dir: Path) -> str:
    """A new generation with a damaged database, made live the way `publish` does it."""
    live = index_dir / current_generation(index_dir)
    name = f"gen-{time.time_ns()}"
    shutil.copytree(live, index_dir / name)
    _garbage(index_dir / name / DB_NAME)
    (index_dir / "CURRENT.tmp").write_text(name + "\n")
    os.replace(index_dir / "CURRENT.tmp", index_dir / CURRENT)
    return name


def test_serving_bot_keeps_its_index_when_the_new_generation_is_broken(index_dir: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(QUESTION)
        await replies(stub, 111, 1)
        _publish_broken_generation(index_dir)
        await asyncio.sleep(1.2)  # the bot looks for a new generation at most once a second
        stub.push_message(QUESTION)
        await replies(stub, 111, 2)
        stub.push_message("/sources")
        await replies(stub, 111, 3)
        # an admin repairs it; the bot picks the repaired generation up by itself
        await asyncio.to_thread(ingest, index_dir, [CORPUS], embedder=EMBEDDER, rebuild=True)
        await asyncio.sleep(1.2)
        stub.push_message(QUESTION)
        await replies(stub, 111, 4)

    stub = _play(index_dir, scenario)
    first, during, sources, after = stub.messages(111)
    assert quoted(first) and quoted(during) == quoted(first) and quoted(after) == quoted(first)
    assert "2 documents" in shown(sources)


# --- disk full --------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "limit", "fails_in"),
    [
        ("hash", 60_000, "copying the live database into staging"),
        ("hash", 200_000, "SQLite inserts"),
        ("hash-16384", 2_500_000, "the FAISS write"),
    ],
)
def test_disk_full_is_one_clear_line_and_the_index_is_intact(
    tmp_path: Path, model: str, limit: int, fails_in: str
) -> None:
    """RLIMIT_FSIZE makes writes past `limit` bytes fail with EFBIG (Python ignores SIGXFSZ)."""
    embedder = HashEmbedder(int(model.partition("-")[2] or 384))
    index_dir = tmp_path / "index"
    ingest(index_dir, [CORPUS], embedder=embedder)
    before = current_generation(index_dir)
    batch = new_documents(tmp_path / "new")

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "REPORTBOT_MODEL": model, "REPORTBOT_INDEX_DIR": str(index_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ingest", "--quiet", str(batch)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        preexec_fn=limit_file_size,
        timeout=60,
    )
    assert proc.returncode == 1, (fails_in, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr and len(lines) == 1, (fails_in, proc.stderr)
    assert lines[0].startswith("Error: Ingest stopped:"), lines
    assert "previous index is unchanged" in lines[0] and "disk is full" in lines[0]
    assert current_generation(index_dir) == before
    assert verify_index(index_dir).ok and verify_index(index_dir).documents == 2
    assert not list(index_dir.glob(".staging-*")) and not list(index_dir.glob("gen-*/*-journal"))
    report = ingest(index_dir, [batch], embedder=embedder)  # with room again, it completes
    assert len(report.added) == NEW_DOCS and verify_index(index_dir).ok


# --- two ingests at once, and a reader polling throughout -------------------------------------


class Reader(threading.Thread):
    """Polls the live generation like the bot does, opening and checking every one it sees."""

    def __init__(self, index_dir: Path) -> None:
        super().__init__(daemon=True)
        self.index_dir = index_dir
        self.stop = threading.Event()
        self.opens = 0
        self.generations: set[str] = set()
        self.failures: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                index = ReportIndex.open(self.index_dir, EMBEDDER)
                result = verify_index(self.index_dir)
                if not result.ok:
                    self.failures.append(f"{result.generation}: {result.problems}")
                if answer(index, QUESTION).status != "found":
                    self.failures.append(f"{index.generation}: no answer")
                self.opens += 1
                self.generations.add(index.generation)
            except Exception as exc:  # the test reports every failure, whatever it is
                self.failures.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.01)


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="stage markers read /proc/self/fd")
def test_second_ingest_is_refused_and_readers_never_see_half_an_index(
    tmp_path: Path, index_dir: Path, reference: dict[str, int]
) -> None:
    batch = new_documents(tmp_path / "new")
    reader = Reader(index_dir)
    reader.start()
    try:
        first = slow_ingest(tmp_path, index_dir, str(batch), embed_seconds=5.0)
        stages = Stages(first)
        stages.wait_for("embedding")
        with pytest.raises(IndexLocked, match="already running"):
            ingest(index_dir, [CORPUS], embedder=EMBEDDER)
        env = {**os.environ, "REPORTBOT_MODEL": "hash", "REPORTBOT_INDEX_DIR": str(index_dir)}
        second = subprocess.run(
            [sys.executable, "-m", "bot.cli", "ingest", "--quiet", str(CORPUS)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
        )
        assert stages.poll()[-1] == "embedding", "the first ingest ended before the second ran"
        assert first.wait(60) == 0
        assert stages.finish()[-1] == "fsync:dir"  # it ran to the end
        # more generations published while the reader polls
        for n in range(3):
            extra = tmp_path / f"extra-{n}.txt"
            extra.write_text(f"Extra note {n}.\n\nThe quarry at site {n} produced 40 tonnes.")
            ingest(index_dir, [extra], embedder=EMBEDDER)
            time.sleep(0.2)
        time.sleep(0.3)
    finally:
        reader.stop.set()
        reader.join(10)
    assert second.returncode == 1 and "Traceback" not in second.stderr
    assert second.stderr.strip() == (
        f"Error: Another ingest is already running on {index_dir}/; wait for it to finish."
    )
    assert not reader.failures, reader.failures[:5]
    assert reader.opens >= 20 and len(reader.generations) >= 4, (reader.opens, reader.generations)
    assert set(reference) <= set(documents(index_dir)) and verify_index(index_dir).ok
    assert (index_dir / LOCK_NAME).exists()


# --- a Bot API that times out -----------------------------------------------------------------


def test_read_timeouts_still_give_exactly_one_answer(index_dir: Path) -> None:
    """A reply whose response is lost (read timeout) was delivered: no retry, no 'sorry'."""
    users = range(2000, 2008)
    faults = Faults(
        rate=0.35,
        kinds=("slow",),
        slow_seconds=1.0,
        methods=frozenset({"sendMessage"}),
        seed=3,
    )
    request = RetryingRequest(connection_pool_size=16, read_timeout=0.3, backoff=0.01)

    async def scenario(stub: BotApiStub) -> None:
        for user in users:
            stub.push_message(f"{QUESTION} {user}", user_id=user)  # one text per user
        for user in users:
            await replies(stub, user, 1, timeout=30)
        await asyncio.sleep(1.5)  # time for a duplicate or an apology to show up

    stub = _play(index_dir, scenario, faults=faults, request=request)
    assert stub.faults_injected, "no timeout was injected"
    for user in users:
        assert len(stub.messages(user)) == 1, [shown(m)[:80] for m in stub.messages(user)]
        (reply,) = stub.messages(user)
        assert f"{QUESTION} {user}" in shown(reply) and quoted(reply)
