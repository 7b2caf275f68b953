"""Spanish words for figures: number words, scales, currencies, units, qualifiers, time words.

Only data lives here; `bot.figures.vocabulary` merges the languages. The Spanish "billón" is a
million millions (10^12) and "mil millones" is 10^9.
"""

from __future__ import annotations

UNITS = {
    "cero": 0, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14,
    "quince": 15, "dieciséis": 16, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18,
    "diecinueve": 19, "veintiuno": 21, "veintiún": 21, "veintidós": 22, "veintidos": 22,
    "veintitrés": 23, "veintitres": 23, "veinticuatro": 24, "veinticinco": 25,
    "veintiséis": 26, "veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
}  # fmt: skip
TENS = {
    "veinte": 20, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60,
    "setenta": 70, "ochenta": 80, "noventa": 90,
}  # fmt: skip
HUNDREDS = {
    "cien": 100, "ciento": 100, "doscientos": 200, "doscientas": 200, "trescientos": 300,
    "trescientas": 300, "cuatrocientos": 400, "cuatrocientas": 400, "quinientos": 500,
    "quinientas": 500, "seiscientos": 600, "seiscientas": 600, "setecientos": 700,
    "setecientas": 700, "ochocientos": 800, "ochocientas": 800, "novecientos": 900,
    "novecientas": 900,
}  # fmt: skip
HUNDRED_WORDS: dict[str, float] = {}
THOUSAND_WORDS = {"mil": 1e3}
THOUSAND_ALONE = {"mil"}  # a thousand word that is a number on its own ("mil millones")
BIG_WORDS = {
    "millón": 1e6, "millon": 1e6, "millones": 1e6, "millardo": 1e9, "millardos": 1e9,
    "billón": 1e12, "billon": 1e12, "billones": 1e12,
}  # fmt: skip
HALF_WORDS = {"medio": 0.5, "media": 0.5}
ARTICLES = {"un", "una"}
AND_WORDS = {"y"}  # "treinta y cinco"

SCALE_ABBR = {"mm": (1e6, True)}  # "USD 500 MM"
SCALE_CUES = {
    "mil", "millón", "millon", "millones", "millardo", "millardos", "billón", "billon",
    "billones", "mm", "dólares", "dolares", "por",
}  # fmt: skip

CURRENCY_WORDS = {
    "dólares": "USD", "dolares": "USD", "dólar": "USD", "pesos": "ARS", "peso": "ARS",
    "euros": "EUR", "euro": "EUR", "reais": "BRL",
}  # fmt: skip
CURRENCY_COUNTRY: set[str] = set()
CURRENCY_LINK = {"de"}  # "500 millones de dólares"

DURATIONS = {
    "segundo": "second", "segundos": "second", "minuto": "minute", "minutos": "minute",
    "hora": "hour", "horas": "hour", "día": "day", "días": "day", "dia": "day", "dias": "day",
    "semana": "week", "semanas": "week", "mes": "month", "meses": "month", "año": "year",
    "años": "year", "década": "decade", "décadas": "decade",
}  # fmt: skip
DURING_WORDS: set[str] = set()

MULTIPLIER_WORDS = {
    "doble": 2, "duplicar": 2, "duplicó": 2, "duplica": 2, "duplican": 2, "duplicaron": 2,
    "duplicado": 2, "triplicar": 3, "triplicó": 3, "triplica": 3, "triplican": 3,
    "triplicaron": 3, "triplicado": 3, "cuadruplicar": 4, "cuadruplicó": 4,
}  # fmt: skip
NOT_MULTIPLIER_AFTER: set[str] = set()
TIMES_WORDS = {"veces"}

PERCENT_PHRASES = (("por", "ciento"), ("porciento",))
PP_PHRASES = (("puntos", "porcentuales"), ("punto", "porcentual"))
BP_PHRASES = (("puntos", "básicos"), ("puntos", "basicos"))

LOWER = (
    "más de", "mas de", "al menos", "por lo menos", "como mínimo", "superior a",
    "superiores a", "arriba de",
)  # fmt: skip
UPPER = ("hasta", "menos de", "como máximo", "inferior a", "inferiores a", "por debajo de")
APPROX = (
    "alrededor de", "aproximadamente", "aprox", "aprox .", "cerca de", "casi", "unos", "unas",
    "en torno a", "del orden de",
)  # fmt: skip
LOWER_POSTFIX = (("o", "más"), ("o", "mas"), ("y", "más"))
UPPER_POSTFIX = (("o", "menos"),)

RANGE_BETWEEN = {"entre": "y"}
RANGE_FROM = {"de", "desde"}
RANGE_TO = {"a", "al", "hasta"}

YEAR_LOWER = {"desde", "después"}
YEAR_UPPER = {"antes", "hasta"}
MONTHS = {
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
    "diciembre": 12,
}  # fmt: skip
MONTH_NAMES: list[str] = []
LOWERCASE_MONTH_IS_WORD: set[str] = set()
ORDINALS = {
    "primer": 1, "primero": 1, "segundo": 2, "tercer": 3, "tercero": 3, "cuarto": 4,
}  # fmt: skip
QUARTER_WORDS = ("trimestre",)
HALF_YEAR_WORDS = ("semestre",)
OF_WORDS = ("de", "del")
YEAR_NOUNS = ("año",)  # "segundo trimestre del año 2025"
FISCAL_WORDS: tuple[str, ...] = ()
PERIOD_TO = ("a", "al", "y", "hasta")
DATE_LINK = ("de",)

REFERENCE_WORDS = {
    "nota", "notas", "página", "páginas", "artículo", "capítulo", "sección", "anexo",
    "cuadro", "tabla", "figura", "inciso", "nivel", "fase",
}  # fmt: skip

TABLE_SCALES = {"miles": 1e3, "millones": 1e6, "miles de millones": 1e9}
TABLE_SCALE_INTRO = ("en",)  # "(en miles de pesos)"
TABLE_EXCEPT = ("excepto", "salvo")
PER_SHARE = ("por acción", "por acciones")

# Words that frame a figure in a claim rather than say what it measures
FRAME_WORDS = {"más", "menos", "cerca", "alrededor", "aproximadamente", "unos", "unas", "millones", "millón", "mil", "miles", "dólares", "pesos", "total", "alcanzó", "alcanzaron", "alcanza", "llegó", "llegaron", "cifra", "según", "informe", "año", "años", "trimestre", "trimestres", "mes", "meses", "fin", "primer", "segundo", "tercer", "cuarto", "semestre", "período", "periodo", "pasado", "anterior", "próximo"}  # fmt: skip

CUES = {
    "de", "la", "el", "los", "las", "que", "y", "en", "del", "por", "con", "para", "una",
    "millones", "mil", "según", "más", "se", "su", "fue", "es",
}  # fmt: skip

# Nouns that make the figure before them a change, not a level ("un aumento de 300 millones")
CHANGE_NOUNS = {"aumento", "incremento", "disminución", "caída", "suba", "baja", "crecimiento", "reducción", "variación", "alza"}  # fmt: skip
