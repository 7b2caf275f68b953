"""Loaders against real files built at test time, and URLs against a local http.server."""

from __future__ import annotations

import hashlib
import http.server
import io
import ipaddress
import json
import shutil
import ssl
import subprocess
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import docx
import httpx
import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader, PdfWriter

from bot.errors import BadDocument, FetchError, UnsupportedFormat
from bot.loaders import SUPPORTED_SUFFIXES, AddressPolicy, iter_sources, load
from bot.loaders.docx import DOCX_TYPE
from bot.loaders.url import is_public
from bot.models import DocumentMeta

SPANISH = (
    "Informe económico anual\n\n"
    "El niño comió piña en Córdoba; la economía creció un 3,5 % en el año.\n\n"
    "Según el ministerio, la inflación bajó en el último trimestre."
)


# --- builders ----------------------------------------------------------------------------------


def make_pdf(
    pages: list[str], *, title: str = "", author: str = "", created: datetime | None = None
) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.set_creation_date(created or datetime(2019, 2, 7, 12, 0, tzinfo=UTC))
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def make_scanned_pdf() -> bytes:
    """Two pages carrying only a picture of text-like stripes: no text layer."""
    image = Image.new("RGB", (200, 100), "white")
    for x in range(20, 180):
        for y in (30, 31, 50, 51, 70, 71):
            image.putpixel((x, y), (0, 0, 0))
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.image(image, x=10, y=10, w=150)
    return bytes(pdf.output())


