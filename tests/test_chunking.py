from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chunking import chunk_text

WORD = st.text(alphabet=st.sampled_from("abcdefgh"), min_size=1, max_size=8)
SENTENCE = st.lists(WORD, min_size=1, max_size=30).map(lambda ws: " ".join(ws).capitalize() + ".")
PARAGRAPH = st.one_of(
    st.lists(SENTENCE, min_size=1, max_size=12).map(" ".join),
    st.just("• A bullet item."),
    st.just("A Heading"),
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
