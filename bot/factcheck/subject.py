"""How `check` reads words: the claim's subject, names and predicate, and the words around a figure.

Words count by general morphology (Snowball stems, `bot.text.stem`), weighted by how close they
sit to the figure (`weigh_by_distance`) and by how rare they are in the index (`word_idf`).
"""

from __future__ import annotations

import bisect
import math
import re

from bot import lexical
from bot.figures import Figure
from bot.figures.vocabulary import CHANGE_NOUNS, FRAME_WORDS
from bot.index import ReportIndex
from bot.text import STOPWORDS, fold, letter_matches, letter_words, stem
from bot.text import words as word_tokens

CONTEXT_DECAY = 6  # a claim word this many words from the figure counts half
OTHER_CLAUSE = 0.3  # claim words in another clause than the figure ("..., of which X got 2%")
NAME_RE = re.compile(r"[^\W_][\w&]*(?:['’]s)?")


def content_stems(text: str, lang: str) -> list[tuple[str, int, int]]:
    """(stem, start, end) of the content words of `text`."""
    out = []
    for m in letter_matches(text):
        w = fold(m.group())
        if len(w) < 2 or w in STOPWORDS or w in FRAME_WORDS:
            continue
        out.append((stem(w, lang), m.start(), m.end()))
    return out


def weigh_by_distance(
    words: list[tuple[str, int, int]],
    start: int,
    end: int,
    skip: list[tuple[int, int]],
    decay: float = CONTEXT_DECAY,
) -> dict[str, float]:
    """Stem -> weight by closeness (in words) to the figure at [start, end)."""
    kept = [w for w in words if not any(a <= w[1] < b for a, b in skip)]
    before = [w for w in kept if w[2] <= start]
    after = [w for w in kept if w[1] >= end]
    out: dict[str, float] = {}
    for distance, (s, _, _) in [*enumerate(reversed(before)), *enumerate(after)]:
        out[s] = max(out.get(s, 0.0), 1.0 / (1 + distance / decay))
    return out


def head_stem(text: str, end: int, lang: str) -> str | None:
    """The stem of the content word right after a figure ("65,000 professionals")."""
    rest = text[end:]
    word = rest.lstrip(" \t")
    m = next(letter_matches(word), None) if len(word) < len(rest) else None
    if m is None or m.start() != 0:
        return None
    w = fold(m.group())
    if w in STOPWORDS or w in FRAME_WORDS or len(w) < 2:
        return None
    return stem(w, lang)


def is_change(head: str | None) -> bool:
    """Whether a figure's head word (`head_stem`) makes it a change, not a level."""
    return head is not None and head in _CHANGE_STEMS


_CHANGE_STEMS = frozenset(stem(fold(w), lang) for w in CHANGE_NOUNS for lang in ("en", "es"))


def collection_names(index: ReportIndex) -> frozenset[str]:
    """The folded words of the reports' titles and publishers ("amazon", "netflix"), once per
    index: a claim's capitalised first word among them is a name ("Amazon spent ...")."""
    key = "factcheck:collection-names"
    if key not in index._cache:
        docs = index.documents()
        text = " ".join(f"{d['title'] or ''} {d['publisher'] or ''}" for d in docs)
        index._cache[key] = frozenset(w for w in word_tokens(text) if w not in STOPWORDS)
    return index._cache[key]


def claim_names(
    claim: str, figures: list[Figure], known: frozenset[str] = frozenset()
) -> list[str]:
    """Names in the claim (capitalised words, "3M"), folded: the evidence's document must have
    them. A capitalised first word is one if it looks like a name, runs on into one, or is a
    word of the reports' titles and publishers (`known`)."""
    names = []
    spans = [(f.start, f.end) for f in figures]
    for m in NAME_RE.finditer(claim):
        word = re.sub(r"['’]s$", "", m.group())
        if any(a <= m.start() < b for a, b in spans) or not word[0].isupper():
            continue
        first = claim[: m.start()].strip() == ""
        possessive = m.group() != word
        # "Best Buy's", "General Mills'": a first word that runs on into a name
        follows = re.match(r" [A-Z][a-z][\w&]*", claim[m.end() :])  # "Buy", not "AI"
        plain = not possessive and not word.isupper() and not any(c.isdigit() for c in word)
        if first and plain and follows is None and fold(word) not in known:
            continue
        folded = fold(word)
        if folded in STOPWORDS or folded in FRAME_WORDS:
            continue
        names.append(folded)
    return names