def encrypt_pdf(
    data: bytes, *, user_password: str, owner_password: str, algorithm: str = "RC4-128"
) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    # pypdf needs `cryptography` to write AES (a dev dependency); reading needs nothing extra.
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(path: Path, *, title: str = "", author: str = "") -> Path:
    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = author
    document.add_heading("Quarterly Review", level=1)
    document.add_paragraph("Exports rose 7% in the second quarter.")
    document.add_paragraph("Imports were flat at $2.1 billion.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Sector"
    table.cell(0, 1).text = "Growth"
    table.cell(1, 0).text = "Software"
    table.cell(1, 1).text = "12%"
    document.add_paragraph("Outlook remains positive.")
    document.save(path)
    return path


def write(path: Path, data: bytes | str) -> Path:
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


# --- plain text and markdown -------------------------------------------------------------------


def test_txt_keeps_paragraphs_and_hashes_the_bytes(tmp_path: Path) -> None:
    data = b"Annual summary\r\n\r\nFirst paragraph here.\r\nSame paragraph.\r\n\r\nSecond one.\r\n"
    doc = load(write(tmp_path / "summary.txt", data))
    assert doc.format == "txt"
    assert doc.source == str(tmp_path / "summary.txt")
    assert doc.pages == [
        "Annual summary\n\nFirst paragraph here.\nSame paragraph.\n\nSecond one.\n"
    ]
    assert doc.content_hash == hashlib.sha256(data).hexdigest()
    assert doc.meta == DocumentMeta(title="Annual summary")


def test_txt_latin1_spanish_is_detected(tmp_path: Path) -> None:
    doc = load(write(tmp_path / "informe.txt", SPANISH.encode("latin-1")))
    assert doc.pages == [SPANISH]
    assert doc.content_hash == hashlib.sha256(SPANISH.encode("latin-1")).hexdigest()


def test_txt_utf8_bom_is_dropped(tmp_path: Path) -> None:
    doc = load(write(tmp_path / "bom.txt", b"\xef\xbb\xbfHello report."))
    assert doc.pages == ["Hello report."]


def test_txt_binary_garbage_is_refused(tmp_path: Path) -> None:
    junk = bytes(range(256)) * 8
    with pytest.raises(BadDocument, match=r"junk\.txt"):
        load(write(tmp_path / "junk.txt", junk))


def test_txt_only_whitespace_has_no_text(tmp_path: Path) -> None:
    with pytest.raises(BadDocument, match="no readable text"):
        load(write(tmp_path / "blank.txt", "  \n\n\t \n"))


def test_markdown_drops_image_lines_and_takes_heading_as_title(tmp_path: Path) -> None:
    text = (
        "Intro line before the heading.\n\n"
        "# Trade Outlook 2024\n\n"
        "![chart](img/chart.png)\n\n"
        "Exports grew **9%**.\n"
        "See ![inline](x.png) here.\n"
    )
    doc = load(write(tmp_path / "outlook.md", text))
    assert doc.format == "md"
    assert doc.meta.title == "Trade Outlook 2024"
    page = doc.pages[0]
    assert "img/chart.png" not in page
    assert "Exports grew **9%**." in page
    assert "See ![inline](x.png) here." in page  # only whole image lines go
    assert page.startswith("Intro line before the heading.\n\n# Trade Outlook 2024\n\n")


# --- HTML --------------------------------------------------------------------------------------

ARTICLE = """<!doctype html>
<html><head>
<title>Annual Report 2023 | Acme</title>
<meta property="og:site_name" content="Acme News">
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2024-03-05T10:00:00Z">
</head><body>
<nav><a href="/">Home</a> | <a href="/about">About us</a></nav>
<article>
<h1>Annual Report 2023</h1>
<p>Revenue grew by 12% to $4.5 million in 2023, driven by exports to Brazil and Chile.</p>
<script>var tracking = "do not index me";</script>
<h2>Outlook</h2>
<p>The company expects growth of 5% next year as new plants come online in Rosario.</p>
<ul><li>Hire 40 engineers</li><li>Open two offices</li></ul>
</article>
<footer>Copyright Acme 2024</footer>
</body></html>"""


def test_html_main_text_keeps_headings_and_paragraphs(tmp_path: Path) -> None:
    doc = load(write(tmp_path / "report.html", ARTICLE))
    assert doc.format == "html"
    page = doc.pages[0]
    blocks = page.split("\n\n")
    assert blocks[0] == "Annual Report 2023"
    assert "Revenue grew by 12% to $4.5 million in 2023" in blocks[1]
    assert "Outlook" in blocks
    assert "Hire 40 engineers\nOpen two offices" in blocks
    assert "do not index me" not in page
    assert doc.meta.title == "Annual Report 2023"
    assert doc.meta.publisher == "Acme News"
    assert doc.meta.author == "Jane Doe"
    assert doc.meta.date == "2024-03-05"


def test_html_never_invents_a_date(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Budget Plan 2021</title></head><body>"
        "<p>This plan was drafted in March 2021 and covers spending on schools.</p>"
        "</body></html>"
    )
    doc = load(write(tmp_path / "plan.htm", html))
    assert doc.format == "html"
    assert doc.meta.date == ""
    assert doc.meta.url == ""


def test_html_tiny_page_still_yields_text(tmp_path: Path) -> None:
    doc = load(write(tmp_path / "tiny.html", "<html><body><p>Short note.</p></body></html>"))
    assert "Short note." in doc.pages[0]


def test_html_all_script_is_refused(tmp_path: Path) -> None:
    html = "<html><head><script>var a = 1;</script></head><body><script>go()</script></body></html>"
    with pytest.raises(BadDocument, match="no readable text"):
        load(write(tmp_path / "app.html", html))


# --- PDF ---------------------------------------------------------------------------------------


def test_pdf_keeps_one_text_per_page(tmp_path: Path) -> None:
    texts = [f"Section {n}\n\nRevenue on page {n} was {n * 11}% above plan." for n in (1, 2, 3)]
    data = make_pdf(texts, title="Fiscal Review", author="Ministry of Finance")
    doc = load(write(tmp_path / "review.pdf", data))
    assert doc.format == "pdf"
    assert len(doc.pages) == 3
    for number, page in enumerate(doc.pages, start=1):
        assert f"Revenue on page {number} was {number * 11}% above plan." in page
        others = {1, 2, 3} - {number}
        assert not any(f"page {other} was" in page for other in others)
    assert doc.meta == DocumentMeta(
        title="Fiscal Review", author="Ministry of Finance", date="2019-02-07"
    )
    assert doc.found == {
        "title": "pdf metadata (Title)",
        "author": "pdf metadata (Author)",
        "date": "pdf metadata (CreationDate)",
    }
    assert doc.content_hash == hashlib.sha256(data).hexdigest()


def test_pdf_without_metadata_takes_first_line_as_title(tmp_path: Path) -> None:
    doc = load(write(tmp_path / "plain.pdf", make_pdf(["Water Usage Study\nBody text."])))
    assert doc.meta.title == "Water Usage Study"


def test_pdf_with_password_is_refused(tmp_path: Path) -> None:
    data = encrypt_pdf(make_pdf(["secret numbers"]), user_password="pw", owner_password="own")
    with pytest.raises(BadDocument, match=r"locked\.pdf is password-protected"):
        load(write(tmp_path / "locked.pdf", data))


def test_pdf_with_only_an_owner_password_opens(tmp_path: Path) -> None:
    data = encrypt_pdf(make_pdf(["open to read"]), user_password="", owner_password="own")
    doc = load(write(tmp_path / "restricted.pdf", data))
    assert "open to read" in doc.pages[0]


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_aes_encrypted_pdf_with_empty_user_password_opens(tmp_path: Path, algorithm: str) -> None:
    data = encrypt_pdf(
        make_pdf(["Permissions only."]), user_password="", owner_password="own", algorithm=algorithm
    )
    doc = load(write(tmp_path / "filing.pdf", data))
    assert "Permissions only." in doc.pages[0]


def test_pdf_without_text_layer_says_scanned(tmp_path: Path) -> None:
    with pytest.raises(BadDocument, match=r"scan.*OCR"):
        load(write(tmp_path / "scan.pdf", make_scanned_pdf()))


def test_pdf_with_blank_pages_says_scanned(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.add_page()
    with pytest.raises(BadDocument, match="OCR"):
        load(write(tmp_path / "blank.pdf", bytes(pdf.output())))


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n garbage that is not a pdf",
        b"not a pdf at all, just words",
        make_pdf(["half a file"])[:300],
    ],
)
def test_corrupt_pdf_is_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(BadDocument, match=r"broken\.pdf"):
        load(write(tmp_path / "broken.pdf", data))


