"""Turn a file path or an http(s) URL into a RawDocument, refusing garbage with a one-line reason.

Every failure on bad input is an `UnsupportedFormat`, `BadDocument` or `FetchError` whose message
a person can act on. Where a parsing library can raise arbitrary exceptions on garbage (pypdf,
python-docx, trafilatura, zipfile), the broad catch sits at that one call and names the library.
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import json
import logging
import re
import socket
import stat
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import charset_normalizer
import docx
import httpx
import pypdf
import trafilatura
from docx.table import Table
from pypdf import PasswordType
from pypdf.errors import DependencyError, FileNotDecryptedError

from bot.errors import BadDocument, FetchError, UnsupportedFormat
from bot.models import DocumentMeta, RawDocument

log = logging.getLogger(__name__)

MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 50 * MIB
DEFAULT_FETCH_TIMEOUT = 20.0
MAX_REDIRECTS = 5
MAX_SIDECAR_BYTES = 1 * MIB
# A DOCX member expanding more than this many times its compressed size (and past 1 MiB) is
# refused as a likely zip bomb, whatever max_bytes says. Real document XML compresses ~5-30x.
ZIP_MAX_RATIO = 200

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
_FORMAT_BY_SUFFIX = {
    ".txt": "txt",
    ".md": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
_DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_FORMAT_BY_CONTENT_TYPE = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    _DOCX_TYPE: "docx",
    "text/plain": "txt",
    "text/markdown": "md",
    "text/x-markdown": "md",
}
_GENERIC_CONTENT_TYPES = {"", "application/octet-stream", "binary/octet-stream"}
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_MD_IMAGE_LINE = re.compile(r"^[ \t]*!\[[^\]]*\]\([^)]*\)[ \t]*$", re.MULTILINE)
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
# C0 controls other than tab, newline, form feed and carriage return: binary data, not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_PREFERRED_ON_TIE = ("cp1252", "iso8859_15", "latin_1")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass
class _Extracted:
    """What one format's reader found: page texts, its own metadata, and a first heading."""

    pages: list[str]
    meta: DocumentMeta
    heading: str = ""


def load(
    source: str | Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    fetch_timeout: float = DEFAULT_FETCH_TIMEOUT,
    allow_private: bool = False,
) -> RawDocument:
    """Read one file or http(s) URL into a RawDocument.

    >>> load("corpus/report.pdf").pages[0]  # doctest: +SKIP
    """
    if isinstance(source, str) and _URL_RE.match(source):
        return _load_url(
            source, max_bytes=max_bytes, timeout=fetch_timeout, allow_private=allow_private
        )
    return _load_file(Path(source), max_bytes=max_bytes)


def iter_sources(paths: Iterable[str | Path]) -> list[str]:
    """Expand folders into the supported files inside them (sorted); keep files and URLs as given.

    Inside folders, hidden files and folders, `*.meta.json` sidecars and README files are
    skipped. A file named explicitly must have a supported suffix.
    """
    found: list[str] = []
    for item in paths:
        if isinstance(item, str) and _URL_RE.match(item):
            found.append(item)
            continue
        path = Path(item)
        if path.is_dir():
            found.extend(str(p) for p in _walk(path))
        elif path.suffix.lower() in _FORMAT_BY_SUFFIX:
            found.append(str(path))
        elif not path.exists():
            raise BadDocument(f"{path} does not exist.")
        else:
            raise UnsupportedFormat(_unsupported_message(path.name))
    return list(dict.fromkeys(found))


def _walk(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).parts
        if any(part.startswith(".") for part in relative):
            continue
        name = path.name.lower()
        if name.endswith(".meta.json") or name.split(".")[0] == "readme":
            continue
        if path.suffix.lower() in _FORMAT_BY_SUFFIX and path.is_file():
            yield path


def _unsupported_message(name: str) -> str:
    return f"{name} is not a file type reportbot reads (it reads {', '.join(SUPPORTED_SUFFIXES)})."


# --- files -------------------------------------------------------------------------------------


