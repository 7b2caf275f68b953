"""The real PTB Application against the local Bot API stand-in (tests/botapi_stub.py).

Every reply goes through python-telegram-bot's own networking stack to a server that rejects
what Telegram rejects, so a passing test means Telegram would have accepted the replies.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.config import Settings
from bot.embedding import HashEmbedder
from bot.index import current_generation
from bot.ingest import ingest, remove
from bot.telegram.app import build_application, polling_options, webhook_options
from bot.telegram.transport import RetryingRequest
from tests.botapi_stub import (
    BotApiStub,
    Faults,
    SentMessage,
    parse_telegram_html,
    post_webhook,
)

TOKEN = "987654:AAE-secret-token-never-in-logs"
ADMIN = 42
USER = 111
CORPUS = Path(__file__).resolve().parent.parent / "corpus"
QUESTION = "What did the Argencon mission to the United States aim for?"
# Broad enough that more than one page of passages answers it (only answering ones are shown).
MORE_QUESTION = "Argentina"
CORPUS_TEXT = "\n".join(p.read_text() for p in CORPUS.glob("*.txt"))

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("built") / "index"
    ingest(index_dir, [str(CORPUS)], embedder=HashEmbedder())
    return index_dir


@pytest.fixture
def index_dir(built_index: Path, tmp_path: Path) -> Path:
    """A private copy of the corpus index for each test (bot.db included)."""
    return Path(shutil.copytree(built_index, tmp_path / "index"))


@asynccontextmanager
async def running_bot(
    stub: BotApiStub,
    index_dir: Path,
    request: RetryingRequest | None = None,
    *,
    get_updates_request: RetryingRequest | None = None,
    **overrides: Any,
) -> AsyncIterator[Application]:
    """The bot as `reportbot run` starts it (initialize, post_init, polling), on the stand-in."""
    settings = Settings(
        telegram_bot_token=stub.token,
        telegram_api_base_url=stub.url,
        index_dir=index_dir,
        admin_ids=frozenset({ADMIN}),
        **overrides,
    )
    app = build_application(
        settings, embedder=HashEmbedder(), request=request, get_updates_request=get_updates_request
    )

    def polling_error(exc: Exception) -> None:  # what run_polling() passes: to the error handler
        app.create_task(app.process_error(update=None, error=exc))

    async with app:
        await app.post_init(app)  # run_polling() would call it; here we drive the app ourselves
        await app.start()
        await app.updater.start_polling(
            poll_interval=0.01, timeout=0, error_callback=polling_error, **polling_options()
        )
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
            await app.post_stop(app)


def run(
    index_dir: Path,
    scenario: Callable[[BotApiStub], Awaitable[None]],
    *,
    faults: Faults | None = None,
    request: RetryingRequest | None = None,
    **overrides: Any,
) -> BotApiStub:
    """Start the stand-in and the bot, play a scenario, check Telegram rejected nothing."""
    with BotApiStub(TOKEN, faults=faults) as stub:

        async def main() -> None:
            async with running_bot(stub, index_dir, request, **overrides):
                await scenario(stub)

        asyncio.run(main())
    assert stub.rejections == [], stub.rejections
    return stub


def shown(message: SentMessage) -> str:
    return parse_telegram_html(message.text)


async def replies(stub: BotApiStub, chat_id: int, n: int, timeout: float = 10) -> list[SentMessage]:
    await stub.until(lambda: len(stub.messages(chat_id)) >= n, timeout)
    return stub.messages(chat_id)


def buttons(message: SentMessage) -> dict[str, str]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def quoted(message: SentMessage) -> list[str]:
    """The passages quoted in an answer message (the text inside each blockquote)."""
    import re

    return [
        parse_telegram_html(q)
        for q in re.findall(r"<blockquote>(.*?)</blockquote>", message.text, re.S)
    ]


# --- users --------------------------------------------------------------------------------------


def test_start_and_help_explain_with_examples_and_commands_are_registered(index_dir: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message("/start")
        stub.push_message("/help", user_id=ADMIN)
        await replies(stub, USER, 1)
        await replies(stub, ADMIN, 1)
        await stub.until(lambda: len(stub.profile) == 4)  # set in the background at start-up

    stub = run(index_dir, scenario)
    user_help, admin_help = shown(stub.messages(USER)[0]), shown(stub.messages(ADMIN)[0])
    assert "2 reports" in user_help
    assert "Argentina Wants to Be an AI Hub" in user_help  # examples from the indexed titles
    assert "/reindex" not in user_help and "/reindex" in admin_help
    menus = {
        ((c.get("scope") or {"type": "default"})["type"], c.get("language_code", "")): [
            x["command"] for x in c["commands"]
        ]
        for c in stub.commands
    }
    for language in ("", "es"):
        assert {"ask", "sources", "help", "start", "check"} <= set(menus["default", language])
        assert "add" not in menus["default", language] and "add" in menus["chat", language]
    assert set(stub.profile) == {
        (kind, language) for kind in ("description", "short_description") for language in ("", "es")
    }


def test_private_message_is_a_question_answered_with_quotes_buttons_and_typing(
    index_dir: Path,
) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(QUESTION)
        await replies(stub, USER, 1)

    stub = run(index_dir, scenario)
    (answer,) = stub.messages(USER)
    quotes = quoted(answer)
    assert quotes and all(q.replace("… ", "").replace(" …", "") in CORPUS_TEXT for q in quotes)
    assert "Argencon" in shown(answer)  # citation: publisher
    assert {"👍", "👎", "📖 Context 1", "📄 Source 1"} <= set(buttons(answer))
    assert [a["action"] for a in stub.chat_actions] == ["typing"]


def test_ask_command_and_empty_ask(index_dir: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(f"/ask {QUESTION}")
        await replies(stub, USER, 1)
        stub.push_message("/ask")
        await replies(stub, USER, 2)

    stub = run(index_dir, scenario)
    answer, usage = stub.messages(USER)
    assert quoted(answer)
    assert "/ask" in shown(usage) and not quoted(usage)


def test_not_covered_says_so_and_offers_sources(index_dir: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message("zebra quantum pancake recipe")
        await replies(stub, USER, 1)

    (reply,) = run(index_dir, scenario).messages(USER)
    assert "do not cover" in shown(reply) and "/sources" in shown(reply)
    assert not reply.reply_markup


def test_sources_lists_the_documents(index_dir: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message("/sources")
        await replies(stub, USER, 1)

    text = shown(run(index_dir, scenario).messages(USER)[0])
    assert "2 documents" in text
    assert "Argentina Wants to Be an AI Hub" in text and "Techloy" in text


def test_buttons_more_context_source_and_feedback(index_dir: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(MORE_QUESTION)
        (answer,) = await replies(stub, USER, 1)
        data = buttons(answer)
        stub.push_callback(answer, data["More ▸"])
        await replies(stub, USER, 2)
        stub.push_callback(answer, data["📖 Context 1"])
        await replies(stub, USER, 3)
        stub.push_callback(answer, data["📄 Source 1"])
        await replies(stub, USER, 4)
        stub.push_callback(answer, data["👍"])
        await stub.until(lambda: len(stub.callback_answers) >= 4)
        stub.push_message("/stats", user_id=ADMIN)
        await replies(stub, ADMIN, 1)

    stub = run(index_dir, scenario)
    answer, more, context, source = stub.messages(USER)
    first = quoted(answer)
    assert quoted(more) and not set(quoted(more)) & set(first)  # the next passages, not repeats
    assert "passage 4" in shown(more)
    assert shown(context).startswith("Context") and first[0].strip("… ") in shown(context)
    assert "Publisher: Argencon" in shown(source) or "Publisher: Techloy" in shown(source)
    assert "Thanks" in stub.callback_answers[-1].get("text", "")
    stats = shown(stub.messages(ADMIN)[0])
    assert "Questions asked: 2" in stats and "👍 1" in stats and "👎 0" in stats


def test_groups_answer_ask_mentions_and_replies_only(index_dir: Path) -> None:
    group = -100123

    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(QUESTION, chat_id=group, chat_type="supergroup")  # not addressed: quiet
        stub.push_message(f"/ask@{stub.username} {QUESTION}", chat_id=group, chat_type="supergroup")
        (answer,) = await replies(stub, group, 1)
        stub.push_message(
            f"@{stub.username} what is the brain drain?", chat_id=group, chat_type="supergroup"
        )
        await replies(stub, group, 2)
        stub.push_message(
            "and the exports goal?", chat_id=group, chat_type="supergroup", reply_to=answer
        )
        await replies(stub, group, 3)
        stub.push_message("/sources", chat_id=group, chat_type="supergroup")
        await replies(stub, group, 4)
        await asyncio.sleep(0.3)

    stub = run(index_dir, scenario)
    messages = stub.messages(group)
    assert len(messages) == 4  # the unaddressed message got nothing
    assert all(m.reply_to for m in messages[:3])  # answers quote the question in groups
    assert "@reportbot" not in shown(messages[1]).split("\n")[0]  # mention stripped from question


def test_inline_mode_offers_quotes_with_citations(index_dir: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_inline(QUESTION)
        stub.push_inline("x")  # too short: empty result list, no error
        await stub.until(lambda: len(stub.inline_answers) >= 2)

    stub = run(index_dir, scenario)
    results = {len(a["results"]) for a in stub.inline_answers}
    assert 0 in results and max(results) >= 1
    full = next(a for a in stub.inline_answers if a["results"])
    text = parse_telegram_html(full["results"][0]["input_message_content"]["message_text"])
    assert "Argencon" in text or "Techloy" in text


def test_check_command_renders_verdicts_with_evidence(index_dir: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message("/check Argencon aims for USD 30 billion in sector exports")
        await replies(stub, USER, 1, timeout=20)
        stub.push_message("/check Argencon aims for USD 50 billion in sector exports")
        await replies(stub, USER, 2, timeout=20)

    supported, contradicted = (shown(m) for m in run(index_dir, scenario).messages(USER))
    assert supported.startswith("✅ Supported") and "USD $30 billion in sector exports" in supported
    assert "Argencon · paragraph" in supported  # publisher joined from the index
    assert contradicted.startswith("❌ Contradicted") and "❌ differs" in contradicted


def test_rate_limit_and_long_questions_are_refused_politely(index_dir: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message("x" * 1001)
        await replies(stub, USER, 1)
        for _ in range(3):
            stub.push_message(QUESTION)
        await replies(stub, USER, 4)

    stub = run(index_dir, scenario, rate_limit_per_minute=2)
    texts = [shown(m) for m in stub.messages(USER)]
    assert "1,001 characters long; please keep it under 1,000" in texts[0]
    assert sum("faster than I can quote" in t for t in texts[1:]) == 1
    assert sum(bool(quoted(m)) for m in stub.messages(USER)) == 2


def test_odd_updates_do_not_raise(index_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)

    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(
            extra={
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "s",
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            }
        )
        stub.push_message(
            extra={"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]}
        )
        stub.push_message(extra={"voice": {"file_id": "v", "file_unique_id": "v", "duration": 1}})
        edited = stub.message_payload(QUESTION)
        stub.push_raw({"edited_message": {**edited, "edit_date": edited["date"]}})
        post = stub.message_payload(QUESTION, chat_id=-100777, chat_type="channel")
        post.pop("from")
        stub.push_raw({"channel_post": post})
        stub.push_raw({"some_future_update": {"id": 1}})
        stub.push_message("/nosuchcommand")
        stub.push_message(QUESTION)
        await replies(stub, USER, 1)
        await asyncio.sleep(0.3)

    stub = run(index_dir, scenario)
    assert len(stub.messages()) == 1 and quoted(stub.messages()[0])
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_allow_list_only_answers_listed_users(index_dir: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(QUESTION, user_id=555)
        stub.push_message(QUESTION, user_id=USER)
        stub.push_message(QUESTION, user_id=ADMIN)
        await replies(stub, 555, 1)
        await replies(stub, USER, 1)
        await replies(stub, ADMIN, 1)

    stub = run(index_dir, scenario, allowed_ids=frozenset({USER}))
    assert "private" in shown(stub.messages(555)[0]) and not quoted(stub.messages(555)[0])
    assert quoted(stub.messages(USER)[0]) and quoted(stub.messages(ADMIN)[0])


def test_without_an_index_the_bot_starts_and_says_what_to_do(tmp_path: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message("/start")
        stub.push_message(QUESTION)
        await replies(stub, USER, 2)

    stub = run(tmp_path / "empty-index", scenario)
    texts = sorted(shown(m) for m in stub.messages(USER))
    assert any("No reports are indexed yet" in t for t in texts)
    assert any("reportbot ingest" in t for t in texts)


# --- admins -------------------------------------------------------------------------------------


UPLOAD = (
    "The Zanzibar Pineapple Festival\n\n"
    "The Zanzibar pineapple festival drew 12,000 visitors in 2024, organisers said, "
    "and pineapple exports from the island doubled.\n"
)


def test_admin_upload_end_to_end_and_resend_changes_nothing(index_dir: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        doc = stub.add_file("../../zanzibar report.txt", UPLOAD.encode())
        stub.push_message(
            user_id=ADMIN, extra={"document": doc, "caption": "Pineapple <Festival> 2024"}
        )
        (status,) = await replies(stub, ADMIN, 1)
        await stub.until(lambda: status.text.startswith("✅"), 20)
        stub.push_message("How many visitors did the pineapple festival draw?", user_id=USER)
        await replies(stub, USER, 1)
        stub.push_message(  # the same file again (forwarded: same caption)
            user_id=ADMIN, extra={"document": doc, "caption": "Pineapple <Festival> 2024"}
        )
        await replies(stub, ADMIN, 2)
        await stub.until(lambda: stub.messages(ADMIN)[1].text.startswith("✅"), 20)

    stub = run(index_dir, scenario)
    first, again = (shown(m) for m in stub.messages(ADMIN))
    assert "1 added" in first and "Pineapple <Festival> 2024" in first and "passages" in first
    assert stub.messages(ADMIN)[0].edits  # a status message edited with progress/outcome
    answer = shown(stub.messages(USER)[0])
    assert "12,000 visitors" in answer and "Pineapple <Festival> 2024" in answer
    assert "0 added, 0 updated, 1 unchanged" in again and "Nothing changed" in again
    assert [p.name for p in (index_dir / "uploads").iterdir()] == ["zanzibar_report.txt"]


def test_non_admins_are_refused_and_nothing_changes(index_dir: Path) -> None:
    before = current_generation(index_dir)

    async def scenario(stub: BotApiStub) -> None:
        doc = stub.add_file("evil.txt", UPLOAD.encode())
        stub.push_message(extra={"document": doc})
        for command in ("/add https://example.org/x.pdf", "/remove argencon", "/reindex", "/stats"):
            stub.push_message(command)
        await replies(stub, USER, 5)

    stub = run(index_dir, scenario)
    assert all("only the bot's admins" in shown(m) for m in stub.messages(USER))
    assert current_generation(index_dir) == before
    assert not (index_dir / "uploads").exists()
    assert stub.method_calls("getFile") == []


def test_admin_remove_reindex_and_add_errors(index_dir: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message("/add http://127.0.0.1:9/private.pdf", user_id=ADMIN)
        (add,) = await replies(stub, ADMIN, 1)
        await stub.until(lambda: add.text.startswith(("❌", "⚠")), 20)
        stub.push_message("/remove techloy-argentina-wants-to-be-an-ai-hub", user_id=ADMIN)
        await replies(stub, ADMIN, 2)
        await stub.until(lambda: stub.messages(ADMIN)[1].text.startswith("✅"), 20)
        stub.push_message("/sources")
        await replies(stub, USER, 1)
        stub.push_message("/reindex", user_id=ADMIN)
        await replies(stub, ADMIN, 3)
        await stub.until(lambda: stub.messages(ADMIN)[2].text.startswith("✅"), 20)
        stub.push_message("/remove no-such-doc", user_id=ADMIN)
        await replies(stub, ADMIN, 4)
        await stub.until(lambda: stub.messages(ADMIN)[3].text[:1] in "✅❌⚠", 20)

    stub = run(index_dir, scenario)
    add, removed, reindexed, missing = (shown(m) for m in stub.messages(ADMIN))
    assert "127.0.0.1" in add or "private" in add.lower()
    assert "1 removed" in removed
    listing = shown(stub.messages(USER)[0])
    assert "1 documents" in listing and "AI Hub" not in listing
    assert "Rebuil" in stub.messages(ADMIN)[2].edits[0] and "1 added" in reindexed
    # The status message followed the phases (bot.progress), then showed the outcome.
    assert any(e.startswith("⏳ extracting: ") for e in stub.messages(ADMIN)[2].edits), (
        stub.messages(ADMIN)[2].edits
    )
    assert "no-such-doc" in missing or "0 removed" in missing


def test_index_reloads_when_a_new_generation_is_published(index_dir: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message("How many visitors did the pineapple festival draw?")
        await replies(stub, USER, 1)
        source = index_dir.parent / "zanzibar.txt"
        source.write_text(UPLOAD)
        await asyncio.to_thread(ingest, index_dir, [str(source)], embedder=HashEmbedder())
        await asyncio.sleep(1.1)  # the bot checks the generation at most once a second
        stub.push_message("How many visitors did the pineapple festival draw?")
        await replies(stub, USER, 2)

    before, after = run(index_dir, scenario).messages(USER)
    assert "12,000 visitors" not in shown(before)
    assert "12,000 visitors" in shown(after)


# --- a flaky Bot API ----------------------------------------------------------------------------


def test_flaky_api_still_answers_each_question_exactly_once(
    index_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    users = range(1000, 1012)
    faults = Faults(rate=0.3, kinds=("429", "500", "502", "drop", "slow"), seed=7)

    async def scenario(stub: BotApiStub) -> None:
        for user in users:
            stub.push_message(f"{QUESTION} {user}", user_id=user)  # one text per user
        for user in users:
            await replies(stub, user, 1, timeout=40)
        await asyncio.sleep(0.5)  # time for any duplicate to show up

    stub = run(index_dir, scenario, faults=faults)
    for user in users:
        (answer,) = stub.messages(user)
        assert f"{QUESTION} {user}" in shown(answer) and quoted(answer)
    kinds = {kind for method, kind in stub.faults_injected if method == "sendMessage"}
    assert {"429", "drop"} & kinds and {"500", "502"} & kinds  # the faults really happened
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text


def test_token_never_logged_even_when_everything_fails(
    index_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    faults = Faults(rate=1.0, kinds=("500", "drop"), methods=frozenset({"sendMessage"}))

    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(QUESTION)
        stub.push_message(
            extra={
                "document": {
                    "file_id": "nope",
                    "file_unique_id": "n",
                    "file_name": "x.txt",
                    "file_size": 3,
                }
            },
            user_id=ADMIN,
        )
        await stub.until(lambda: len(stub.faults_injected) >= 6, 30)
        await asyncio.sleep(0.5)

    run(index_dir, scenario, faults=faults, request=RetryingRequest(attempts=2, backoff=0.01))
    assert (
        "unhandled error" in caplog.text
        or "Bad Gateway" in caplog.text
        or "Internal" in caplog.text
    )
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text


# --- webhook mode -------------------------------------------------------------------------------


def test_webhook_requires_the_secret_token(index_dir: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings_overrides = {
        "telegram_webhook_url": "https://bot.example.org/tg-hook",
        "telegram_webhook_secret": "s3cret-value",
        "webhook_listen": "127.0.0.1",
        "webhook_port": port,
    }

    def post(stub: BotApiStub, secret: str | None) -> int:
        update = {"update_id": 10_000, "message": stub.message_payload(QUESTION)}
        return post_webhook(f"http://127.0.0.1:{port}/tg-hook", update, secret)

    with BotApiStub(TOKEN) as stub:

        async def main() -> list[int]:
            settings = Settings(
                telegram_bot_token=stub.token,
                telegram_api_base_url=stub.url,
                index_dir=index_dir,
                **settings_overrides,
            )
            app = build_application(settings, embedder=HashEmbedder())
            async with app:
                await app.start()
                await app.updater.start_webhook(**webhook_options(settings))
                codes = [
                    await asyncio.to_thread(post, stub, secret)
                    for secret in (None, "wrong", "s3cret-value")
                ]
                await replies(stub, USER, 1)
                await app.updater.stop()
                await app.stop()
            return codes

        codes = asyncio.run(main())
    assert codes == [403, 403, 200]
    assert stub.webhook["url"] == "https://bot.example.org/tg-hook"
    assert stub.webhook["secret_token"] == "s3cret-value"
    assert len(stub.messages(USER)) == 1


def test_buttons_on_an_answer_from_a_removed_document_explain_instead_of_failing(
    index_dir: Path,
) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(QUESTION)
        (answer,) = await replies(stub, USER, 1)
        doc_ids = [d.name.removesuffix(".txt") for d in CORPUS.glob("*.txt")]
        await asyncio.to_thread(remove, index_dir, doc_ids, embedder=HashEmbedder())
        await asyncio.sleep(1.1)  # let the bot see the new generation
        stub.push_callback(answer, buttons(answer)["📖 Context 1"])
        await stub.until(lambda: len(stub.callback_answers) >= 1)
        stub.push_callback(answer, buttons(answer)["📄 Source 1"])
        await stub.until(lambda: len(stub.callback_answers) >= 2)

    stub = run(index_dir, scenario)
    assert len(stub.messages(USER)) == 1  # no new message, no crash
    for reply in stub.callback_answers:
        assert "No passage" in reply["text"] and "Something went wrong" not in reply["text"]


# --- search in one report -----------------------------------------------------------------------

TECHLOY = "techloy-argentina-wants-to-be-an-ai-hub"


def citations(message: SentMessage) -> list[str]:
    """The citation of each quote in an answer (what follows its blockquote, to the line end)."""
    import re

    return [parse_telegram_html(c) for c in re.findall(r"</blockquote>(— [^\n]*)", message.text)]


def test_ask_naming_a_report_searches_only_that_report(index_dir: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(f"/ask {QUESTION}")
        await replies(stub, USER, 1)
        stub.push_message(f"/ask {TECHLOY} {QUESTION}")
        await replies(stub, USER, 2)
        stub.push_message(f"/ask {TECHLOY}")
        await replies(stub, USER, 3)

    everywhere, within, usage = run(index_dir, scenario).messages(USER)
    assert any("Argencon" in c for c in citations(everywhere))
    # Restricted to the Techloy article: every passage quoted is from it, or it says it has none.
    if quoted(within):
        assert citations(within) and all("Techloy" in c for c in citations(within))
    else:
        assert "Argentina Wants to Be an AI Hub</i> does not seem to cover" in within.text
    assert f"/ask {TECHLOY} question" in shown(usage)


def test_search_in_this_report_button_then_a_reply_and_more_stay_in_the_report(
    index_dir: Path,
) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(f"/ask {TECHLOY} Where are the brightest AI graduates going?")
        (answer,) = await replies(stub, USER, 1)
        stub.push_callback(answer, buttons(answer)["📄 Source 1"])
        source = (await replies(stub, USER, 2))[1]
        stub.push_callback(source, buttons(source)["🔍 Search in this report"])
        prompt = (await replies(stub, USER, 3))[2]
        stub.push_message(QUESTION, reply_to=prompt)  # answered from Argencon when unrestricted
        restricted = (await replies(stub, USER, 4))[3]
        if "More ▸" in buttons(restricted):
            stub.push_callback(restricted, buttons(restricted)["More ▸"])
            await replies(stub, USER, 5)

    stub = run(index_dir, scenario)
    answer, source, prompt, *restricted = stub.messages(USER)
    assert quoted(answer) and all("Techloy" in c for c in citations(answer))
    assert "Publisher: Techloy" in shown(source)
    assert prompt.reply_markup == {"force_reply": True, "selective": True}
    assert "Reply to this message with your question about Argentina Wants" in shown(prompt)
    for reply in restricted:
        assert all("Techloy" in c for c in citations(reply)), shown(reply)
        assert quoted(reply) or "does not seem to cover" in shown(reply)
