"""Figures read from table rows: each cell with its row label, column period and stated scale.

Reports put most of their figures in tables, extracted one row per line ("Purchases of
property, plant and equipment (PP&E) (1,577) (1,373) (1,420)"). A cell alone says little; read
with its table it is "USD 1,577 million, purchases of PP&E, 2018":

- the row label (the text before the run of cells) is what the figure measures;
- the column header above (a line of years, quarters or dates) gives each cell its period; a
  line holding one period alone groups the rows under it; a row whose label is a period
  (a schedule by year) carries its own;
- the table's stated scale ("(Millions)", "(in thousands, except per share data)",
  "($ in millions)", "(en miles de pesos)") multiplies its amounts, and a currency stated there
  or written in the table makes them currency. Percentages and per-share rows are not scaled.

A cell the header cannot be lined up with (more cells than periods, as in "2021 2020 Change"
repeated per segment) gets `period=None` and `aligned=False`: it is not known what it is for.
Language words (scale nouns, "except", "per share") come from the language tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from bot.figures.scanner import parse_figures as _parse_figures
from bot.figures.types import TIME_KINDS, Figure
from bot.figures.vocabulary import (
    CURRENCY_SYMBOLS,
    CURRENCY_WORDS,
    PER_SHARE,
    TABLE_EXCEPT,
    TABLE_SCALE_INTRO,
    TABLE_SCALES,
)
from bot.text import letter_words


@lru_cache(maxsize=65536)
def parse_figures(line: str) -> list[Figure]:
    """`parse_figures` of one line, remembered: rows of a page share the lines above them."""
    return _parse_figures(line)


HEADER_LOOKBACK = 45  # lines above a row searched for its column header
SCALE_LOOKBACK = 4  # lines above the header searched for the stated scale
MAX_HEADER_WORDS = 16
MAX_LABEL_WORDS = 30

_SCALE_WORDS = "|".join(
    re.escape(w).replace(r"\ ", r"\s+") for w in sorted(TABLE_SCALES, key=len, reverse=True)
)
_INTRO = "|".join(re.escape(w) for w in TABLE_SCALE_INTRO)
_SCALE_RE = re.compile(
    rf"(?:\(\s*(?:[^()\n]{{0,40}}?\b(?:{_INTRO})\s+)?|\b(?:{_INTRO})\s+)(?P<scale>{_SCALE_WORDS})\b(?P<rest>[^)\n]{{0,80}})",
    re.IGNORECASE,
)
_CELL_GAP = re.compile(r"(?:[\s$€£#*]|\bNM\b|\bN/?A\b|\bn/?m\b)*")  # "$", "NM" (not meaningful)
_DASH_CELL = re.compile(r"(?<!\S)[—–-](?!\S)")


@dataclass(frozen=True)
class TableFigure:
    """One table cell: the figure (scaled; offsets into the text read) and its row and column."""

    figure: Figure
    label: str  # the row label, as written
    period: Figure | None  # the column's (or group's, or row's) period
    aligned: bool  # False when the header could not be lined up with the row's cells
    header: str  # the header line and the lines above it (the table's title), as written
    scale: float  # the stated scale applied (1.0 if none)


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        out.append((pos, stop))
        pos = stop + 1
    return out


def row_cells(line: str) -> tuple[int, list[Figure | None]] | None:
    """(label end, cells) if `line` ends in a run of cells ("— — (25,129)"); else None.

    Cells are the figures at the end of the line separated only by spaces or currency signs; a
    dash standing alone is an empty cell (None). Offsets are into `line`.
    """
    figures = [part for f in parse_figures(line) for part in _split_dash_range(f)]
    cells: list[Figure | None] = []
    boundary = len(line.rstrip())
    for f in reversed(figures):
        if f.kind in TIME_KINDS:
            break  # a period ends the run: it is the row's label ("2024 $ 1,097 $ 862")
        gap = line[f.end : boundary]
        dashes = len(_DASH_CELL.findall(gap))
        if _CELL_GAP.fullmatch(_DASH_CELL.sub(" ", gap)) is None:
            break
        cells[:0] = [f, *([None] * dashes)]
        boundary = f.start
    if not cells or cells[0] is None:
        return None
    head = line[:boundary]
    dashes = len(_DASH_CELL.findall(head))
    if dashes and _DASH_CELL.sub(" ", head).strip() == "":
        cells[:0] = [None] * dashes
        boundary = 0
    label = line[:boundary].strip()
    own = parse_figures(label) if label and not letter_words(label) else []
    timed = len(own) == 1 and own[0].kind in TIME_KINDS and own[0].text == label  # "2024 $ 1,097"
    if (
        label
        and not timed
        and (not letter_words(label) or len(letter_words(label)) > MAX_LABEL_WORDS)
    ):
        return None
    return boundary, cells


def _split_dash_range(fig: Figure) -> list[Figure]:
    """A "range" whose dash stands alone between two numbers in a row ("506,446 — 824,092")
    is two cells with an empty one between them; other figures are kept whole."""
    dash = None if fig.low is None or fig.kind in TIME_KINDS else _DASH_CELL.search(fig.text)
    if dash is None:
        return [fig]
    left, right = parse_figures(fig.text[: dash.start()]), parse_figures(fig.text[dash.end() :])
    if len(left) != 1 or len(right) != 1:
        return [fig]
    at = fig.start + dash.end()
    return [
        replace(left[0], start=fig.start + left[0].start, end=fig.start + left[0].end),
        replace(right[0], start=at + right[0].start, end=at + right[0].end),
    ]


def _header_periods(line: str) -> list[Figure] | None:
    """The periods of a column-header line ("(Millions) 2018 2017 2016"), first run only."""
    figures = parse_figures(line)
    times = [f for f in figures if f.kind in TIME_KINDS]
    if len(times) < 2 or len(times) != len(figures):
        return None
    if len(letter_words(line)) > MAX_HEADER_WORDS:
        return None
    periods: list[Figure] = []
    for t in times:
        if any((p.low, p.high, p.value) == (t.low, t.high, t.value) for p in periods):
            break  # "2021 2020 Change 2021 2020 Change": the next block repeats the periods
        periods.append(t)
    return periods


def _group_period(line: str) -> Figure | None:
    figures = parse_figures(line)
    if len(figures) == 1 and figures[0].kind in TIME_KINDS and line.strip() == figures[0].text:
        return figures[0]
    return None


def read_row(text: str, start: int, end: int, limit: int = 0) -> list[TableFigure]:
    """The cells of the table row `text[start:end]` (one line), read with their table.

    The header, group period and scale are searched above the row, never before `limit`
    (the page start). Figures' offsets are into `text`. Empty if the line is not a row.
    """
    line = text[start:end]
    found = row_cells(line)
    if found is None:
        return []
    label_end, cells = found
    label = line[:label_end].strip()
    above = _lines(text, max(limit, text.rfind("\n", limit, start) + 1 - 6000), start)
    above = [s for s in above if s[0] >= limit][-HEADER_LOOKBACK:]
    if not label and above:
        a, b = above[-1]
        label = text[a:b].strip()  # the label wrapped onto the line above its values
    periods: list[Figure] | None = None
    group: Figure | None = None
    header_at = len(above)
    for k in range(len(above) - 1, -1, -1):
        a, b = above[k]
        candidate = text[a:b]
        if group is None and periods is None:
            group = _group_period(candidate)
        periods = _header_periods(candidate)
        if periods:
            header_at = k
            break
    if not periods and group is None and len(cells) < 2:
        return []
    own = parse_figures(label) if label else []
    row_period = own[0] if len(own) == 1 and own[0].kind in TIME_KINDS else None
    top = _scale_top(text, above, header_at)
    header_lines = [text[a:b] for a, b in above[top : header_at + 1]]
    # A scale is often stated under the periods ("2018 2017", then "(In thousands)"): the lines
    # without figures between the header and the row are searched for it too.
    below_header = [text[a:b] for a, b in above[header_at + 1 :] if not parse_figures(text[a:b])]
    if not periods:  # no header of periods: the table's words are the lines above without figures
        header_lines = [text[a:b] for a, b in above if not parse_figures(text[a:b])][
            -SCALE_LOOKBACK:
        ]
    region = [text[a:b] for a, b in above[top:]] + [line]
    scale, currency, per_share_exempt = _stated_scale([label])  # "Network volumes (Billions)"
    if not scale:
        scale, currency, per_share_exempt = _stated_scale(
            header_lines + below_header if periods else header_lines or region[-SCALE_LOOKBACK:]
        )
    if currency is None and any(sym in r for r in region for sym in CURRENCY_SYMBOLS):
        currency = next(CURRENCY_SYMBOLS[s] for r in region for s in CURRENCY_SYMBOLS if s in r)
    per_share = per_share_exempt and any(p in label.lower() for p in PER_SHARE)
    aligned = periods is not None and len(periods) == len(cells)
    # "2015 2014 2013 | 2015 vs. 2014 2014 vs. 2013": the values by period, then the changes
    # in percent. The values align with the periods; the changes have none of their own.
    changes = _change_columns(cells, periods)
    out = []
    for i, cell in enumerate(cells):
        if cell is None:
            continue
        aligned_cell = aligned or (changes and i < len(periods or []))
        period = row_period or (periods[i] if aligned_cell and periods else None) or group
        fig = replace(cell, start=start + cell.start, end=start + cell.end)
        applied = 1.0
        if scale and fig.unit != "%" and fig.kind in ("count", "currency") and not per_share:
            applied = scale
            fig = replace(fig, value=fig.value * scale, precision=fig.precision * scale)
            if fig.kind == "count" and currency:
                fig = replace(fig, kind="currency", unit=currency)
        out.append(
            TableFigure(
                figure=fig,
                label=label,
                period=period,
                aligned=aligned_cell
                or row_period is not None
                or (periods is None and group is not None),
                header="\n".join(header_lines),
                scale=applied,
            )
        )
    return out


def _change_columns(cells: list[Figure | None], periods: list[Figure] | None) -> bool:
    """Whether a row is one value per period followed only by percentage changes."""
    if not periods or len(cells) <= len(periods):
        return False
    values, changes = cells[: len(periods)], cells[len(periods) :]
    return all(c is None or c.unit != "%" for c in values) and all(
        c is not None and c.unit == "%" for c in changes
    )


def _scale_top(text: str, above: list[tuple[int, int]], header_at: int) -> int:
    """Where the search for a table's stated scale starts: `SCALE_LOOKBACK` lines above its
    header, not counting blank lines and the one- or two-word pieces of a column header that
    the PDF broke over lines ("Year", "Ended", "December", "31,")."""
    counted, k = 0, header_at
    while k > 0 and counted < SCALE_LOOKBACK:
        k -= 1
        a, b = above[k]
        if len(text[a:b].split()) > 2:
            counted += 1
    return k


def _stated_scale(lines: list[str]) -> tuple[float, str | None, bool]:
    """(scale, currency, per-share rows exempt) stated in a table's header lines."""
    for line in reversed(lines):
        m = _SCALE_RE.search(line)
        if m is None:
            continue
        scale = TABLE_SCALES[re.sub(r"\s+", " ", m.group("scale").lower())]
        phrase = line[max(0, m.start() - 20) : m.end()].lower()
        currency = next((CURRENCY_SYMBOLS[s] for s in CURRENCY_SYMBOLS if s in phrase), None)
        if currency is None:
            words = letter_words(phrase)
            currency = next((CURRENCY_WORDS[w] for w in words if w in CURRENCY_WORDS), None)
        exempt = any(w in m.group("rest").lower() for w in TABLE_EXCEPT)
        return scale, currency, exempt
    return 0.0, None, False
