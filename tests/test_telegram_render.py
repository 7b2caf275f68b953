"""Rendering for Telegram: escaping, splitting, trimming, buttons. Checked with the same HTML
parser the Bot API stand-in uses to reject what Telegram would reject."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.figures import Comparison, Figure
from bot.models import Answer, Evidence, Passage, Verdict, VerdictKind
from bot.telegram.messages import MESSAGES
from bot.telegram.render import (
    MAX_CALLBACK_DATA,
    MAX_MESSAGE,
    answer_keyboard,
    callback,
    inline_results,
    parse_callback,
    render_answer,
    render_context,
    render_help,
    render_passage,
    render_source,
    render_sources,
    render_stats,
    render_verdict,
    tg_len,
)
from bot.telegram.state import BotState, RateLimiter, upload_path
from tests.botapi_stub import TelegramReject, check_markup, check_text, parse_telegram_html
from tests.factories import make_passage

HOSTILE = 'Profits <b>rose</b> & fell </blockquote><script>alert("x")</script> &amp; 5 < 6 > 4'
RTL = "قالت الحكومة إن الصادرات ارتفعت بنسبة ٣٠٪ في عام ٢٠٢٤. הממשלה אמרה"
EMOJI = "📈🇦🇷👩🏽‍💻"


def valid(message: str) -> str:
    """The text Telegram would show; fails the test where Telegram would reject the message."""
    check_text(message, "HTML")
    assert tg_len(message) <= MAX_MESSAGE
    return parse_telegram_html(message)


def test_hostile_text_is_escaped_and_quoted_verbatim() -> None:
    p = make_passage(f"Before. {HOSTILE} After.", HOSTILE)
    html = render_passage(p, 1)
    shown = valid(html)
    assert p.quote in shown  # verbatim, nothing lost to escaping
    assert "<script>" not in html and "</blockquote><script>" not in html
    assert html.count("<blockquote>") == html.count("</blockquote>") == 1
    assert "Report <2024> & co" in shown and "Pub & Sons" in shown
    assert 'href="https://example.org/r?a=1&amp;b=2"' in html


def test_key_sentence_is_bold() -> None:
    p = make_passage(
        "First sentence. The key finding is here. Last one.", "The key finding is here."
    )
    assert "<b>The key finding is here.</b>" in render_passage(p)


def test_highlight_offset_wrong_falls_back_to_search_or_plain() -> None:
    p = make_passage("Alpha beta. Gamma delta.", "Gamma delta.")
    p.highlight_start = 0  # wrong offset: found by search instead
    assert "<b>Gamma delta.</b>" in render_passage(p)
    p.highlight = "not in the quote"
    html = render_passage(p)
    assert "<b>" not in html.split("</blockquote>")[0]
    assert p.quote in valid(html)


@pytest.mark.parametrize("filler", ["word ", "a&b<c ", "📈 ", "مرحبا بالعالم ", "x"])
def test_5000_char_paragraph_is_trimmed_around_the_highlight(filler: str) -> None:
    key = "THE KEY SENTENCE & <ITS> FIGURES."
    body = filler * (5000 // len(filler))
    quote = body[:2500] + key + body[:2500]
    p = make_passage(quote, key)
    html = render_passage(p, 1)
    shown = valid(html)
    assert key in shown
    assert f"<b>{'THE KEY SENTENCE &amp; &lt;ITS&gt; FIGURES.'}</b>" in html
    assert "…" in shown
    assert shown.endswith("paragraph 4 · link")  # the citation survives the trim
    assert tg_len(html) > MAX_MESSAGE - 800  # trimmed to fit, not thrown away


def test_highlight_longer_than_a_message_is_cut_inside_bold() -> None:
    key = "&<" * 3000
    p = make_passage(key, key)
    html = render_passage(p)
    shown = valid(html)
    assert shown.count("…") >= 1
    assert "<b>&amp;&lt;" in html


def test_answer_splits_between_passages_and_keeps_every_citation() -> None:
    passages = [
        make_passage(f"Passage {i}: " + ("lorem & ipsum " * 120), title=f"Doc {i}", chunk_id=i)
        for i in range(5)
    ]
    answer = Answer("What <is> it & why?", "found", passages)
    messages = render_answer(answer)
    assert len(messages) > 1
    shown = [valid(m) for m in messages]
    everything = "\n".join(shown)
    for i, p in enumerate(passages):
        assert sum(p.quote in s for s in shown) == 1  # whole, in exactly one message
        assert f"Doc {i}" in everything
    assert "What <is> it & why?" in shown[0]


def test_rtl_and_emoji_survive() -> None:
    p = make_passage(f"{RTL} {EMOJI}", RTL, title=f"تقرير {EMOJI}")
    shown = valid(render_passage(p))
    assert RTL in shown and EMOJI in shown and f"تقرير {EMOJI}" in shown


def test_unsafe_urls_are_not_linked() -> None:
    for url in ("javascript:alert(1)", 'https://x.org/"onmouseover="x', "ftp://x", ""):
        html = render_passage(make_passage("Quote.", url=url))
        valid(html)
        assert "<a " not in html


def test_not_found_offers_sources_and_escapes_suggestions() -> None:
    answer = Answer("Mars <weather>?", "not_found", [], suggestions=["Topic <1> & 2"])
    (message,) = render_answer(answer)
    shown = valid(message)
    assert "/sources" in shown and "Topic <1> & 2" in shown and "Mars <weather>?" in shown
    assert answer_keyboard(answer, 1, k=3) is None
    assert "No more" in render_answer(answer, offset=3)[0]


def test_keyboard_buttons_and_callback_data_limits() -> None:
    passages = [make_passage("Q.", chunk_id=10**15 + i) for i in range(3)]
    answer = Answer("q", "found", passages)
    markup = answer_keyboard(answer, 2**62, k=3)
    data = markup.to_dict()
    check_markup(data)
    texts = [b["text"] for row in data["inline_keyboard"] for b in row]
    assert {"More ▸", "👍", "👎", "📖 Context 1", "📄 Source 3"} <= set(texts)
    for row in data["inline_keyboard"]:
        for b in row:
            assert len(b["callback_data"].encode()) <= MAX_CALLBACK_DATA
            action, values = parse_callback(b["callback_data"])
            assert action in {"ctx", "src", "more", "fb"} and values
    # Fewer passages than asked for: no "More".
    short = answer_keyboard(Answer("q", "found", passages[:2]), 1, k=3)
    assert "More ▸" not in str(short.to_dict())
    with pytest.raises(ValueError):
        callback("x" * 70)


def test_context_source_help_sources_stats_are_valid_html() -> None:
    chunks = [
        {"id": 1, "text": "Before <p> & " * 400, "paragraph": 3, "page": None},
        {"id": 2, "text": "The quoted </blockquote> one.", "paragraph": 4, "page": None},
        {"id": 3, "text": "After." * 900, "paragraph": 5, "page": None},
    ]
    doc = {"id": "d<1>", "title": "T & T", "publisher": "P", "date": "", "url": "", "chunks": 3}
    shown = valid(render_context(chunks, 2, doc))
    assert "The quoted </blockquote> one." in shown and "paragraph 4" in shown
    assert "T & T" in valid(render_source(doc)) and "d<1>" in valid(render_source(doc))

    docs = [
        {"id": f"doc-{i}", "title": f"Report <{i}> & more " * 5, "publisher": "P", "chunks": i}
        for i in range(300)
    ]
    listing = render_sources(docs)
    assert len(listing) > 1
    assert sum(valid(m).count("doc-") for m in listing) == 300
    help_text = valid(render_help(docs[:2], bot_username="rb_bot", is_admin=True))
    assert "Report <0> & more" in help_text and "/reindex" in help_text and "@rb_bot" in help_text
    assert "No reports" in valid(render_help([], bot_username="rb_bot"))
    stats = valid(
        render_stats(
            {
                "documents": 2,
                "chunks": 23,
                "size_bytes": 150_000,
                "model": "m<1>",
                "dimension": 384,
            },
            {"questions": 5, "up": 2, "down": 1},
        )
    )
    assert "Questions asked: 5" in stats and "👍 2" in stats and "m<1>" in stats


def _figure(text: str, start: int, value: float) -> Figure:
    return Figure(
        text=text, start=start, end=start + len(text), value=value, unit="USD", kind="currency"
    )


def test_verdict_rendering_from_typed_objects() -> None:
    quote = "Exports & <imports> reached USD $30 billion in 2024."
    at = 100 + quote.index("USD")
    evidence = Evidence(
        quote=quote,
        doc_id="doc-1",
        title="Trade <report>",
        location="paragraph 2",
        start=100,
        end=100 + len(quote),
        figure=_figure("USD $30 billion", at, 30e9),
        claim_figure=_figure("USD 50 billion", 7, 50e9),
        comparison=Comparison(
            comparable=True,
            same=False,
            relative_difference=0.6667,
            tolerance=0.5e9,
            rule="rounding",
        ),
        outcome="differs",
    )
    documents = [{"id": "doc-1", "publisher": "Pub & Sons", "date": "2024", "url": "https://x.org"}]
    verdict = Verdict("Exports <rose>", "contradicted", [evidence.claim_figure], [evidence], "")
    messages = render_verdict(verdict, documents)
    shown = "\n".join(valid(m) for m in messages)
    assert "Contradicted" in shown and "Exports <rose>" in shown and quote in shown
    assert "Trade <report>" in shown and "Pub & Sons" in shown and "paragraph 2" in shown
    assert "<b>USD $30 billion</b>" in messages[0] and "differs (67%)" in shown
    assert "Claim: USD 50 billion · report: USD $30 billion" in shown
    plain = render_verdict(Verdict("x", "not_found", [], [], "No figures <here>."))
    assert "Not in the reports" in valid(plain[0]) and "No figures <here>." in valid(plain[0])
    other = replace(evidence, outcome="other_period", period="FY2023")
    shown_other = valid(render_verdict(Verdict("c", "not_found", [], [other], ""), documents)[0])
    assert "another period (FY2023)" in shown_other and "differs" not in shown_other
    spanish = "\n".join(valid(m) for m in render_verdict(verdict, documents, lang="es"))
    assert "Contradicha" in spanish and "no coincide (67%)" in spanish and quote in spanish


@pytest.mark.parametrize("kind", get_args(VerdictKind))
def test_every_verdict_check_can_give_has_a_label_in_every_language(kind: str) -> None:
    for lang in MESSAGES:
        header = valid(render_verdict(Verdict("c", kind, [], [], ""), lang=lang)[0])
        assert header.split("\n")[0] == MESSAGES[lang][f"verdict_{kind}"]


def test_inline_results_carry_valid_quotes() -> None:
    answer = Answer(
        "q", "found", [make_passage(HOSTILE * 100, HOSTILE, chunk_id=i) for i in range(3)]
    )
    results = inline_results(answer)
    assert len({r.id for r in results}) == 3
    for r in results:
        valid(r.input_message_content.message_text)
    assert inline_results(Answer("q", "not_found", [])) == []


texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from("<>&\"'/ 📈"),
    max_size=6000,
)


@settings(max_examples=60, deadline=None)
@given(quote=texts, title=texts, start=st.integers(0, 6000), length=st.integers(0, 6000))
def test_any_passage_renders_to_messages_telegram_accepts(
    quote: str, title: str, start: int, length: int
) -> None:
    if not quote.strip():
        quote = "x" + quote
    highlight = quote[start : start + length]
    p = make_passage(quote, highlight, title=title)
    for message in render_answer(Answer("q", "found", [p, p])):
        shown = valid(message)
        assert "paragraph 4" in shown


def test_the_validator_rejects_what_telegram_rejects() -> None:
    for bad in ("<p>x</p>", "<b>x", "x</b>", "a < b", "a & b", "<b><i>x</b></i>", "x" * 4097, " "):
        with pytest.raises(TelegramReject):
            check_text(bad, "HTML")
    with pytest.raises(TelegramReject):
        check_markup({"inline_keyboard": [[{"text": "x", "callback_data": "y" * 65}]]})
    assert parse_telegram_html("<b>a &amp; b</b> &lt;3 <blockquote>q</blockquote>") == "a & b <3 q"


# --- the bot's own state -----------------------------------------------------------------------


def test_upload_names_cannot_escape_the_uploads_folder(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    for name in (
        "../../etc/passwd",
        "..\\..\\windows\\system.ini",
        "/abs/path/report.pdf",
        "....pdf",
        ".bashrc",
        "",
        None,
        "rapport été 2024 <x>.PDF",
        "a" * 500 + ".docx",
        "..",
    ):
        path = upload_path(uploads, name, "fallback-id")
        assert path.parent == uploads.resolve(), name
        assert path.name and not path.name.startswith(".")
    assert upload_path(uploads, "Report 2024.pdf", "f").name == "Report_2024.pdf"
    assert upload_path(uploads, None, "f").name == "f"


def test_state_records_questions_and_feedback(tmp_path: Path) -> None:
    state = BotState(tmp_path / "bot.db")
    qid = state.record_question("Why?", user_id=1, chat_id=1, status="found", passages=3)
    assert state.question(qid) == "Why?" and state.question(qid + 99) is None
    assert state.record_feedback(qid, 1, 1)
    assert state.record_feedback(qid, 1, -1)  # a changed mind replaces the earlier vote
    assert state.record_feedback(qid, 2, 1)
    assert not state.record_feedback(qid + 99, 1, 1)
    assert state.counts() == {"questions": 1, "up": 1, "down": 1}
    state.close()
    assert BotState(tmp_path / "bot.db").counts()["questions"] == 1  # persisted


def test_rate_limiter_sliding_window() -> None:
    now = [time.monotonic()]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.allow(1) and limiter.allow(1) and not limiter.allow(1)
    assert limiter.allow(2)  # per user
    assert 1 <= limiter.retry_in(1) <= 61
    now[0] += 61
    assert limiter.allow(1)
    assert RateLimiter(0).allow(1)  # 0 disables the limit


def test_long_question_and_long_passages_still_fit() -> None:
    question = "<&>" * 1000
    passages = [make_passage("&" * 5000, "&" * 10, chunk_id=i) for i in range(3)]
    messages = render_answer(Answer(question, "found", passages))
    assert len(messages) == 3
    for message in messages:
        assert "paragraph 4" in valid(message)


def test_figures_in_the_key_sentence_are_underlined_and_escaped():
    from bot.figures import parse_figures
    from bot.telegram.render import _underline_figures, render_passage

    sentence = "Exports <b>hit</b> USD $9.685 billion & grew 20.8% in a year."
    figures = parse_figures(sentence)
    html = _underline_figures(sentence, figures)
    assert "<u>USD $9.685 billion</u>" in html and "<u>20.8%</u>" in html
    assert "&lt;b&gt;hit&lt;/b&gt; " in html and "&amp;" in html
    # A figure whose span no longer matches (the sentence was trimmed) stays plain.
    assert _underline_figures(sentence[:20], figures) == _underline_figures(sentence[:20], [])
    quote = "Before. " + sentence
    passage = make_passage(quote, sentence, figures=figures)
    assert "<b>Exports &lt;b&gt;hit&lt;/b&gt; <u>USD $9.685 billion</u>" in render_passage(passage)


@pytest.mark.skipif(
    not hasattr(Passage, "link"), reason="Passage.section and Passage.link come with the pdf branch"
)
def test_citations_show_the_section_and_link_to_the_page_of_a_pdf() -> None:
    passage = make_passage(
        "Cash from operations was $7.9 billion.",
        url="https://example.org/10k.pdf",
        page=48,
        location="page 48",
        format="pdf",
        section="Item 7. MD&A > Liquidity",
    )
    html = render_passage(passage)
    assert 'href="https://example.org/10k.pdf#page=48"' in html
    assert "Item 7. MD&amp;A &gt; Liquidity · page 48" in html
    valid(html)
