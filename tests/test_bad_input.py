"""Hostile questions and claims: answered or politely refused, never an error, never broken HTML.

Each input goes through `answer`, `bot.factcheck.check`, the Telegram renderers (validated by
the Bot API stand-in's HTML parser, which rejects what Telegram rejects), and the running bot.
The real model's tokenizer gets the same inputs in an e2e test. Simple FTS5/SQL syntax through
`answer` alone is also in test_answering.py; loaders are fuzzed in test_loaders_fuzz.py.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answering import answer
from bot.errors import InvalidQuestion
from bot.factcheck import check
from bot.models import Answer
from bot.telegram.render import inline_results, render_answer, render_verdict
from tests.botapi_stub import BotApiStub, check_text, tg_len
from tests.test_telegram_bot import QUESTION, quoted, replies, run, shown

HOSTILE = {
    "empty": "",
    "whitespace": " \t\n\u00a0\u3000 ",
    "100k letters": "a" * 100_000,
    "100k words": "why is the Argencon mission " * 3_600,
    "control characters": "GPUs\x00 in\x1b[31m Córdoba\x07\x08\x7f lab\r\n?",
    "only control characters": "\x00\x01\x02\x1b\x7f",
    "lone surrogates": "\udcff\ud800 Argencon mission \udfff",
    "html injection": '<script>alert(1)</script></blockquote><b>Argencon <a href="javascript:x">',
    "html entities": "&amp; &lt;b&gt; &#0; &#x110000; & < > Argencon exports",
    "markdown injection": "**Argencon** _mission_ `code` [link](javascript:alert(1)) ~~x~~ ||s||",
    "right-to-left": "ما هو هدف بعثة Argencon إلى الولايات المتحدة؟",
    "bidi override": "\u202eArgencon mission\u202c \u2067exports\u2069",
    "hebrew": "מה המטרה של Argencon?",
    "combining": "Co\u0301rdoba GPUs e\u0301\u0301\u0301\u0301\u0301 " + "a" + "\u0300" * 300,
    "zalgo": "A" + "\u0336\u0337\u0338" * 200 + "rgencon",
    "emoji only": "🤖🇦🇷👍🏽👨‍👩‍👧‍👦",
    "emoji and words": "📈 Argencon exports 🚀🚀",
    "fts quote": '"',
    "fts star": "*",
    "fts near": "NEAR(Argencon mission, 2)",
    "fts operators": "Argencon OR exports AND NOT mission",
    "fts unbalanced": "((Argencon mission) OR (exports",
    "fts column filter": "chunks_fts:Argencon text:exports {text doc_id}: mission",
    "fts caret and plus": "^Argencon + mission - exports",
    "sql": "'; DROP TABLE chunks; -- Argencon",
    "zero width": "Arg\u200bencon\u200d mis\ufeffsion",
    "numbers only": "30 30% 12,000 $9.685 billion 2024-2025",
    "very long word": "Argencon" * 500,
    "newlines": "Argencon\n\n\n\nmission\n" * 50,
}
VALID = ("found", "not_found")
VERDICTS = ("supported", "contradicted", "not_found", "no_figures", "unverifiable", "partly")


def _telegram_accepts(messages: list[str]) -> None:
    assert messages
    for text in messages:
        check_text(text, "HTML")  # raises TelegramReject where Telegram would
        assert tg_len(text) <= 4096 * 2  # markup included; the plain text is checked above


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_questions_are_answered_or_refused_and_render(corpus_index, text: str) -> None:
    try:
        result = answer(corpus_index, text)
    except InvalidQuestion as exc:
        assert str(exc).strip() and "\n" not in str(exc)
        return
    assert result.status in VALID
    for p in result.passages:
        assert p.quote == corpus_index.document(p.doc_id)["text"][p.start : p.end]
    _telegram_accepts(render_answer(result))
    _telegram_accepts(render_answer(result, offset=3))
    for item in inline_results(result):
        content = item.input_message_content
        check_text(content.message_text, "HTML")


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_claims_are_checked_or_refused_and_render(corpus_index, text: str) -> None:
    try:
        verdict = check(corpus_index, text)
    except InvalidQuestion as exc:
        assert str(exc).strip() and "\n" not in str(exc)
        return
    assert verdict.verdict and verdict.explanation
    _telegram_accepts(render_verdict(verdict, corpus_index.documents()))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=400))
def test_any_text_is_answered_or_refused_and_renders(corpus_index, text: str) -> None:
    try:
        result = answer(corpus_index, text)
        verdict = check(corpus_index, text)
    except InvalidQuestion as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(result, Answer) and result.status in VALID
    _telegram_accepts(render_answer(result))
    _telegram_accepts(render_verdict(verdict, corpus_index.documents()))


TOKENIZER_CASES = (
    "control characters",
    "lone surrogates",
    "bidi override",
    "right-to-left",
    "zalgo",
    "emoji only",
    "zero width",
    "html injection",
)


@pytest.mark.e2e
@pytest.mark.parametrize("name", TOKENIZER_CASES)
def test_hostile_questions_with_the_real_model(real_index, name: str) -> None:
    """The real tokenizer is where odd text (lone surrogates, say) would break."""
    try:
        result = answer(real_index, HOSTILE[name])
    except InvalidQuestion:
        return
    assert result.status in VALID
    _telegram_accepts(render_answer(result))


def test_hostile_messages_to_the_running_bot_get_one_polite_reply_each(corpus_index_dir, tmp_path):
    import shutil

    index_dir = shutil.copytree(corpus_index_dir, tmp_path / "index")
    # Telegram carries at most 4,096 characters in a message
    texts = {name: t[:4096] for name, t in HOSTILE.items() if t.strip()}

    async def scenario(stub: BotApiStub) -> None:
        for n, text in enumerate(texts.values()):
            stub.push_message(text, user_id=5000 + n)
            stub.push_message(f"/check {text}", user_id=6000 + n)
            stub.push_inline(text[:256], user_id=7000 + n)
        for n in range(len(texts)):
            await replies(stub, 5000 + n, 1, timeout=30)
            await replies(stub, 6000 + n, 1, timeout=30)
        stub.push_message(QUESTION, user_id=5000)  # and the bot still answers normally
        await replies(stub, 5000, 2)
        await asyncio.sleep(0.5)

    stub = run(index_dir, scenario, rate_limit_per_minute=0)  # `run` asserts no rejections
    for n, name in enumerate(texts):
        for user in (5000 + n, 6000 + n):
            sent = stub.messages(user)
            assert len(sent) == (2 if user == 5000 else 1), (name, [shown(m) for m in sent])
            assert "went wrong" not in shown(sent[0]), (name, shown(sent[0]))
    assert quoted(stub.messages(5000)[-1])


# --- hostile documents through a whole ingest ---------------------------------------------------


def test_a_folder_of_hostile_documents_leaves_the_index_sound(tmp_path, monkeypatch) -> None:
    """Every kind of bad file the issue lists, beside good ones, through `reportbot ingest` with
    REPORTBOT_MAX_FILE_BYTES set: each bad file is one line of `failed:`, the good ones are
    indexed, and an ingest of only bad files leaves the previous generation live."""
    from click.testing import CliRunner

    from bot.cli import cli
    from bot.config import get_settings
    from bot.embedding import HashEmbedder
    from bot.index import ReportIndex, current_generation, verify
    from tests.conftest import CORPUS
    from tests.test_loaders import encrypt_pdf, make_pdf, make_scanned_pdf, zip_bomb

    bad = tmp_path / "bad"
    bad.mkdir()
    files = {
        "empty.txt": b"",
        "zero.pdf": b"",
        "locked.pdf": encrypt_pdf(make_pdf(["secret"]), user_password="pw", owner_password="o"),
        "scan.pdf": make_scanned_pdf(),
        "huge.txt": b"word " * 30_000,  # 150 KB, over the 100 KB limit below
        "latin1-binary.txt": bytes(range(256)) * 4,
        "app.html": b"<html><head><script>a()</script></head><body><script>b()</script></body>",
        "bomb.docx": zip_bomb(8 * 1024 * 1024),
        "fake.docx": b"PK\x03\x04 not really a zip",
    }
    for name, data in files.items():
        (bad / name).write_bytes(data)
    good = tmp_path / "good"
    good.mkdir()
    (good / "cafe.txt").write_text(
        "Coffee report.\n\nExports of coffee grew 12% in 2024.", "latin-1"
    )
    (good / "cafe-es.txt").write_bytes("Informe del café: creció un 9% en 2024.".encode("latin-1"))

    monkeypatch.setenv("REPORTBOT_MODEL", "hash")
    monkeypatch.setenv("REPORTBOT_MAX_FILE_BYTES", str(100 * 1024))
    get_settings.cache_clear()
    index_dir = tmp_path / "index"
    runner = CliRunner()
    where = ["--index-dir", str(index_dir)]
    first = runner.invoke(cli, ["ingest", "-q", str(CORPUS), *where])
    assert first.exit_code == 0, first.output
    before = current_generation(index_dir)

    only_bad = runner.invoke(cli, ["ingest", "-q", str(bad), *where])
    assert only_bad.exit_code == 1 and "Traceback" not in only_bad.output
    failed = [line for line in only_bad.output.splitlines() if line.startswith("failed: ")]
    assert sorted(line.split(": ")[1].rsplit("/", 1)[-1] for line in failed) == sorted(files)
    assert current_generation(index_dir) == before  # nothing changed: nothing published
    for reason, name in (
        ("password-protected", "locked.pdf"),
        ("OCR", "scan.pdf"),
        ("100 KiB limit", "huge.txt"),
        ("zip bomb", "bomb.docx"),
    ):
        assert any(name in line and reason in line for line in failed), (name, failed)

    mixed = runner.invoke(cli, ["ingest", "-q", str(bad), str(good), *where])
    assert mixed.exit_code == 1 and "2 added" in mixed.output, mixed.output
    result = verify(index_dir)
    assert result.ok and result.documents == 4
    index = ReportIndex.open(index_dir, HashEmbedder())
    assert {d["id"] for d in index.documents()} >= {"cafe", "cafe-es"}
