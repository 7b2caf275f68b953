"""Word documents (python-docx), refusing zip bombs from the declared sizes first.

A table becomes one line per row, its cells joined by " | " (a merged cell once), the header
row first, so a row keeps its label with its values and the headers open the table's block.
"""

from __future__ import annotations

import io
import zipfile

import docx
from docx.table import Table

from bot.errors import BadDocument
from bot.loaders.base import MIB, Extracted, clip, meta_str, reason, size, tidy
from bot.models import DocumentMeta

# A DOCX member expanding more than this many times its compressed size (and past 1 MiB) is
# refused as a likely zip bomb, whatever max_bytes says. Real document XML compresses ~5-30x.
ZIP_MAX_RATIO = 200
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def extract(data: bytes, name: str, max_bytes: int) -> Extracted:
    check_zip(data, name, max_bytes)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        heading = ""
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                text = _table(block)
            else:
                text = block.text.strip()
                style = block.style.name if block.style is not None else ""
                if text and not heading and style and style.startswith(("Heading", "Title")):
                    heading = clip(text)
            if text:
                blocks.append(tidy(text))
        props = document.core_properties
        meta = DocumentMeta(title=meta_str(props.title), author=meta_str(props.author))
    except Exception as exc:  # python-docx raises many exception types on damaged packages
        raise BadDocument(f"{name} is not a readable DOCX (python-docx: {reason(exc)}).") from exc
    found = {k: "docx properties" for k in ("title", "author") if getattr(meta, k)}
    return Extracted(pages=["\n\n".join(blocks)], meta=meta, heading=heading, found=found)


def _table(table: Table) -> str:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        seen: list[object] = []
        for cell in row.cells:
            if any(cell._tc is tc for tc in seen):  # a merged cell repeats across its span
                continue
            seen.append(cell._tc)
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def check_zip(data: bytes, name: str, max_bytes: int) -> None:
    """Refuse non-zips and zip bombs from the declared sizes, before decompressing anything.

    zipfile never returns more than a member's declared size, so the declared sizes bound what
    python-docx can unpack.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise BadDocument(
            f"{name} is not a valid DOCX (not a zip archive; an old .doc file must be "
            "saved as .docx first)."
        ) from None
    except Exception as exc:  # zipfile can raise ValueError, OSError, etc. on damaged archives
        raise BadDocument(f"{name} is not a valid DOCX (zipfile: {reason(exc)}).") from exc
    declared = sum(member.file_size for member in members)
    if declared > max_bytes:
        raise BadDocument(
            f"{name} would unpack to {size(declared)}, over the {size(max_bytes)} limit; "
            "refusing to open it (possible zip bomb)."
        )
    for member in members:
        if member.file_size > MIB and member.file_size > ZIP_MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise BadDocument(
                f"{name} contains {member.filename!r}, compressed "
                f"{member.file_size // max(member.compress_size, 1)}x; refusing to open it "
                "(possible zip bomb)."
            )
    if not any(member.filename == "word/document.xml" for member in members):
        raise BadDocument(
            f"{name} is a zip archive but not a Word document (no word/document.xml)."
        )
