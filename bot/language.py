"""A question's language, and an English rendering of a Spanish one.

    detect(text) -> "en" | "es"
    to_english(text) -> str | None      None when the translator is not installed

Detection is py3langid (BSD, offline, a small bundled model) restricted to the two languages
the bot serves. Translation is Apertium's rule-based Spanish-to-English pair (Debian package
`apertium-eng-spa`, command `apertium spa-eng`, or the one REPORTBOT_APERTIUM names), run as
a subprocess; when it is missing the log says so once and Spanish questions are searched with
their own words only.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

LANGUAGES = ("en", "es")
APERTIUM_PAIR = "spa-eng"
TRANSLATE_TIMEOUT_S = 10.0
CACHE_SIZE = 4096
SEPARATOR = "\n\n"  # Apertium keeps blank lines, so one call can translate many questions

_cache: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()
_warned: list[bool] = []


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect(text: str) -> str:
    """The language of a question: "en" or "es"."""
    lang, _ = _identifier().classify(text)
    return str(lang)


def reset() -> None:
    """Forget the translator lookup, the cache and the warning (after installing Apertium)."""
    _apertium.cache_clear()
    with _lock:
        _cache.clear()
        _warned.clear()


def available() -> bool:
    """Whether the Apertium Spanish-to-English pair can be run here."""
    return _apertium() is not None


@lru_cache(maxsize=1)
def _apertium() -> str | None:
    path = shutil.which(os.environ.get("REPORTBOT_APERTIUM", "apertium"))
    if path is None:
        return None
    try:
        done = subprocess.run(
            [path, "-u", APERTIUM_PAIR],
            input="hola",
            capture_output=True,
            text=True,
            timeout=TRANSLATE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if done.returncode == 0 and done.stdout.strip() else None


def _warn_once(reason: str) -> None:
    with _lock:
        if not _warned:
            _warned.append(True)
            log.warning("Spanish questions are searched without translation: %s", reason)


def to_english(text: str) -> str | None:
    """Apertium's English rendering of a Spanish text, or None when it cannot run."""
    found = to_english_many([text])
    return found[0] if found else None


def to_english_many(texts: list[str]) -> list[str] | None:
    """English renderings of several Spanish texts in one Apertium run (cached)."""
    path = _apertium()
    if path is None:
        _warn_once(f"Apertium ({APERTIUM_PAIR}) is not installed (Debian: apertium-eng-spa)")
        return None
    clean = [" ".join(t.split()) for t in texts]
    with _lock:
        missing = list(dict.fromkeys(t for t in clean if t not in _cache))
    if missing:
        try:
            done = subprocess.run(
                [path, "-u", APERTIUM_PAIR],
                input=SEPARATOR.join(missing),
                capture_output=True,
                text=True,
                timeout=TRANSLATE_TIMEOUT_S * max(1, len(missing) // 50),
                check=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            _warn_once(f"Apertium failed ({exc})")
            return None
        parts = [" ".join(p.split()) for p in done.stdout.strip().split(SEPARATOR)]
        if len(parts) != len(missing):  # a text that held a blank line: one at a time
            parts = [to_english(t) or t for t in missing] if len(missing) > 1 else [parts[0]]
        with _lock:
            for source, english in zip(missing, parts, strict=True):
                _cache[source] = english
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    with _lock:
        return [_cache.get(t, t) for t in clean]
