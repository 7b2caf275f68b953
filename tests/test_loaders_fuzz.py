"""Fuzzing the loaders: random bytes and damaged valid files either load or raise a domain error."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import docx
import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import BadDocument, UnsupportedFormat
from bot.loaders import SUPPORTED_SUFFIXES, load

# REPORTBOT_FUZZ_EXAMPLES=2000 for a long local run; the default keeps the file under ~10 s.
FUZZ = settings(
    max_examples=int(os.environ.get("REPORTBOT_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _pdf(*, compress: bool) -> bytes:
    pdf = FPDF()
    pdf.set_compression(compress)
    pdf.set_title("Fuzz seed")
    pdf.set_font("helvetica", size=12)
    for n in (1, 2):
        pdf.add_page()
        pdf.multi_cell(0, 8, f"Page {n}: exports grew {n * 4}% in the year.")
    return bytes(pdf.output())


def _docx() -> bytes:
    document = docx.Document()
    document.add_heading("Seed report", level=1)
    document.add_paragraph("Revenue rose 3% on strong demand.")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "A"
    table.cell(0, 1).text = "B"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


HTML = (
    b"<!doctype html><html><head><meta charset='utf-8'><title>Seed</title></head><body>"
    b"<article><h1>Seed page</h1><p>Inflation fell to 4.2% in March.</p>"
    b"<ul><li>one</li><li>two</li></ul><table><tr><td>x</td><td>y</td></tr></table>"
    b"<script>var s = 1;</script></article></body></html>"
)
SEEDS = {
    ".txt": "Plain seed text.\n\nSecond paragraph, año 2024.".encode(),
    ".md": b"# Seed\n\n![img](a.png)\n\nSome *markdown* text.",
    ".html": HTML,
    ".htm": HTML,
    ".pdf": _pdf(compress=True),
    ".docx": _docx(),
}
PLAIN_PDF = _pdf(compress=False)  # uncompressed: damage lands in text operators and xref
DOCX_XML = zipfile.ZipFile(io.BytesIO(SEEDS[".docx"])).read("word/document.xml")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def check(workdir: Path, suffix: str, data: bytes) -> None:
    """The contract: a RawDocument with text, or UnsupportedFormat/BadDocument, nothing else."""
    path = workdir / f"sample{suffix}"
    path.write_bytes(data)
    try:
        doc = load(path, max_bytes=1024 * 1024)
    except (UnsupportedFormat, BadDocument) as exc:
        message = str(exc)
        assert message.strip(), "errors must say what happened"
        assert "\n" not in message, f"error message is not one line: {message!r}"
        return
    assert doc.content_hash == hashlib.sha256(data).hexdigest()
    assert doc.pages and all(isinstance(page, str) for page in doc.pages)
    assert any(page.strip() for page in doc.pages)
    assert doc.meta.title
    if suffix != ".pdf":
        assert len(doc.pages) == 1


@st.composite
def damaged(draw: st.DrawFn, seed: bytes) -> bytes:
    """`seed` with a few bytes flipped, overwritten, inserted or deleted, maybe truncated."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        op = draw(st.sampled_from(["flip", "set", "insert", "delete"]))
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[at : at + draw(st.integers(1, 64))]
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes(workdir: Path, suffix: str, data: bytes) -> None:
    check(workdir, suffix, data)


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
@FUZZ
@given(data=st.data())
def test_damaged_valid_files(workdir: Path, suffix: str, data: st.DataObject) -> None:
    check(workdir, suffix, data.draw(damaged(SEEDS[suffix])))


@FUZZ
@given(data=damaged(PLAIN_PDF))
def test_damaged_uncompressed_pdf(workdir: Path, data: bytes) -> None:
    check(workdir, ".pdf", data)


@FUZZ
@given(xml=damaged(DOCX_XML))
def test_docx_with_damaged_xml_in_a_sound_zip(workdir: Path, xml: bytes) -> None:
    """Re-zipped, so the CRCs hold and the damage reaches python-docx and lxml."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(SEEDS[".docx"])) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            body = xml if item.filename == "word/document.xml" else source.read(item)
            target.writestr(item.filename, body)
    check(workdir, ".docx", out.getvalue())


@pytest.mark.parametrize(
    ("suffix", "data"), [*SEEDS.items(), (".pdf", PLAIN_PDF)], ids=[*SEEDS, ".pdf-plain"]
)
def test_seeds_load(workdir: Path, suffix: str, data: bytes) -> None:
    """The seeds are valid, so damaging them explores inputs near valid ones."""
    path = workdir / f"seed{suffix}"
    path.write_bytes(data)
    assert any(page.strip() for page in load(path).pages)
