from bot.models import Answer
from bot.terminal import (
    NOT_FOUND,
    render_answer,
    render_figures,
    render_passage,
    render_sources,
    render_verify,
)
from tests.factories import make_passage


def _passage(quote: str, highlight: str):
    return make_passage(
        quote,
        highlight,
        title="T",
        publisher="P",
        author="A",
        date="",
        url="",
        location="paragraph 2",
        chunk_id=1,
    )


def test_plain_rendering_wraps_and_marks_the_highlight_verbatim():
    quote = "Heading\n\n" + "Some words before. " * 10 + "The key sentence is here. After it."
    text = render_passage(_passage(quote, "The key sentence is here."), 1, color=False, width=60)
    assert text.splitlines()[0] == "[1] T — P, A — paragraph 2"
    assert all(len(line) <= 60 for line in text.splitlines()[1:])
    body = "\n".join(text.splitlines()[1:])
    assert " ".join(body.replace("»", "").replace("«", "").split()) == " ".join(quote.split())
    assert "»The key sentence is here.«" in " ".join(text.split())


def test_colour_rendering_reopens_the_style_on_each_wrapped_line():
    quote = "Before. " + "A long key sentence that will wrap over several lines " * 3 + "end."
    highlight = quote[len("Before. ") :]
    text = render_passage(_passage(quote, highlight), 1, color=True, width=40)
    body = text.splitlines()[1:]
    assert all(line.count("\x1b[1;33m") == line.count("\x1b[0m") for line in body)


def test_not_found_says_so_with_suggestions():
    text = render_answer(Answer("q", "not_found", [], suggestions=["Report A"]))
    assert text.startswith(NOT_FOUND) and "Report A" in text


def test_piped_output_keeps_each_paragraph_on_one_line():
    quote = "Heading\n\n" + "Some words before. " * 10 + "The key sentence is here."
    text = render_passage(_passage(quote, "The key sentence is here."), 1, color=False)
    assert text.splitlines()[1:] == [
        "    Heading",
        "",
        "    " + "Some words before. " * 10 + "»The key sentence is here.«",
    ]


def test_verify_result_reads_ok_or_what_to_do():
    from bot.index import REBUILD_HINT
    from bot.models import VerifyResult

    good = VerifyResult("gen-1", "hash", 2, 23, 23)
    assert render_verify(good) == (
        "generation gen-1: 2 documents, 23 chunks, 23 vectors, model hash\nok"
    )
    bad = VerifyResult("gen-1", "hash", 2, 23, 22, problems=("1 chunks have no vector",))
    assert not bad.ok and bad.to_dict()["ok"] is False
    assert render_verify(bad).splitlines()[-1] == f"INCONSISTENT: {REBUILD_HINT}"


def test_sources_and_figures_say_when_there_are_none():
    assert render_sources([]) == "The index is empty; add reports with `reportbot ingest PATH`."
    assert render_figures([]) == "No figures found."
    doc = {"id": "d", "title": "T", "publisher": "P", "author": "", "chunks": 3, "format": "pdf"}
    assert render_sources([doc]) == "d\n    T — P (3 chunks, pdf)"
    row = {"doc_id": "d", "start": 12, "text": "20.8%", "kind": "percent", "sentence": "Up 20.8%."}
    assert render_figures([row]) == "d [12] 20.8%  (percent)\n    Up 20.8%."


def test_the_citation_names_the_section_and_links_to_the_page():
    p = make_passage(
        "Net sales rose 8%.",
        title="3M 10-K 2018",
        publisher="3M",
        author="",
        date="2019-02-07",
        url="https://example.org/3m.pdf",
        location="page 24",
        page=24,
        format="pdf",
        section="Item 7. MD&A > Results of Operations",
    )
    assert render_passage(p, 1, color=False).splitlines()[0] == (
        "[1] 3M 10-K 2018 — 3M — 2019-02-07 — page 24 — Item 7. MD&A > Results of Operations"
        " — https://example.org/3m.pdf#page=24"
    )
    plain = make_passage("Text.", url="", section="", author="", publisher="P", title="T", date="")
    assert render_passage(plain, 2, color=False).splitlines()[0] == "[2] T — P — paragraph 4"
