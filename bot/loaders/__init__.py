"""Turn a file path or an http(s) URL into a RawDocument, refusing garbage with a one-line reason.

    load(source) -> RawDocument        iter_sources(paths) -> [source, ...]

One reader per source kind, each importing only `base`: `pdf` (PDFium), `html` (trafilatura),
`docx` (python-docx), `text` (plain text and Markdown); `url` fetches with its address checks.
This module picks the reader, reads sidecar metadata and records where each metadata field came
from. Every failure on bad input is an `UnsupportedFormat`, `BadDocument` or `FetchError` whose
message a person can act on. Where a parsing library can raise arbitrary exceptions on garbage,
the broad catch sits at that one call in its reader and names the library.

Adding a format: a module with `extract(data, name, ...) -> Extracted`, a suffix in
`FORMAT_BY_SUFFIX`, a branch in `_extract`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.errors import BadDocument, UnsupportedFormat
from bot.loaders import docx, html, pdf, text, url
from bot.loaders.base import Extracted, first_line, too_big
from bot.loaders.url import DEFAULT_FETCH_TIMEOUT, AddressPolicy
from bot.models import DocumentMeta, RawDocument

__all__ = [
    "DEFAULT_FETCH_TIMEOUT",
    "DEFAULT_MAX_BYTES",
    "EXTRACTION_VERSION",
    "SUPPORTED_SUFFIXES",
    "AddressPolicy",
    "first_line",
    "iter_sources",
    "load",
]

log = logging.getLogger(__name__)

EXTRACTION_VERSION = 2  # 2: PDFium for PDFs, metadata from the cover page; bump on changes
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
MAX_SIDECAR_BYTES = 1024 * 1024

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
FORMAT_BY_SUFFIX = {
    ".txt": "txt",
    ".md": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_META_FIELDS = ("title", "publisher", "author", "date", "url")


def load(
    source: str | Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    fetch_timeout: float = DEFAULT_FETCH_TIMEOUT,
    allow_private: bool = False,
    policy: AddressPolicy | None = None,
) -> RawDocument:
    """Read one file or http(s) URL into a RawDocument.

    `policy` decides how URLs' host names resolve and which addresses may be fetched (default:
    public ones only; `allow_private` allows every address).

    >>> load("corpus/report.pdf").pages[0]  # doctest: +SKIP
    """
    if isinstance(source, str) and _URL_RE.match(source):
        if policy is None:
            policy = AddressPolicy.allowing_private() if allow_private else AddressPolicy()
        return _load_url(source, max_bytes=max_bytes, timeout=fetch_timeout, policy=policy)
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
        elif path.suffix.lower() in FORMAT_BY_SUFFIX:
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
        if path.suffix.lower() in FORMAT_BY_SUFFIX and path.is_file():
            yield path


def _unsupported_message(name: str) -> str:
    return f"{name} is not a file type reportbot reads (it reads {', '.join(SUPPORTED_SUFFIXES)})."


def _load_file(path: Path, *, max_bytes: int) -> RawDocument:
    fmt = FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        raise UnsupportedFormat(_unsupported_message(path.name))
    data = _read_capped(path, max_bytes)
    extracted = _extract(data, fmt, name=path.name, max_bytes=max_bytes)
    sidecar = _read_sidecar(path)
    meta, found = _final_meta(sidecar, extracted, fallback_title=path.stem)
    log.debug("loaded %s: %s, %d page(s)", path, fmt, len(extracted.pages))
    return RawDocument(
        source=str(path),
        format=fmt,
        pages=extracted.pages,
        content_hash=hashlib.sha256(data).hexdigest(),
        meta=meta,
        found=found,
    )


def _load_url(url_: str, *, max_bytes: int, timeout: float, policy: AddressPolicy) -> RawDocument:
    fetched = url.fetch(url_, max_bytes=max_bytes, timeout=timeout, policy=policy)
    fmt = url.format_for(url_, fetched.final_url, fetched.media_type, FORMAT_BY_SUFFIX)
    if not fetched.body:
        raise BadDocument(f"{url_} returned an empty body.")
    extracted = _extract(
        fetched.body, fmt, name=url_, max_bytes=max_bytes, charset=fetched.charset, url=url_
    )
    meta, found = _final_meta(None, extracted, fallback_title=url_)
    return RawDocument(
        source=url_,
        format=fmt,
        pages=extracted.pages,
        content_hash=hashlib.sha256(fetched.body).hexdigest(),
        meta=replace(meta, url=url_),
        found={**found, "url": "the address fetched"},
    )


def _read_capped(path: Path, max_bytes: int) -> bytes:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise BadDocument(f"{path} is not a regular file.")
        if info.st_size > max_bytes:
            raise BadDocument(too_big(path.name, max_bytes, info.st_size))
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # the file may have grown since stat()
    except FileNotFoundError:
        raise BadDocument(f"{path} does not exist.") from None
    except OSError as exc:
        raise BadDocument(f"{path} cannot be read ({exc.strerror or exc}).") from exc
    if len(data) > max_bytes:
        raise BadDocument(too_big(path.name, max_bytes))
    if not data:
        raise BadDocument(f"{path.name} is an empty file.")
    return data


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
        raise BadDocument(too_big(sidecar.name, MAX_SIDECAR_BYTES))
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
    sidecar: DocumentMeta | None, extracted: Extracted, *, fallback_title: str
) -> tuple[DocumentMeta, dict[str, str]]:
    """Sidecar first (its missing keys empty), else the format's own metadata; title always found.

    Returns the metadata and, per non-empty field, where it came from.
    """
    if sidecar is not None:
        meta = sidecar
        found = {k: "sidecar .meta.json" for k in _META_FIELDS if getattr(sidecar, k)}
    else:
        meta = extracted.meta
        found = {k: v for k, v in extracted.found.items() if getattr(meta, k)}
        found.update(
            {k: "the file's metadata" for k in _META_FIELDS if getattr(meta, k) and k not in found}
        )
    if meta.title:
        return meta, found
    candidates = [
        (extracted.meta.title if sidecar is not None else "", extracted.found.get("title")),
        (extracted.heading, "first heading"),
        (next((t for t in map(first_line, extracted.pages) if t), ""), "first line"),
        (fallback_title, "file name"),
    ]
    title, where = next((t, w) for t, w in candidates if t)
    found["title"] = where or "the file's metadata"
    return replace(meta, title=title), found


def _extract(
    data: bytes,
    fmt: str,
    *,
    name: str,
    max_bytes: int,
    charset: str | None = None,
    url: str | None = None,
) -> Extracted:
    if fmt == "pdf":
        extracted = pdf.extract(data, name)
    elif fmt == "docx":
        extracted = docx.extract(data, name, max_bytes)
    elif fmt == "html":
        extracted = html.extract(data, name, charset, url)
    else:
        extracted = text.extract(data, name, charset, markdown=fmt == "md")
    if fmt != "pdf" and not any(page.strip() for page in extracted.pages):
        raise BadDocument(f"{name} has no readable text.")
    return extracted
