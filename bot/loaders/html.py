"""HTML main text (trafilatura), lists and tables one line per item or row.

A table row becomes its cells joined by " | ", so a row keeps its label with its values; the
header row opens the table's block.
"""

from __future__ import annotations

import logging
from typing import Any

import trafilatura

from bot.errors import BadDocument
from bot.loaders.base import Extracted, clip, meta_str, reason, tidy
from bot.models import DocumentMeta

log = logging.getLogger(__name__)


def extract(data: bytes, name: str, charset: str | None, url: str | None = None) -> Extracted:
    content: bytes | str = data
    if charset:
        try:
            content = data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            log.debug("%s: declared charset %r does not decode it", name, charset)
    try:
        result = trafilatura.bare_extraction(
            content, url=url, favor_recall=True, include_comments=False, include_tables=True
        )
        body = getattr(result, "body", None)
        blocks = _xml_blocks(body) if body is not None else []
        if not blocks:  # tiny pages fall under trafilatura's thresholds; try its baseline
            body, _, _ = trafilatura.baseline(content)
            blocks = _xml_blocks(body) if body is not None else []
        tree = trafilatura.load_html(content)
        found = (
            trafilatura.extract_metadata(tree, default_url=url, extensive=False)
            if tree is not None
            else None
        )
    except Exception as exc:  # trafilatura/lxml raise many exception types on garbage
        raise BadDocument(
            f"{name} could not be parsed as HTML (trafilatura: {reason(exc)})."
        ) from exc
    meta = DocumentMeta()
    if found is not None:
        meta = DocumentMeta(
            title=meta_str(found.title),
            publisher=meta_str(found.sitename),
            author=meta_str(found.author),
            date=meta_str(found.date),  # extensive=False: only dates the page states
            url=meta_str(found.url),
        )
    heading = next((clip(text) for tag, text in blocks if tag == "head"), "")
    text = "\n\n".join(text for _, text in blocks)
    where = {k: "html metadata" for k in ("title", "publisher", "author", "date", "url")}
    return Extracted(
        pages=[tidy(text)],
        meta=meta,
        heading=heading,
        found={k: v for k, v in where.items() if getattr(meta, k)},
    )


def _xml_blocks(body: Any) -> list[tuple[str, str]]:
    """Top-level blocks of trafilatura's XML body as (tag, text); lists and tables one per line."""
    blocks = []
    for element in body:
        if not isinstance(element.tag, str):  # comments, processing instructions
            continue
        if element.tag == "list":
            lines = [_inline(item) for item in element if item.tag == "item"]
        elif element.tag == "table":
            lines = [
                " | ".join(" ".join(_inline(cell).split()) for cell in row if cell.tag == "cell")
                for row in element.iter("row")
            ]
        else:
            lines = [_inline(element)]
        text = "\n".join(line for line in lines if line.strip(" |"))
        if text.strip():
            blocks.append((element.tag, text))
    return blocks


def _inline(element: Any) -> str:
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            parts.append("\n" if child.tag == "lb" else _inline(child))
        parts.append(child.tail or "")
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)
