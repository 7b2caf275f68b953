"""English words for figures: number words, scales, currencies, units, qualifiers, time words.

Only data lives here; `bot.figures.vocabulary` merges the languages and the scanner reads the
merged tables. Keys are lower case, as the scanner compares them.
"""

from __future__ import annotations

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
HUNDREDS: dict[str, int] = {}  # words that are a whole hundreds value ("cuatrocientos")
HUNDRED_WORDS = {"hundred": 100.0, "hundreds": 100.0, "dozen": 12.0}  # multiply what precedes
THOUSAND_WORDS = {"thousand": 1e3}
THOUSAND_ALONE: set[str] = set()
BIG_WORDS = {
    "million": 1e6, "millions": 1e6, "billion": 1e9, "billions": 1e9, "trillion": 1e12,
    "trillions": 1e12,
}  # fmt: skip
HALF_WORDS = {"half": 0.5}
ARTICLES = {"a", "an"}
AND_WORDS = {"and"}  # "four hundred and twenty", "one and a half"

# Scale abbreviations: (multiplier, may be separated from the number by a space)
SCALE_ABBR = {
    "k": (1e3, False), "m": (1e6, False), "b": (1e9, False), "bn": (1e9, True),
    "mn": (1e6, True), "mln": (1e6, True), "tn": (1e12, True), "trn": (1e12, True),
    "bln": (1e9, True),
}  # fmt: skip
# Words right after a numeral that show it is written the English way ("9.685 billion")
SCALE_CUES = {"thousand", "million", "billion", "trillion", "bn", "mn", "k"}

CURRENCY_WORDS = {"dollars": "USD", "dollar": "USD", "euros": "EUR", "euro": "EUR"}
CURRENCY_COUNTRY = {"us", "u.s"}  # "500 US dollars"
CURRENCY_LINK: set[str] = set()  # "500 millones de dólares"

DURATIONS = {
    "second": "second", "seconds": "second", "sec": "second", "secs": "second",
    "minute": "minute", "minutes": "minute", "min": "minute", "mins": "minute",
    "hour": "hour", "hours": "hour", "hr": "hour", "hrs": "hour", "day": "day", "days": "day",
    "week": "week", "weeks": "week", "month": "month", "months": "month", "year": "year",
    "years": "year", "yr": "year", "yrs": "year", "decade": "decade", "decades": "decade",
}  # fmt: skip
DURING_WORDS = {"over"}  # "over four days" is a duration, not a bound

MULTIPLIER_WORDS = {
    "double": 2, "doubled": 2, "doubles": 2, "doubling": 2, "twice": 2, "triple": 3,
    "tripled": 3, "triples": 3, "tripling": 3, "treble": 3, "trebled": 3, "quadruple": 4,
    "quadrupled": 4, "quadrupling": 4, "twofold": 2, "threefold": 3, "fourfold": 4,
    "fivefold": 5, "tenfold": 10, "hundredfold": 100, "halve": 0.5, "halved": 0.5,
    "halving": 0.5,
}  # fmt: skip
NOT_MULTIPLIER_AFTER = {"digit", "digits", "check", "edged"}  # "double-digit growth"
TIMES_WORDS = {"times", "fold"}

PERCENT_PHRASES = (("per", "cent"), ("percent",), ("pct",))
PP_PHRASES = (
    ("percentage", "points"), ("percentage", "point"), ("pp",), ("ppt",), ("ppts",),
    ("p", ".", "p", "."),
)  # fmt: skip
BP_PHRASES = (("basis", "points"), ("basis", "point"), ("bps",), ("bp",))