# --- DOCX --------------------------------------------------------------------------------------


def test_docx_paragraphs_tables_and_properties(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "review.docx", title="Q2 Review", author="Trade Office")
    doc = load(path)
    assert doc.format == "docx"
    assert doc.pages == [
        "Quarterly Review\n\n"
        "Exports rose 7% in the second quarter.\n\n"
        "Imports were flat at $2.1 billion.\n\n"
        "Sector | Growth\nSoftware | 12%\n\n"
        "Outlook remains positive."
    ]
    assert doc.meta == DocumentMeta(title="Q2 Review", author="Trade Office")
    assert doc.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_docx_without_title_property_uses_first_heading(tmp_path: Path) -> None:
    doc = load(make_docx(tmp_path / "untitled.docx"))
    assert doc.meta.title == "Quarterly Review"


def test_docx_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadDocument, match="not a zip"):
        load(write(tmp_path / "old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600))


def test_zip_without_word_document_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(BadDocument, match="not a Word document"):
        load(write(tmp_path / "fake.docx", buffer.getvalue()))


def zip_bomb(member_size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * member_size)
    return buffer.getvalue()


@pytest.fixture
def no_unzipping(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any decompression during the test fails it: bombs must be refused from the directory."""

    def refuse(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("a zip member was decompressed")

    monkeypatch.setattr(zipfile.ZipExtFile, "read", refuse)
    monkeypatch.setattr(zipfile.ZipExtFile, "read1", refuse)


@pytest.mark.usefixtures("no_unzipping")
def test_zip_bomb_over_max_bytes_is_refused_unopened(tmp_path: Path) -> None:
    data = zip_bomb(4 * 1024 * 1024)
    assert len(data) < 10_000
    with pytest.raises(BadDocument, match=r"bomb\.docx would unpack to 4 MiB.*1 MiB limit"):
        load(write(tmp_path / "bomb.docx", data), max_bytes=1024 * 1024)


@pytest.mark.usefixtures("no_unzipping")
def test_zip_bomb_by_ratio_is_refused_even_under_max_bytes(tmp_path: Path) -> None:
    with pytest.raises(BadDocument, match="zip bomb"):
        load(write(tmp_path / "ratio.docx", zip_bomb(8 * 1024 * 1024)))


# --- size, emptiness, names --------------------------------------------------------------------


def test_file_over_max_bytes_names_the_limit(tmp_path: Path) -> None:
    path = write(tmp_path / "huge.txt", "x" * 5000)
    with pytest.raises(BadDocument, match=r"huge\.txt is larger than the 4 KiB limit"):
        load(path, max_bytes=4096)
    assert load(path, max_bytes=5000).pages == ["x" * 5000]


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
def test_empty_file_is_refused(tmp_path: Path, suffix: str) -> None:
    with pytest.raises(BadDocument, match="empty file"):
        load(write(tmp_path / f"nothing{suffix}", b""))


def test_unsupported_suffix(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormat, match=r"sheet\.xlsx is not a file type"):
        load(write(tmp_path / "sheet.xlsx", b"PK"))


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(BadDocument, match="does not exist"):
        load(tmp_path / "gone.pdf")
    (tmp_path / "folder.txt").mkdir()
    with pytest.raises(BadDocument, match="not a regular file"):
        load(tmp_path / "folder.txt")


def test_uppercase_suffix_is_supported(tmp_path: Path) -> None:
    doc = load(write(tmp_path / "LOUD.TXT", "Shouted text."))
    assert doc.format == "txt"


# --- sidecar metadata --------------------------------------------------------------------------


def test_sidecar_wins_and_missing_keys_are_empty(tmp_path: Path) -> None:
    pdf = write(tmp_path / "review.pdf", make_pdf(["Body"], title="Embedded", author="Embedded"))
    sidecar = {"title": "Fiscal Review 2024", "publisher": "Treasury", "date": "2024-05-01"}
    write(tmp_path / "review.meta.json", json.dumps(sidecar))
    assert load(pdf).meta == DocumentMeta(
        title="Fiscal Review 2024", publisher="Treasury", author="", date="2024-05-01", url=""
    )


def test_sidecar_without_title_falls_back_to_the_document(tmp_path: Path) -> None:
    path = write(tmp_path / "notes.v2.md", "# Field Notes\n\nText.")
    write(tmp_path / "notes.v2.meta.json", json.dumps({"author": ["Ana", "Luis"], "date": 2023}))
    assert load(path).meta == DocumentMeta(title="Field Notes", author="Ana, Luis", date="2023")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "JSON object"),
        ('{"title": {"nested": 1}}', "must be a string"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_bad_sidecar_is_reported(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = write(tmp_path / "doc.txt", "Text.")
    write(tmp_path / "doc.meta.json", content)
    with pytest.raises(BadDocument, match=rf"doc\.meta\.json.*{message}"):
        load(path)


def test_title_falls_back_to_first_line(tmp_path: Path) -> None:
    doc = load(write(tmp_path / "memo.txt", "\n\n  Memo on water tariffs  \nMore text."))
    assert doc.meta.title == "Memo on water tariffs"


# --- iter_sources ------------------------------------------------------------------------------


def test_iter_sources_expands_folders_sorted_and_filtered(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for name in [
        "b.pdf",
        "a.txt",
        "sub/c.docx",
        "sub/deeper/d.HTML",
        "a.meta.json",
        "README.md",
        "readme.txt",
        ".hidden.txt",
        ".cache/e.txt",
        "data.csv",
        "notes.md",
    ]:
        path = corpus / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    expected = [
        corpus / n for n in ["a.txt", "b.pdf", "notes.md", "sub/c.docx", "sub/deeper/d.HTML"]
    ]
    url = "https://example.org/report.pdf"
    explicit = corpus / "README.md"
    assert iter_sources([corpus, url, explicit, str(corpus / "a.txt")]) == [
        *map(str, expected),
        url,
        str(explicit),
    ]


def test_iter_sources_refuses_named_unsupported_file(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormat, match=r"data\.csv"):
        iter_sources([write(tmp_path / "data.csv", "a,b")])
    with pytest.raises(BadDocument, match="does not exist"):
        iter_sources([tmp_path / "missing"])


# --- URLs --------------------------------------------------------------------------------------

Route = Callable[[http.server.BaseHTTPRequestHandler], None]


class Server:
    """A loopback http.server in a thread with per-test routes; records the requests it saw."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[tuple[str, str]] = []  # (path, Host header)
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.seen.append((self.path, self.headers.get("Host", "")))
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
                else:
                    route(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def serve(self, path: str, body: bytes, content_type: str, status: int = 200) -> None:
        def route(handler: http.server.BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        self.routes[path] = route

    def redirect(self, path: str, location: str) -> None:
        def route(handler: http.server.BaseHTTPRequestHandler) -> None:
            handler.send_response(302)
            handler.send_header("Location", location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        self.routes[path] = route


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def test_url_html(server: Server) -> None:
    server.serve("/report", ARTICLE.encode(), "text/html; charset=utf-8")
    doc = load(f"{server.base}/report", allow_private=True)
    assert doc.format == "html"
    assert doc.source == f"{server.base}/report"
    assert "Revenue grew by 12%" in doc.pages[0]
    assert doc.meta.url == f"{server.base}/report"
    assert doc.meta.title == "Annual Report 2023"
    assert doc.content_hash == hashlib.sha256(ARTICLE.encode()).hexdigest()


def test_url_pdf_keeps_pages(server: Server) -> None:
    server.serve("/files/r", make_pdf(["First page text.", "Second page text."]), "application/pdf")
    doc = load(f"{server.base}/files/r", allow_private=True)
    assert doc.format == "pdf"
    assert [("First" in p, "Second" in p) for p in doc.pages] == [(True, False), (False, True)]


def test_url_text_uses_declared_charset(server: Server) -> None:
    server.serve("/informe", SPANISH.encode("cp1252"), "text/plain; charset=windows-1252")
    doc = load(f"{server.base}/informe", allow_private=True)
    assert (doc.format, doc.pages) == ("txt", [SPANISH])


def test_url_docx_by_content_type_and_generic_type_by_suffix(
    server: Server, tmp_path: Path
) -> None:
    data = make_docx(tmp_path / "r.docx").read_bytes()
    server.serve("/doc", data, DOCX_TYPE)
    server.serve("/blob/r.pdf", make_pdf(["Sniffed by suffix."]), "application/octet-stream")
    server.redirect("/latest", "/blob/r.pdf")
    assert load(f"{server.base}/doc", allow_private=True).format == "docx"
    assert load(f"{server.base}/blob/r.pdf", allow_private=True).format == "pdf"
    assert load(f"{server.base}/latest", allow_private=True).format == "pdf"  # final URL's suffix


def test_url_redirect_is_followed(server: Server) -> None:
    server.redirect("/old", "/new")
    server.serve("/new", b"Moved content.", "text/plain")
    doc = load(f"{server.base}/old", allow_private=True)
    assert doc.pages == ["Moved content."]
    assert doc.meta.url == f"{server.base}/old"
    assert [path for path, _ in server.seen] == ["/old", "/new"]


def test_url_redirect_loop_gives_up(server: Server) -> None:
    server.redirect("/loop", "/loop")
    with pytest.raises(FetchError, match="redirected more than"):
        load(f"{server.base}/loop", allow_private=True)


def test_url_http_error(server: Server) -> None:
    with pytest.raises(FetchError, match="HTTP 404"):
        load(f"{server.base}/nothing-here", allow_private=True)


def test_url_unsupported_content_type(server: Server) -> None:
    server.serve("/pic", b"\x89PNG\r\n\x1a\n", "image/png")
    with pytest.raises(UnsupportedFormat, match="image/png"):
        load(f"{server.base}/pic", allow_private=True)


def test_url_declared_length_over_limit(server: Server) -> None:
    server.serve("/big", b"a" * 3000, "text/plain")
    with pytest.raises(BadDocument, match="2 KiB limit"):
        load(f"{server.base}/big", max_bytes=2048, allow_private=True)


def test_url_streamed_body_is_capped(server: Server) -> None:
    sent: list[int] = []

    def endless(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.end_headers()  # no Content-Length: only the cap stops it
        try:
            for _ in range(1000):
                handler.wfile.write(b"y" * 1024)
                sent.append(1024)
        except OSError:
            pass

    server.routes["/stream"] = endless
    with pytest.raises(BadDocument, match="larger than the 8 KiB limit"):
        load(f"{server.base}/stream", max_bytes=8192, allow_private=True)


def test_url_slow_drip_hits_the_overall_timeout(server: Server) -> None:
    def drip(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.end_headers()
        try:
            for _ in range(40):
                handler.wfile.write(b"z" * 10)
                handler.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass

    server.routes["/drip"] = drip
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"longer than 0\.4 s"):
        load(f"{server.base}/drip", fetch_timeout=0.4, allow_private=True)
    assert time.monotonic() - started < 1.5


def test_url_empty_body(server: Server) -> None:
    server.serve("/empty", b"", "text/plain")
    with pytest.raises(BadDocument, match="empty"):
        load(f"{server.base}/empty", allow_private=True)


# --- SSRF guard --------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any request leaving httpx fails the test: refusals must happen before connecting."""

    def refuse(*args: object, **kwargs: object) -> httpx.Response:
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(httpx.Client, "send", refuse)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/report.pdf", "gopher://example.org/"]
)
def test_non_http_schemes_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        load(url, allow_private=True)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/report.pdf",
        "http://127.0.0.1:8080/",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.1/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://100.64.0.1/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[64:ff9b::a00:1]/",
        "http://2130706433/",  # 127.0.0.1 in decimal
        "https://0x7f.1/",  # 127.0.0.1 in hex shorthand
    ],
)
def test_private_addresses_are_refused_before_connecting(url: str) -> None:
    with pytest.raises(FetchError, match="private or local address"):
        load(url)


def test_loopback_server_is_refused_without_allow_private(server: Server) -> None:
    server.serve("/secret", b"internal", "text/plain")
    with pytest.raises(FetchError, match=r"private or local address \(127\.0\.0\.1\)"):
        load(f"{server.base}/secret")
    assert server.seen == []


@pytest.mark.usefixtures("no_network")
def test_host_name_resolving_to_private_is_refused() -> None:
    answers = {"intranet.example": [ipaddress.ip_address("93.184.216.34")]}
    answers["intranet.example"].append(ipaddress.ip_address("10.1.2.3"))
    policy = AddressPolicy(resolve=lambda host: answers.get(host, []))
    with pytest.raises(FetchError, match=r"10\.1\.2\.3"):
        load("https://intranet.example/report", policy=policy)


def test_unresolvable_host() -> None:
    with pytest.raises(FetchError, match="could not be resolved"):
        load("http://no-such-host.invalid/", policy=AddressPolicy(resolve=lambda host: []))


@pytest.fixture
def public_loopback(server: Server) -> tuple[Server, AddressPolicy]:
    """`reports.example` resolves to the loopback server, which counts as public for the test."""
    loopback = ipaddress.ip_address("127.0.0.1")
    policy = AddressPolicy(
        resolve=lambda host: [loopback] if host == "reports.example" else [],
        allows=lambda ip: ip == loopback or is_public(ip),
    )
    return server, policy


def test_request_is_pinned_to_the_checked_address(
    public_loopback: tuple[Server, AddressPolicy],
) -> None:
    server, policy = public_loopback
    server.serve("/page", b"Pinned.", "text/plain")
    doc = load(f"http://reports.example:{server.port}/page", policy=policy)
    assert doc.pages == ["Pinned."]
    assert server.seen == [("/page", f"reports.example:{server.port}")]


@pytest.mark.parametrize(
    "location", ["http://10.0.0.1/admin", "http://[::1]/", "file:///etc/passwd"]
)
def test_every_redirect_hop_is_rechecked(
    public_loopback: tuple[Server, AddressPolicy], location: str
) -> None:
    server, policy = public_loopback
    server.redirect("/hop", location)
    with pytest.raises(FetchError, match=r"redirected to"):
        load(f"http://reports.example:{server.port}/hop", policy=policy)
    assert [path for path, _ in server.seen] == ["/hop"]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_https_pinned_to_the_address_still_sends_the_real_name(
    public_loopback: tuple[Server, AddressPolicy], tmp_path: Path
) -> None:
    """TLS goes to the checked IP, but SNI (and certificate checks) use the host name."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=reports.example"),
        ],
        check=True,
        capture_output=True,
    )
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    server, policy = public_loopback
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    # Self-signed, so verification fails, after the handshake has shown which name was sent.
    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):
        load(f"https://reports.example:{server.port}/page", policy=policy)
    assert names == ["reports.example"]
