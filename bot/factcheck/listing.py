"""`list_figures`: every figure in a report, read as `check` reads it (`reportbot figures`)."""

from __future__ import annotations

import bisect
from dataclasses import replace
from typing import Any

from bot.factcheck.candidates import line_spans, page_start_of
from bot.figures import TIME_KINDS, Figure, format_value, parse_figures
from bot.figures.tables import read_row
from bot.index import ReportIndex
from bot.text import sentence_spans


def list_figures(index: ReportIndex, doc_id: str | None = None) -> list[dict[str, Any]]:
    """Every figure in one report (or all reports), in reading order, read as `check` reads it.

    Each row has the figure's fields (table cells scaled by the table's stated scale), its
    document offsets, the sentence or table row it stands in, and what it is about: `subject`
    (the row label, for table cells), `period` (the column's, or the sentence's), `scale`, and
    `display`, the figure written for people.
    """
    docs = (
        [index.document(doc_id)]
        if doc_id is not None
        else [index.document(d["id"]) for d in index.documents()]
    )
    rows: list[dict[str, Any]] = []
    for doc in sorted(docs, key=lambda d: d["id"]):
        rows += _document_figures(index, doc)
    return rows


def _document_figures(index: ReportIndex, doc: dict[str, Any]) -> list[dict[str, Any]]:
    text = doc["text"]
    chunks = index.chunk_starts(doc["id"])
    starts = [c[1] for c in chunks]

    def row(fig: Figure, span: tuple[int, int], **about: Any) -> dict[str, Any]:
        k = bisect.bisect_right(starts, fig.start) - 1
        out = fig.to_dict()
        out.update(doc_id=doc["id"], chunk_id=chunks[k][0] if k >= 0 else None)
        out.update(sentence=text[span[0] : span[1]], subject="", period="", scale=1.0)
        out["display"] = format_value(fig)  # "USD -1.577 billion", for people
        out.update(about)
        return out

    rows = []
    for a, b in line_spans(text, 0, len(text)):
        cells = read_row(text, a, b, page_start_of(doc, a))
        if cells:
            for cell in cells:
                period = format_value(cell.period) if cell.period is not None else ""
                rows.append(
                    row(cell.figure, (a, b), subject=cell.label, period=period, scale=cell.scale)
                )
            continue
        for s, e in sentence_spans(text, a, b):
            figures = parse_figures(text[s:e])
            times = [f for f in figures if f.kind in TIME_KINDS]
            for fig in figures:
                fig = replace(fig, start=s + fig.start, end=s + fig.end)
                near = min(times, key=lambda t: abs(t.start + s - fig.start), default=None)
                period = ""
                if fig.kind not in TIME_KINDS and near is not None:
                    period = format_value(near)
                rows.append(row(fig, (s, e), period=period))
    return rows