LOWER = (
    "more than", "over", "at least", "above", "exceeding", "in excess of", "upwards of",
    "no less than", "no fewer than", "greater than", "higher than", "just over",
)  # fmt: skip
UPPER = (
    "up to", "less than", "fewer than", "under", "below", "at most", "no more than",
    "not more than", "within", "just under",
)  # fmt: skip
APPROX = (
    "about", "around", "approximately", "approx", "approx .", "roughly", "nearly", "almost",
    "close to", "some", "circa", "ca .", "an estimated", "estimated",
)  # fmt: skip
LOWER_POSTFIX = (
    ("or", "more"),
    ("or", "above"),
    ("or", "higher"),
    ("and", "above"),
    ("or", "over"),
)
UPPER_POSTFIX = (("or", "less"), ("or", "fewer"), ("or", "below"), ("or", "under"))

# Ranges: "between 10 and 12", "10 to 12"; "from 10 to 20" is a change (two figures), except years
RANGE_BETWEEN = {"between": "and"}
RANGE_FROM = {"from"}
RANGE_TO = {"to", "through"}

# Time
YEAR_LOWER = {"since", "after", "from"}
YEAR_UPPER = {"until", "till", "by", "before", "through"}
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip
LOWERCASE_MONTH_IS_WORD = {"may", "mar"}  # "may 2025" is more likely a verb than a month
ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
}  # fmt: skip
QUARTER_WORDS = ("quarter",)
HALF_YEAR_WORDS = ("half",)
OF_WORDS = ("of",)  # "the second quarter of 2025"
YEAR_NOUNS: tuple[str, ...] = ()
FISCAL_WORDS = ("fiscal",)
PERIOD_TO = ("to", "and", "through", "until", "till")  # "July 2024 to June 2025"
DATE_LINK: tuple[str, ...] = ()  # "1 de julio de 2025"

# Words a number after them refers to rather than counts ("Note 3", "Item 7", "page 12")
REFERENCE_WORDS = {
    "note", "notes", "item", "items", "page", "pages", "part", "section", "exhibit",
    "schedule", "chapter", "article", "rule", "form", "level", "tier", "phase", "step",
    "figure", "table",
}  # fmt: skip

# Tables: the scale a table states for its figures ("(in millions)", "(Millions)")
TABLE_SCALES = {
    "thousands": 1e3, "thousand": 1e3, "millions": 1e6, "million": 1e6, "billions": 1e9,
    "billion": 1e9,
}  # fmt: skip
TABLE_SCALE_INTRO = ("in",)  # "(dollars in millions)"
TABLE_EXCEPT = ("except",)  # "(in millions, except per share amounts)"
PER_SHARE = ("per share", "per common share", "earnings per", "per unit")

# Words that frame a figure in a claim rather than say what it measures (the fact-checker
# leaves them out of a figure's subject)
FRAME_WORDS = set(
    [
        "than",
        "more",
        "over",
        "least",
        "about",
        "roughly",
        "nearly",
        "around",
        "some",
        "up",
        "per",
        "cent",
        "percent",
        "times",
        "fold",
        "million",
        "billion",
        "thousand",
        "trillion",
        "bn",
        "mn",
        "usd",
        "dollars",
        "pesos",
        "since",
        "said",
        "says",
        "say",
        "claim",
        "report",
        "reports",
        "according",
        "also",
        "only",
        "just",
        "total",
        "totalled",
        "totaled",
        "reached",
        "reach",
        "hit",
        "stood",
        "amount",
        "amounted",
        "figure",
        "number",
        "end",
        "year",
        "years",
        "fiscal",
        "quarter",
        "quarters",
        "month",
        "months",
        "first",
        "second",
        "third",
        "fourth",
        "half",
        "period",
        "ended",
        "ending",
        "last",
        "next",
        "previous",
        "prior",
        "ago",
    ]
)

# Common words that tell the text's language
CUES = {
    "the", "of", "and", "to", "in", "is", "for", "that", "with", "by", "was", "are", "million",
    "billion", "than", "from", "this", "its",
}  # fmt: skip

# Nouns that make the figure before them a change, not a level ("a $311.5 million increase")
CHANGE_NOUNS = {"increase", "decrease", "rise", "decline", "drop", "fall", "growth", "reduction", "change", "jump"}  # fmt: skip
