"""PDF layout on real filings (../shared/eval/financebench/pdfs) and on PDFs built here."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from fpdf import FPDF

from bot.chunking import chunk_text
from bot.cleaning import clean_pages
from bot.loaders import load

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the repository (CI); a worktree one level deeper sees it at ../../shared.
PDFS = next(
    (
        base / "shared" / "eval" / "financebench" / "pdfs"
        for base in (ROOT.parent, ROOT.parent.parent)
        if (base / "shared" / "eval" / "financebench" / "pdfs").is_dir()
    ),
    ROOT.parent / "shared" / "eval" / "financebench" / "pdfs",
)
THREE_M = PDFS / "3M_2018_10K.pdf"
needs_filings = pytest.mark.skipif(
    not THREE_M.is_file(), reason=f"the development filings are not in {PDFS}"
)
CAPEX = "Purchases of property, plant and equipment (PP&E) (1,577) (1,373) (1,420)"


@functools.lru_cache(maxsize=2)  # each filing is read once per test process
def _chunks(path: Path):
    raw = load(path)
    clean = clean_pages(raw.pages, reflow=True)
    return raw, clean, chunk_text(clean.text, clean.page_starts)


@needs_filings
def test_cash_flow_row_is_one_quoted_line_with_headers_and_page():
    raw, clean, chunks = _chunks(THREE_M)
    found = [c for c in chunks if CAPEX in clean.text[c.start : c.end].split("\n")]
    # The cash-flow statement, on the physical page index 59 + 1 (FinanceBench's evidence page
    # 59); the same row is quoted once more, in the five-year summary on page 49.
    assert [c.page for c in found] == [49, 60]
    chunk = found[1]
    assert "(Millions) 2018 2017 2016" in chunk.header.split("\n")
    assert "Consolidated Statement of Cash Flows" in chunk.header
    assert raw.meta.publisher == "3M COMPANY" and raw.meta.date == "2018-12-31"


@needs_filings
def test_no_running_header_or_page_number_in_any_chunk():
    raw, clean, chunks = _chunks(THREE_M)
    assert "Table of Contents" in raw.pages[59]  # the running header is there to remove
    for c in chunks:
        lines = clean.text[c.start : c.end].split("\n")
        assert "Table of Contents" not in lines
        assert str(c.page) not in lines, f"page number {c.page} left in a chunk"


@needs_filings
@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(PDFS.glob("*.pdf")), ids=lambda p: p.stem)
def test_every_development_filing_loads_and_chunks(path: Path):
    raw, clean, chunks = _chunks(path)
    assert len(clean.page_starts) == len(raw.pages) > 10
    assert raw.meta.title and raw.meta.date
    assert chunks and all(c.start < c.end for c in chunks)
    assert max(c.page or 0 for c in chunks) <= len(raw.pages)
    rows = [ln for ln in clean.text.split("\n") if re.search(r"\d[\d,]* \(?\d[\d,]*\)?$", ln)]
    assert len(rows) > 50  # tables came out as rows of figures


def _two_columns(tmp_path: Path) -> Path:
    """A page drawn column by column, as layout programs draw them."""
    left = "The left column opens the article and explains the method used in the survey. " * 6
    right = "The right column continues with results that follow from the method above. " * 6
    pdf = FPDF()
    pdf.set_font("helvetica", size=10)
    pdf.add_page()
    pdf.set_xy(10, 20)
    pdf.multi_cell(90, 5, left.strip())
    pdf.set_xy(110, 20)
    pdf.multi_cell(90, 5, right.strip())
    path = tmp_path / "columns.pdf"
    path.write_bytes(bytes(pdf.output()))
    return path


def test_two_columns_are_read_one_after_the_other(tmp_path: Path):
    raw = load(_two_columns(tmp_path))
    text = clean_pages(raw.pages, reflow=True).text
    assert text.index("right column") > text.rindex("left column")
    paragraphs = text.split("\n\n")
    assert any(p.startswith("The left column") and "right column" not in p for p in paragraphs)


def test_hyphenated_line_ends_are_rejoined(tmp_path: Path):
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    for line in [
        "The committee reviewed the quarterly esti-",
        "mates of revenue and found them consistent with the audited",
        "figures for the year.",
    ]:
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "hyphen.pdf"
    path.write_bytes(bytes(pdf.output()))
    text = clean_pages(load(path).pages, reflow=True).text
    assert "quarterly estimates of revenue" in text


@pytest.mark.parametrize(
    ("cover", "company"),
    [
        # PDFium's text of the MGM Resorts 2018 10-K cover: a word a line, small capitals apart
        (
            "Commission\nFile\nNo.\n001-10362\nMGM\nR\nESORTS I\nNTERNATIONAL\n"
            "(Exact name of Registrant as specified in its charter)\nDELAWARE",
            "MGM RESORTS INTERNATIONAL",
        ),
        (
            "Commission File No. 000-22513\n\nAMAZON.COM, INC.\n"
            "(Exact name of registrant as specified in its charter)",
            "AMAZON.COM, INC.",
        ),
        (
            "For the quarterly period ended Commission file\nMarch 31, 2021 number 1-5805\n"
            "JPMorgan Chase & Co.\n(Exact name of registrant as specified in its charter)",
            "JPMorgan Chase & Co.",
        ),
    ],
)
def test_cover_page_company(cover: str, company: str) -> None:
    from bot.loaders.pdf import cover_page

    assert cover_page(cover)["company"] == company