def _load_file(path: Path, *, max_bytes: int) -> RawDocument:
    fmt = _FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        raise UnsupportedFormat(_unsupported_message(path.name))
    data = _read_capped(path, max_bytes)
    extracted = _extract(data, fmt, name=path.name, max_bytes=max_bytes)
    sidecar = _read_sidecar(path)
    meta = _final_meta(sidecar, extracted, fallback_title=path.stem)
    log.debug("loaded %s: %s, %d page(s)", path, fmt, len(extracted.pages))
    return RawDocument(
        source=str(path),
        format=fmt,
        pages=extracted.pages,
        content_hash=hashlib.sha256(data).hexdigest(),
        meta=meta,
    )


def _read_capped(path: Path, max_bytes: int) -> bytes:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise BadDocument(f"{path} is not a regular file.")
        if info.st_size > max_bytes:
            raise BadDocument(_too_big(path.name, max_bytes, info.st_size))
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # the file may have grown since stat()
    except FileNotFoundError:
        raise BadDocument(f"{path} does not exist.") from None
    except OSError as exc:
        raise BadDocument(f"{path} cannot be read ({exc.strerror or exc}).") from exc
    if len(data) > max_bytes:
        raise BadDocument(_too_big(path.name, max_bytes))
    if not data:
        raise BadDocument(f"{path.name} is an empty file.")
    return data


def _too_big(name: str, limit: int, size: int | None = None) -> str:
    actual = f" ({_size(size)})" if size is not None else ""
    return f"{name} is larger than the {_size(limit)} limit{actual}; split it or raise the limit."


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", MIB), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def _read_sidecar(path: Path) -> DocumentMeta | None:
    """Metadata from `<name>.meta.json` beside the file; None when there is none."""
    sidecar = path.with_name(path.stem + ".meta.json")
    try:
        if not sidecar.is_file():
            return None
        with sidecar.open("rb") as fh:
            raw = fh.read(MAX_SIDECAR_BYTES + 1)
    except OSError as exc:
        raise BadDocument(f"{sidecar.name} cannot be read ({exc.strerror or exc}).") from exc
    if len(raw) > MAX_SIDECAR_BYTES:
        raise BadDocument(_too_big(sidecar.name, MAX_SIDECAR_BYTES))
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BadDocument(f"{sidecar.name} is not UTF-8; save it as UTF-8 JSON.") from None
    except json.JSONDecodeError as exc:
        raise BadDocument(
            f"{sidecar.name} is not valid JSON ({exc.msg} at line {exc.lineno}); fix or remove it."
        ) from None
    if not isinstance(data, dict):
        raise BadDocument(f"{sidecar.name} must hold a JSON object with title, author, etc.")
    fields = ("title", "publisher", "author", "date", "url")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        log.debug("%s: ignoring unknown keys %s", sidecar.name, unknown)
    return DocumentMeta(**{key: _sidecar_value(sidecar.name, key, data.get(key)) for key in fields})


