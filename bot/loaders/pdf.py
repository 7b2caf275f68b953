"""PDF text page by page with PDFium (pypdfium2), and the metadata the file and its cover state.

Why PDFium: measured on the FinanceBench development filings (`scripts/bench.py --only
extract`), it keeps a table row's label and every value on one line as well as pdfplumber does,
at a fraction of the time per page (pypdf, the previous extractor, splits many rows apart), and it
reads text in the order the file draws it, which is column by column in the multi-column layouts
that publishers produce (pdfplumber sorts lines by height and interleaves two columns). Licence:
BSD-3-Clause / Apache-2.0. AES- and RC4-encrypted files with an empty user password (permissions
only, common for SEC filings) open as a reader would open them.

Each page's text is returned as drawn, one visual line per line; running headers, page numbers,
hyphenation and table rows are handled by `bot.cleaning` for every paginated document.

Metadata, each field with where it came from (`Extracted.found`):
- an SEC cover page ("(Exact name of registrant as specified in its charter)") gives the company
  (publisher), the form and the period ("For the fiscal year ended December 31, 2018"), and so a
  title ("3M COMPANY, Form 10-K for the fiscal year ended December 31, 2018") and a date (the
  period's end, ISO);
- otherwise the PDF's Title when it reads as a title (not a file or accession number), its Author
  and its creation date.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from datetime import datetime

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from bot.errors import BadDocument
from bot.loaders.base import Extracted, clip, meta_str, reason, tidy
from bot.models import DocumentMeta

log = logging.getLogger(__name__)

# PDFium is not thread-safe: one document operation at a time in this process.
_PDFIUM_LOCK = threading.Lock()

_REGISTRANT = re.compile(r"\(\s*exact name of (?:the )?registrant", re.IGNORECASE)
_FORM = re.compile(r"\bFORM\s+(10-K|10-Q|20-F|40-F|8-K|6-K)(?:/A)?\b", re.IGNORECASE)
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)
_PERIOD = re.compile(
    rf"for the (fiscal year|quarterly period|transition period|year) ended\W{{0,3}}"
    rf"(?:[A-Za-z ]{{0,40}}?)({_MONTH}\s+\d{{1,2}},?\s+\d{{4}})",
    re.IGNORECASE,
)
_FILE_NUMBER = re.compile(r"^commission file (?:number|no\.?)", re.IGNORECASE)
_RULE = re.compile(r"_{3,}")
_SMALL_CAPS = re.compile(r"\b([A-Z]) (?=[A-Z]{2,})")
_LINE_END_HYPHEN = re.compile(r"[\x02\ufffe](?:\r?\n)?(?=[a-zà-ÿ])")
_PDF_DATE = re.compile(r"^D?:?(\d{4})(\d{2})?(\d{2})?")
_WORDS = re.compile(r"[A-Za-z]{3,}")


def extract(data: bytes, name: str) -> Extracted:
    with _PDFIUM_LOCK:
        return _extract(data, name)


def _extract(data: bytes, name: str) -> Extracted:
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise BadDocument(
                f"{name} is password-protected; remove the password and try again."
            ) from exc
        if exc.err_code == pdfium_c.FPDF_ERR_SECURITY:
            raise BadDocument(
                f"{name} is encrypted in a way reportbot cannot open; "
                "save an unencrypted copy and try again."
            ) from exc
        raise BadDocument(f"{name} is not a readable PDF (PDFium: {reason(exc)}).") from exc
    try:
        count = len(document)
        if count == 0:
            raise BadDocument(f"{name} has no pages.")
        pages: list[str] = []
        failed = 0
        for number in range(count):
            try:
                pages.append(_page_text(document, number))
            except pdfium.PdfiumError as exc:  # one damaged page should not lose the others
                log.warning("%s: page %d could not be read (PDFium: %s)", name, number + 1, exc)
                pages.append("")
                failed += 1
        info = _info(document, name)
    finally:
        document.close()
    if not any(page.strip() for page in pages):
        if failed:
            raise BadDocument(f"{name} is damaged: PDFium could not read any of its pages.")
        raise BadDocument(
            f"{name} has no text layer (it looks scanned); run OCR on it (e.g. ocrmypdf) "
            "and try again."
        )
    meta, found = document_meta(info, pages[0] if pages else "")
    return Extracted(pages=pages, meta=meta, found=found)


def _page_text(document: pdfium.PdfDocument, number: int) -> str:
    page = document[number]
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()
    # PDFium marks a hyphen that breaks a word at a line end (\x02 or \ufffe): the word is
    # re-joined when it goes on in lower case ("esti-" / "mates"), else the hyphen stays.
    text = _LINE_END_HYPHEN.sub("", text)
    return tidy(text.replace("\x02", "-").replace("\ufffe", "-"))


def _info(document: pdfium.PdfDocument, name: str) -> dict[str, str]:
    try:
        return {k: v for k, v in document.get_metadata_dict().items() if isinstance(v, str)}
    except pdfium.PdfiumError as exc:  # the info dictionary of a damaged PDF can be anything
        log.debug("%s: unreadable PDF metadata (PDFium: %s)", name, exc)
        return {}


def document_meta(info: dict[str, str], first_page: str) -> tuple[DocumentMeta, dict[str, str]]:
    """Title, publisher, author and date from the cover page and the PDF's info dictionary."""
    found: dict[str, str] = {}
    fields: dict[str, str] = {}
    cover = cover_page(first_page)
    if cover.get("company"):
        fields["publisher"] = cover["company"]
        found["publisher"] = "first page (registrant)"
    if cover.get("company") and (cover.get("form") or cover.get("period")):
        parts = [cover["company"]]
        if cover.get("form"):
            parts.append(f"Form {cover['form']}")
        title = ", ".join(parts)
        if cover.get("period"):
            title += f" for the {cover['period']}"
        fields["title"] = title
        found["title"] = "first page (registrant, form and period)"
    if cover.get("period_end"):
        fields["date"] = cover["period_end"]
        found["date"] = "first page (end of the period reported)"
    pdf_title = meta_str(info.get("Title"))
    if "title" not in fields and _reads_as_title(pdf_title):
        fields["title"] = pdf_title
        found["title"] = "pdf metadata (Title)"
    author = meta_str(info.get("Author"))
    if author:
        fields["author"] = author
        found["author"] = "pdf metadata (Author)"
    created = pdf_date(info.get("CreationDate", ""))
    if "date" not in fields and created:
        fields["date"] = created
        found["date"] = "pdf metadata (CreationDate)"
    return DocumentMeta(**fields), found


