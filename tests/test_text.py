from hypothesis import given
from hypothesis import strategies as st

from bot.text import content_words, fold, sentence_spans, strip_control


def test_fold_ignores_case_and_accents():
    assert fold("Córdoba") == fold("cordoba") == fold("CORDOBA") == "cordoba"
    assert fold("ALFONSÍN") == "alfonsin"


def test_content_words_drop_english_and_spanish_stop_words():
    assert content_words("¿Cuántas GPU tiene el laboratorio de Córdoba?") == [
        "gpu",
        "laboratorio",
        "cordoba",
    ]


def test_strip_control_removes_bidi_overrides_and_nul():
    assert strip_control("a\x00b\u202ec") == "a b c"


def test_sentences_respect_abbreviations_and_decimals():
    text = "The U.S. or Canada pay ten times more. Exports hit USD $9.685 billion. Next!"
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "The U.S. or Canada pay ten times more.",
        "Exports hit USD $9.685 billion.",
        "Next!",
    ]


def test_newlines_end_sentences():
    text = "A heading\n\nFirst line. Second line."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "A heading",
        "First line.",
        "Second line.",
    ]


@given(st.text(alphabet=st.sampled_from("ab. ?!\nAB1“”"), max_size=200))
def test_sentence_spans_are_ordered_trimmed_slices(text):
    spans = sentence_spans(text)
    last = 0
    for s, e in spans:
        assert last <= s < e <= len(text)
        assert text[s:e] == text[s:e].strip()
        last = e


def test_the_one_stopword_list_is_a_folded_data_file():
    from bot.text import STOPWORDS, STOPWORDS_PATH, fold

    assert STOPWORDS_PATH.parent.name == "data" and len(STOPWORDS) > 150
    assert {"the", "which", "cuantos", "que"} <= STOPWORDS
    assert all(w == fold(w) for w in STOPWORDS)


def test_word_matches_are_the_tokens_of_words_at_their_offsets():
    from bot.text import word_matches, words

    text = "Córdoba's 20 A100-level GPUs"
    matches = list(word_matches(text))
    assert [m.group() for m in matches] == ["Córdoba", "s", "20", "A100", "level", "GPUs"]
    assert [m.group().casefold() for m in matches][1:] == words(text)[1:]
    assert all(text[m.start() : m.end()] == m.group() for m in matches)
