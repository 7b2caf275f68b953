"""What every reader shares: the `Extracted` result, text tidying, and one-line reasons.

Readers (`pdf`, `html`, `docx`, `text`) import only this module, so no two readers import each
other; `bot.loaders` (the package) picks the reader for a format.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.models import DocumentMeta

MIB = 1024 * 1024


@dataclass
class Extracted:
    """What one format's reader found: page texts, its own metadata, and a first heading.

    `found` says where each metadata field came from ("pdf metadata", "first page", ...).
    """

    pages: list[str]
    meta: DocumentMeta
    heading: str = ""
    found: dict[str, str] = field(default_factory=dict)


def tidy(text: str) -> str:
    """One newline convention, no NULs; everything else is left for the cleaning step."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def first_line(text: str) -> str:
    """The first non-blank line of a text, clipped to 200 characters ("" if none)."""
    for line in text.splitlines():
        if line.strip():
            return clip(line.strip())
    return ""


def meta_str(value: object) -> str:
    return clip(tidy(value)) if isinstance(value, str) else ""


def reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return clip(text, 120)


def size(n: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", MIB), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def too_big(name: str, limit: int, actual: int | None = None) -> str:
    stated = f" ({size(actual)})" if actual is not None else ""
    return f"{name} is larger than the {size(limit)} limit{stated}; split it or raise the limit."