def _reads_as_title(text: str) -> bool:
    """A Title field that names something: two words of letters, not a file or record number."""
    return len(_WORDS.findall(text)) >= 2 and not re.search(r"\.(pdf|docx?|indd)$", text, re.I)


def cover_page(text: str) -> dict[str, str]:
    """Company, form and period of an SEC filing's cover page; {} for any other first page.

    The company is the line above "(Exact name of registrant as specified in its charter)",
    or, on covers without that caption, the line below the commission file number.
    """
    lines = [ln.strip() for ln in text.splitlines()]
    out: dict[str, str] = {}
    candidates: list[str] = []
    for i, line in enumerate(lines):
        if _REGISTRANT.search(line):
            before = _REGISTRANT.split(line)[0].strip(" _")
            candidates = [before] if before else []
            above = [lines[j] for j in range(i - 1, max(i - 7, -1), -1)]
            candidates += [_name_above(above), *above[:3]]
            break
    else:
        for i, line in enumerate(lines):
            if _FILE_NUMBER.search(line):
                candidates = lines[i + 1 : i + 3]
                break
    company = next((c for c in (_strip_rule(c) for c in candidates) if _WORDS.search(c)), "")
    if company:
        out["company"] = clip(company, 120)
    if not out:
        return {}
    flat = " ".join(text.split())
    form = _FORM.search(flat)
    if form:
        out["form"] = form.group(1).upper()
    period = _PERIOD.search(flat)
    if period:
        kind = period.group(1).lower()
        end = " ".join(period.group(2).replace(",", ", ").split()).replace(" ,", ",")
        out["period"] = f"{kind} ended {end}"
        with contextlib.suppress(ValueError):  # a date the cover misprints stays unset
            out["period_end"] = datetime.strptime(end, "%B %d, %Y").date().isoformat()
    return out


def _name_above(lines: list[str]) -> str:
    """The name a PDF broke into a word or two a line above the caption ("MGM" / "R" /
    "ESORTS I" / "NTERNATIONAL"), joined up to a blank line or the file number, its small
    capitals mended ("R ESORTS" -> "RESORTS": a larger first letter drawn apart); "" when the
    lines above are not such pieces."""
    parts: list[str] = []
    for line in lines:
        if not line or _FILE_NUMBER.search(line) or re.fullmatch(r"[\d-]+", line):
            break
        if len(line.split()) > 2:
            return ""
        parts.insert(0, line)
    name = " ".join(parts)
    if len(parts) < 3 or len(name) > 120:
        return ""
    return _SMALL_CAPS.sub(r"\1", name) if name.isupper() else name


def _strip_rule(line: str) -> str:
    """The text after a drawn rule ("_____ AMAZON.COM, INC." -> "AMAZON.COM, INC.")."""
    return _RULE.split(line)[-1].strip(" _")


def pdf_date(value: str) -> str:
    """A PDF date ("D:20190207120000-05'00'") as an ISO date, as precise as it is ("" if none)."""
    match = _PDF_DATE.match((value or "").strip())
    if not match:
        return ""
    year, month, day = match.groups()
    if not 1900 < int(year) < 2200:
        return ""
    if month and day:
        try:
            return datetime(int(year), int(month), int(day)).date().isoformat()
        except ValueError:
            return year
    return f"{year}-{month}" if month else year
