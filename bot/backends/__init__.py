"""Index backends beside the default index directory (bot/index.py's `SqliteIndex`).

`postgres`: the same index in PostgreSQL + pgvector, chosen by a `postgresql://` location
(`--index`, env REPORTBOT_INDEX). `bot.index.ReportIndex.open` and `bot.ingest` pick the
backend from the location; nothing else names one.
"""

from __future__ import annotations

import re
from pathlib import Path

_USERINFO = re.compile(r"//[^/@]*@")
_PASSWORD = re.compile(r"(password=)[^&\s]*", re.IGNORECASE)


def describe(location: str | Path) -> str:
    """A location as it may appear in logs and messages: a URL without user or password."""
    text = str(location)
    if "://" not in text:
        return text
    return _PASSWORD.sub(r"\1***", _USERINFO.sub("//", text, count=1))
