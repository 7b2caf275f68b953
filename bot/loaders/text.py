"""Plain text and Markdown: UTF-8, else the declared charset, else charset-normalizer's guess."""

from __future__ import annotations

import logging
import re

import charset_normalizer

from bot.errors import BadDocument
from bot.loaders.base import Extracted, clip, tidy
from bot.models import DocumentMeta

log = logging.getLogger(__name__)

_MD_IMAGE_LINE = re.compile(r"^[ \t]*!\[[^\]]*\]\([^)]*\)[ \t]*$", re.MULTILINE)
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
# C0 controls other than tab, newline, form feed and carriage return: binary data, not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_PREFERRED_ON_TIE = ("cp1252", "iso8859_15", "latin_1")


def decode(data: bytes, name: str, charset: str | None = None) -> str:
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


def extract(data: bytes, name: str, charset: str | None, *, markdown: bool) -> Extracted:
    text = tidy(decode(data, name, charset))
    if len(_CONTROL.findall(text)) > max(8, len(text) // 100):
        raise BadDocument(f"{name} looks like binary data, not text.")
    heading = ""
    if markdown:
        text = _MD_IMAGE_LINE.sub("", text)
        match = _MD_HEADING.search(text)
        heading = clip(match.group(1)) if match else ""
    return Extracted(pages=[text], meta=DocumentMeta(), heading=heading)