def _sidecar_value(name: str, key: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(v.strip() for v in value if v.strip())
    raise BadDocument(f"{name}: {key!r} must be a string, not {type(value).__name__}.")


def _final_meta(
    sidecar: DocumentMeta | None, extracted: _Extracted, *, fallback_title: str
) -> DocumentMeta:
    """Sidecar first (missing keys empty), else the format's own metadata; title always found."""
    meta = sidecar if sidecar is not None else extracted.meta
    title = (
        meta.title
        or (extracted.meta.title if sidecar is not None else "")
        or extracted.heading
        or _first_line(extracted.pages)
        or fallback_title
    )
    return replace(meta, title=title)


def _first_line(pages: list[str]) -> str:
    for page in pages:
        for line in page.splitlines():
            if line.strip():
                return _clip(line.strip())
    return ""


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- formats -----------------------------------------------------------------------------------


def _extract(
    data: bytes,
    fmt: str,
    *,
    name: str,
    max_bytes: int,
    charset: str | None = None,
    url: str | None = None,
) -> _Extracted:
    if fmt == "pdf":
        extracted = _extract_pdf(data, name)
    elif fmt == "docx":
        extracted = _extract_docx(data, name, max_bytes)
    elif fmt == "html":
        extracted = _extract_html(data, name, charset, url)
    else:
        extracted = _extract_text(data, name, charset, markdown=fmt == "md")
    if fmt != "pdf" and not any(page.strip() for page in extracted.pages):
        raise BadDocument(f"{name} has no readable text.")
    return extracted


def _tidy(text: str) -> str:
    """One newline convention, no NULs; everything else is left for the cleaning step."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _decode(data: bytes, name: str, charset: str | None = None) -> str:
    """UTF-8 (with or without BOM), else the declared charset, else charset-normalizer's guess."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if charset:
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            log.debug("%s: declared charset %r does not decode it", name, charset)
    results = charset_normalizer.from_bytes(data)
    best = results.best()
    if best is None:
        raise BadDocument(f"{name} is not readable text (binary data or an unknown encoding).")
    # Short texts often score the same in several code pages (Spanish in cp1250 and cp1252);
    # on a tie, Western European wins: it is by far the likeliest legacy encoding of a report.
    tied = [m for m in results if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    for encoding in _PREFERRED_ON_TIE:
        match = next((m for m in tied if encoding in m.could_be_from_charset), None)
        if match is not None:
            best = match
            break
    log.debug("%s: decoded as %s", name, best.encoding)
    return str(best)


def _extract_text(data: bytes, name: str, charset: str | None, *, markdown: bool) -> _Extracted:
    text = _tidy(_decode(data, name, charset))
    if len(_CONTROL.findall(text)) > max(8, len(text) // 100):
        raise BadDocument(f"{name} looks like binary data, not text.")
    heading = ""
    if markdown:
        text = _MD_IMAGE_LINE.sub("", text)
        match = _MD_HEADING.search(text)
        heading = _clip(match.group(1)) if match else ""
    return _Extracted(pages=[text], meta=DocumentMeta(), heading=heading)


def _extract_pdf(data: bytes, name: str) -> _Extracted:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise BadDocument(f"{name} is password-protected; remove the password and try again.")
        count = len(reader.pages)
    except BadDocument:
        raise
    except (DependencyError, FileNotDecryptedError) as exc:
        raise BadDocument(
            f"{name} is encrypted in a way reportbot cannot open ({exc}); "
            "save an unencrypted copy and try again."
        ) from exc
    except Exception as exc:  # pypdf raises many exception types on damaged files
        raise BadDocument(f"{name} is not a readable PDF (pypdf: {_reason(exc)}).") from exc
    if count == 0:
        raise BadDocument(f"{name} has no pages.")

    pages: list[str] = []
    failed = 0
    for number in range(count):
        try:
            text = reader.pages[number].extract_text() or ""
        except Exception as exc:  # one damaged page should not lose the others
            log.warning("%s: page %d could not be read (pypdf: %s)", name, number + 1, exc)
            text, failed = "", failed + 1
        pages.append(_tidy(text))
    if not any(page.strip() for page in pages):
        if failed:
            raise BadDocument(f"{name} is damaged: pypdf could not read any of its pages.")
        raise BadDocument(
            f"{name} has no text layer (it looks scanned); run OCR on it (e.g. ocrmypdf) "
            "and try again."
        )
    return _Extracted(pages=pages, meta=_pdf_meta(reader, name))


def _pdf_meta(reader: pypdf.PdfReader, name: str) -> DocumentMeta:
    try:
        info = reader.metadata
        title = info.title if info is not None else None
        author = info.author if info is not None else None
    except Exception as exc:  # the info dictionary of a damaged PDF can be anything
        log.debug("%s: unreadable PDF metadata (pypdf: %s)", name, exc)
        return DocumentMeta()
    return DocumentMeta(title=_meta_str(title), author=_meta_str(author))


def _meta_str(value: object) -> str:
    return _clip(_tidy(value)) if isinstance(value, str) else ""


def _extract_docx(data: bytes, name: str, max_bytes: int) -> _Extracted:
    _check_zip(data, name, max_bytes)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        heading = ""
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                text = _docx_table(block)
            else:
                text = block.text.strip()
                style = block.style.name if block.style is not None else ""
                if text and not heading and style and style.startswith(("Heading", "Title")):
                    heading = _clip(text)
            if text:
                blocks.append(_tidy(text))
        props = document.core_properties
        meta = DocumentMeta(title=_meta_str(props.title), author=_meta_str(props.author))
    except Exception as exc:  # python-docx raises many exception types on damaged packages
        raise BadDocument(f"{name} is not a readable DOCX (python-docx: {_reason(exc)}).") from exc
    return _Extracted(pages=["\n\n".join(blocks)], meta=meta, heading=heading)


def _docx_table(table: Table) -> str:
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


def _check_zip(data: bytes, name: str, max_bytes: int) -> None:
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
        raise BadDocument(f"{name} is not a valid DOCX (zipfile: {_reason(exc)}).") from exc
    declared = sum(member.file_size for member in members)
    if declared > max_bytes:
        raise BadDocument(
            f"{name} would unpack to {_size(declared)}, over the {_size(max_bytes)} limit; "
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


def _extract_html(
    data: bytes, name: str, charset: str | None, url: str | None = None
) -> _Extracted:
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
            f"{name} could not be parsed as HTML (trafilatura: {_reason(exc)})."
        ) from exc
    meta = DocumentMeta()
    if found is not None:
        meta = DocumentMeta(
            title=_meta_str(found.title),
            publisher=_meta_str(found.sitename),
            author=_meta_str(found.author),
            date=_meta_str(found.date),  # extensive=False: only dates the page states
            url=_meta_str(found.url),
        )
    heading = next((_clip(text) for tag, text in blocks if tag == "head"), "")
    text = "\n\n".join(text for _, text in blocks)
    return _Extracted(pages=[_tidy(text)], meta=meta, heading=heading)


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
                " | ".join(_inline(cell) for cell in row if cell.tag == "cell")
                for row in element.iter("row")
            ]
        else:
            lines = [_inline(element)]
        text = "\n".join(line for line in lines if line.strip())
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


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return _clip(text, 120)


# --- URLs --------------------------------------------------------------------------------------


def _load_url(url: str, *, max_bytes: int, timeout: float, allow_private: bool) -> RawDocument:
    data, content_type, charset, final_url = _fetch(
        url, max_bytes=max_bytes, timeout=timeout, allow_private=allow_private
    )
    fmt = _format_for(url, final_url, content_type)
    if not data:
        raise BadDocument(f"{url} returned an empty body.")
    extracted = _extract(data, fmt, name=url, max_bytes=max_bytes, charset=charset, url=url)
    meta = _final_meta(None, extracted, fallback_title=url)
    return RawDocument(
        source=url,
        format=fmt,
        pages=extracted.pages,
        content_hash=hashlib.sha256(data).hexdigest(),
        meta=replace(meta, url=url),
    )


def _format_for(url: str, final_url: str, content_type: str) -> str:
    """The content type decides; a generic or missing one falls back to the URL's suffix."""
    fmt = _FORMAT_BY_CONTENT_TYPE.get(content_type)
    if fmt is None and content_type in _GENERIC_CONTENT_TYPES:
        fmt = _FORMAT_BY_SUFFIX.get(Path(httpx.URL(final_url).path).suffix.lower())
    if fmt is None:
        raise UnsupportedFormat(
            f"{url} is {content_type or 'of unknown type'}, which reportbot cannot read "
            "(it reads HTML, PDF, DOCX, Markdown and plain text)."
        )
    return fmt


@dataclass(frozen=True)
class _Hop:
    """One request, pinned to the address that was checked (no second DNS lookup)."""

    url: httpx.URL
    headers: dict[str, str]
    extensions: dict[str, Any]


def _fetch(
    url: str, *, max_bytes: int, timeout: float, allow_private: bool
) -> tuple[bytes, str, str | None, str]:
    """GET `url`, following redirects with each hop re-checked.

    Returns the body, media type, charset and the URL finally fetched.
    """
    deadline = time.monotonic() + timeout
    current = url
    headers = {"User-Agent": "reportbot (+document loader)", "Accept-Encoding": "identity"}
    with httpx.Client(
        timeout=timeout, follow_redirects=False, trust_env=False, headers=headers
    ) as client:
        for _ in range(MAX_REDIRECTS + 1):
            hop = _plan_hop(current, url, allow_private)
            try:
                with client.stream(
                    "GET", hop.url, headers=hop.headers, extensions=hop.extensions
                ) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchError(f"{url} redirected without saying where to.")
                        current = str(httpx.URL(current).join(location))
                        log.debug("%s redirects to %s", url, current)
                        continue
                    if not response.is_success:
                        raise FetchError(
                            f"{url} returned HTTP {response.status_code} "
                            f"{response.reason_phrase}.".replace(" .", ".")
                        )
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise BadDocument(_too_big(url, max_bytes, int(declared)))
                    body = _read_body(response, url, max_bytes, deadline, timeout)
                    content_type = response.headers.get("content-type", "")
                    media = content_type.split(";")[0].strip().lower()
                    return body, media, response.charset_encoding, current
            except httpx.TimeoutException:
                raise FetchError(f"{url} did not answer within {timeout:g} s.") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{url} could not be fetched ({_reason(exc)}).") from exc
            except (httpx.InvalidURL, UnicodeError) as exc:
                raise FetchError(f"{url} is not a valid URL ({_reason(exc)}).") from exc
    raise FetchError(f"{url} redirected more than {MAX_REDIRECTS} times.")


def _read_body(
    response: httpx.Response, url: str, max_bytes: int, deadline: float, timeout: float
) -> bytes:
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise BadDocument(_too_big(url, max_bytes))
        if time.monotonic() > deadline:
            raise FetchError(f"{url} took longer than {timeout:g} s to download.")
        chunks.append(chunk)
    return b"".join(chunks)


def _plan_hop(current: str, original: str, allow_private: bool) -> _Hop:
    """Check the scheme and every address the host resolves to, then pin the request to one.

    Pinning (connecting to the checked IP, with the real name in Host and TLS SNI) means a DNS
    answer that changes between the check and the connection cannot reach a private address.
    """
    where = original if current == original else f"{original} (redirected to {current})"
    try:
        target = httpx.URL(current)
        port = target.port
        host = target.raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise FetchError(f"{where} is not a valid URL ({_reason(exc)}).") from exc
    if target.scheme not in ("http", "https"):
        raise FetchError(
            f"{where}: only http and https URLs can be fetched, not {target.scheme or 'none'}."
        )
    if not host:
        raise FetchError(f"{where} has no host name.")
    if port is not None and not 0 < port < 65536:
        raise FetchError(f"{where} has an invalid port {port}.")
    addresses = _resolve(host)
    if not addresses:
        raise FetchError(f"{where}: the host {host} could not be resolved.")
    if not allow_private:
        for address in addresses:
            if not _is_public(address):
                raise FetchError(
                    f"{where} points to a private or local address ({address}); "
                    "refusing to fetch it."
                )
    extensions: dict[str, Any] = {}
    if target.scheme == "https":
        extensions["sni_hostname"] = host
    return _Hop(
        url=target.copy_with(host=str(addresses[0])),
        headers={"Host": target.netloc.decode("ascii")},
        extensions=extensions,
    )


def _resolve(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address `host` resolves to (IP literals, in any notation, resolve to themselves)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    addresses = []
    for info in infos:
        try:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        except ValueError:
            continue
        if address not in addresses:
            addresses.append(address)
    return addresses


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """False for private, loopback, link-local, multicast, reserved and other non-global ranges."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None
        )
        if embedded is not None:
            return _is_public(embedded)
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