def name_spans(
    claim: str, figures: list[Figure], known: frozenset[str] = frozenset()
) -> list[tuple[int, int]]:
    """Where the claim's names stand ("Netflix's" included): not part of a figure's subject,
    since the evidence's document must have them anyway."""
    names = set(claim_names(claim, figures, known))
    return [
        (m.start(), m.end())
        for m in NAME_RE.finditer(claim)
        if fold(re.sub(r"['’]s$", "", m.group())) in names
    ]


def describe_subject(claim: str, fig: Figure, figures: list[Figure]) -> str:
    """The words of the claim that say what `fig` measures, for explanations."""
    head = claim[: fig.start]
    for other in figures:
        if other.end <= fig.start:
            head = head[: other.start] + " " + head[other.end :]
    head = re.split(r"[,;:]|\b(?:that|which|who|que)\b", head)[-1]
    words = head.split()
    while words and (fold(words[-1]) in STOPWORDS or fold(words[-1]) in FRAME_WORDS):
        words.pop()
    if len(letter_words(" ".join(words))) >= 2:
        return " ".join(words).strip(" '’")
    tail = claim[fig.end :]
    words = []
    for w in tail.split():
        if words and fold(w.strip(".,;")) in STOPWORDS:
            break
        words.append(w.strip(".,;"))
    return " ".join(words) or claim


def word_idf(index: ReportIndex, words: list[str]) -> dict[str, float]:
    """Inverse document frequency of folded claim words in the index; -1 if never used.

    A word counts as used when the index has it or a variant (`variant`: "african" and
    "africa"), not merely a word that starts alike ("globant" is not "global").
    """
    n = max(index.chunk_count, 1)
    out = {}
    for word, terms in zip(words, lexical.word_stems(words), strict=True):
        df = min((lexical.df(index, t) for t in terms), default=0)
        if df == 0 and terms and len(terms[0]) >= 6:
            term = terms[0]
            found = lexical.prefix_terms(index, term[:-2])
            df = sum(d for t, d in found if variant(term, t))
        out[word] = -1.0 if df == 0 else math.log(1 + n / df)
    return out


def variant(a: str, b: str) -> bool:
    """One word is the other with at most two more letters at the end ("africa", "african")."""
    short, long_ = sorted((a, b), key=len)
    return long_.startswith(short) and len(long_) - len(short) <= 2


def clause_context(
    claim: str, words: list[tuple[str, int, int]], target: Figure, skip: list[tuple[int, int]]
) -> dict[str, float]:
    """Claim words by closeness to the figure; words of other clauses count `OTHER_CLAUSE`."""
    cuts = [m.start() for m in re.finditer(r"[,;:—–()]", claim)]
    clause = bisect.bisect_right(cuts, target.start)
    own = [w for w in words if bisect.bisect_right(cuts, w[1]) == clause]
    rest = [w for w in words if bisect.bisect_right(cuts, w[1]) != clause]
    context = weigh_by_distance(own, target.start, target.end, skip)
    for s, w in weigh_by_distance(rest, target.start, target.end, skip).items():
        context[s] = max(context.get(s, 0.0), w * OTHER_CLAUSE)
    return context


def predicate_stems(
    words: list[tuple[str, int, int]], target: Figure, skip: list[tuple[int, int]], claim: str
) -> set[str]:
    """The stems of a figure's predicate: the content word right before it ("grew 21%") and the
    last one of its clause after it ("positions were cut")."""
    kept = [w for w in words if not any(a <= w[1] < b for a, b in skip)]
    before = [w[0] for w in kept if w[2] <= target.start]
    cut = re.search(r"[,;:—–()]", claim[target.end :])
    stop = target.end + cut.start() if cut else len(claim)
    after = [w[0] for w in kept if target.end <= w[1] < stop]
    return set(before[-1:] + after[-1:])


def mentions_name(words: list[str], name: str) -> bool:
    """The document (its sorted folded `words`) has the name or, for a name of six letters or
    more, a variant of it (`variant`: "africa" for "african")."""
    k = bisect.bisect_left(words, name)
    if k < len(words) and words[k] == name:
        return True
    if len(name) < 6:
        return False
    prefix = name[:-2]
    k = bisect.bisect_left(words, prefix)
    while k < len(words) and words[k].startswith(prefix):
        if variant(name, words[k]):
            return True
        k += 1
    return False


def document_words(index: ReportIndex, doc_id: str) -> list[str]:
    """The folded words of a document with its title and publisher, sorted, once per index."""
    key = f"factcheck:words:{doc_id}"
    if key not in index._cache:
        doc = index.document_cached(doc_id)
        text = fold(" ".join([doc["title"] or "", doc["publisher"] or "", doc["text"]]))
        index._cache[key] = sorted(set(word_tokens(text)))
    return index._cache[key]
