import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chunking import chunk_text

WORD = st.text(alphabet=st.sampled_from("abcdefgh"), min_size=1, max_size=8)
SENTENCE = st.lists(WORD, min_size=1, max_size=30).map(lambda ws: " ".join(ws).capitalize() + ".")
ROW = st.tuples(st.lists(WORD, min_size=1, max_size=6), st.lists(st.integers(0, 9999), max_size=4))
TABLE = st.lists(
    ROW.map(lambda r: " ".join(r[0]) + "".join(f" {n:,}" for n in r[1])), min_size=2, max_size=30
).map(lambda rows: "\n".join(["(Millions) 2018 2017", *rows]))
PARAGRAPH = st.one_of(
    st.lists(SENTENCE, min_size=1, max_size=12).map(" ".join),
    st.just("• A bullet item."),
    st.just("A Heading"),
    st.just("Item 7. Management's Discussion and Analysis"),
    TABLE,
)
DOCUMENT = st.lists(PARAGRAPH, min_size=1, max_size=25).map("\n\n".join)


@settings(max_examples=200)
@given(DOCUMENT, st.integers(min_value=5, max_value=120))
def test_chunks_slice_back_exactly_and_cover_every_word(text, max_words):
    chunks = chunk_text(text, max_words=max_words, min_words=max_words // 3)
    covered = []
    last_end = 0
    for c in chunks:
        assert last_end <= c.start < c.end <= len(text)
        piece = text[c.start : c.end]
        assert piece == piece.strip()
        assert len(piece.split()) <= max_words
        covered.extend(piece.split())
        last_end = c.end
    assert covered == text.split()


@given(st.lists(DOCUMENT, min_size=1, max_size=4))
def test_chunks_never_cross_pages(pages):
    text = "\n\n".join(pages)
    starts, pos = [], 0
    for page in pages:
        starts.append(pos)
        pos += len(page) + 2
    for c in chunk_text(text, starts, max_words=40, min_words=10):
        assert c.page is not None
        page_end = starts[c.page] if c.page < len(starts) else len(text) + 1
        assert starts[c.page - 1] <= c.start and c.end <= page_end


def test_heading_travels_with_its_paragraph_and_lists_stay_together():
    text = "Intro para ends here.\n\nA Heading\n\nBody text of the section.\n\n• one.\n\n• two."
    chunks = [text[c.start : c.end] for c in chunk_text(text, max_words=50, min_words=3)]
    assert "A Heading\n\nBody text of the section." in chunks[1]
    assert chunks[-1].endswith("• one.\n\n• two.")


def test_long_paragraph_splits_between_sentences():
    text = " ".join(f"Sentence number {i} is here." for i in range(60))
    chunks = chunk_text(text, max_words=50)
    assert len(chunks) > 1
    for c in chunks:
        assert text[c.start : c.end].endswith(".")


def _table(name: str, rows: int) -> str:
    body = "\n".join(f"{name} line {i} {i * 10:,} {i * 11:,}" for i in range(rows))
    return f"{name} statement\n(Millions) 2018 2017\n{body}"


def test_a_table_chunk_never_mixes_two_tables_and_keeps_its_header():
    text = "\n\n".join(
        ["Item 8. Financial Statements", _table("Income", 30), _table("Cash", 4), "Closing text."]
    )
    chunks = chunk_text(text, max_words=60, min_words=20)
    pieces = [text[c.start : c.end] for c in chunks]
    assert not any("Income line" in p and "Cash line" in p for p in pieces)
    assert not any("Closing text." in p and "line" in p for p in pieces)
    income = [c for c, p in zip(chunks, pieces, strict=True) if "Income line" in p]
    assert len(income) > 1  # long: split between rows, each row whole
    for c in income:
        assert c.header == "Income statement\n(Millions) 2018 2017"
        rows = [ln for ln in text[c.start : c.end].split("\n") if "Income line" in ln]
        assert rows and all(re.fullmatch(r"Income line \d+ [\d,]+ [\d,]+", ln) for ln in rows)
    assert pieces[0].startswith("Item 8. Financial Statements\n\nIncome statement")


def test_section_paths_follow_part_item_and_headings():
    text = "\n\n".join(
        [
            "PART II",
            "Item 7. Management's Discussion and Analysis.",
            "Liquidity",
            "Cash rose during the year because operating cash flows were strong. " * 6,
            "Item 8. Financial Statements",
            "The statements follow and were audited by the independent firm. " * 6,
        ]
    )
    sections = [c.section for c in chunk_text(text, max_words=60, min_words=20)]
    assert sections[0] == "PART II > Item 7. Management's Discussion and Analysis. > Liquidity"
    assert sections[-1] == "PART II > Item 8. Financial Statements"
