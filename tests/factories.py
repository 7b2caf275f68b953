"""Hand-made objects for tests that need no index."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.models import Passage


def make_passage(quote: str, highlight: str | None = None, **fields: Any) -> Passage:
    """A passage quoting `quote` with `highlight` (default: all of it) as its key sentence.

    The defaults are deliberately hostile to renderers (`<`, `&` in title, publisher and URL);
    any other field can be overridden by keyword.
    """
    highlight = quote if highlight is None else highlight
    passage = Passage(
        quote=quote,
        highlight=highlight,
        highlight_start=quote.find(highlight),
        doc_id="doc-1",
        title="Report <2024> & co",
        publisher="Pub & Sons",
        author="A. Writer",
        date="2024-05-01",
        url="https://example.org/r?a=1&b=2",
        location="paragraph 4",
        start=0,
        end=len(quote),
        score=0.9,
        chunk_id=7,
    )
    return replace(passage, **fields)
