"""The bot's own words, per language, as data: English, and Spanish for Spanish speakers.

Only the bot's words are here (help, buttons, refusals, errors, labels). Quotes from the reports
are never translated: they stay verbatim in the report's language. Templates are Telegram HTML;
values are filled in with `str.format` and must already be escaped by the caller (`render.esc`
or `render.fit`). A key missing from a language falls back to English, and a test checks that
every language has every key with the same placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT = "en"

EN: dict[str, str] = {
    # asking
    "ask_usage": "Send me a question, for example: <code>/ask What are the main findings?</code>",
    "check_usage": (
        "Send me a claim to check, for example: "
        "<code>/check The sector exports USD 30 billion</code>"
    ),
    "too_long": "That question is {length} characters long; please keep it under {limit}.",
    "not_words": "Please send a question in words, e.g. “How many GPUs does the lab have?”",
    "rate_limited": "You are asking faster than I can quote. Please try again in {wait} s.",
    "private_bot": "Sorry, this bot is private.",
    "sorry": "Sorry, something went wrong on my side. Please try again in a moment.",
    "not_admin": "Sorry, only the bot's admins can change what it knows.",
    "question_expired": "That question has expired; please ask again.",
    "feedback_thanks": "Thanks for the feedback!",
    "feedback_expired": "That question has expired.",
    # answers
    "answer_header": "From the reports (passage {span}):",
    "not_covered": (
        "The reports I have do not cover <i>{question}</i>.\n"
        "Send /sources to see what they are about."
    ),
    "not_covered_in_doc": (
        "<i>{title}</i> does not seem to cover <i>{question}</i>.\n"
        "Ask without naming the report to search all of them."
    ),
    "closest_topics": "Closest topics:",
    "no_more": "No more passages for that question.",
    "button_context": "📖 Context {n}",
    "button_source": "📄 Source {n}",
    "button_more": "More ▸",
    "button_search_doc": "🔍 Search in this report",
    "search_doc_prompt": (
        "Reply to this message with your question about <i>{title}</i>, "
        "or send <code>/ask {doc_id} question</code>."
    ),
    "ask_doc_usage": "Send <code>/ask {doc_id} question</code> to search only that report.",
    # documents
    "untitled": "Untitled document",
    "context": "Context",
    "publisher": "Publisher",
    "author": "Author",
    "date": "Date",
    "format": "Format",
    "passages": "Passages",
    "id": "Id",
    "link": "link",
    "n_documents": "{n} documents",
    "n_passages": "{n} passages",
    "no_documents": "No documents are indexed yet.",
    # help
    "help_title": "<b>Ask me about the reports</b>",
    "help_knows_one": (
        "I answer questions about 1 report by quoting it word for word, "
        "with a citation for every quote."
    ),
    "help_knows_many": (
        "I answer questions about {n} reports by quoting them word for word, "
        "with a citation for every quote."
    ),
    "help_knows_none": "No reports are indexed yet, so I cannot answer questions for now.",
    "help_how": (
        "Send a question as a message, or use /ask QUESTION (in groups: /ask, mention me, "
        "or reply to one of my messages). To ask one report only: /ask DOC_ID QUESTION "
        "(ids are in /sources), or 🔍 under a source."
    ),
    "help_try": "<b>Try</b>",
    "help_example": "What does “{title}” say?",
    "help_inline": "In any chat, type <code>@{username} question</code>.",
    "help_footer": "/sources lists the documents · /check CLAIM checks a claim",
    "help_admin": (
        "<b>Admin</b>: send a PDF, HTML, TXT, MD or DOCX file to index it (a caption sets "
        "the title) · /add URL · /remove DOC · /reindex · /stats"
    ),
    # fact checks
    "verdict_supported": "✅ Supported",
    "verdict_contradicted": "❌ Contradicted",
    "verdict_not_found": "❔ Not in the reports",
    "claim": "Claim",
    "report": "report",
    "same": "✅ same",
    "differs": "❌ differs",
    "not_comparable": "not comparable",
    "other_period": "🕒 another period",
    # errors users can meet (English shows the error's own sentence, which is more specific)
    "error_IndexMissing": "No reports are indexed yet: an admin can build the index.",
    "error_IndexCorrupt": "The index is damaged: an admin needs to rebuild it.",
    "error_IndexMismatch": "The index was built with other settings: an admin needs to rebuild it.",
    "error_DocumentNotFound": "No passage or document by that id: it is no longer indexed.",
    "error_IndexLocked": "An update of the index is already running; please try again soon.",
}

ES: dict[str, str] = {
    "ask_usage": (
        "Envíame una pregunta, por ejemplo: "
        "<code>/ask ¿Cuáles son las conclusiones principales?</code>"
    ),
    "check_usage": (
        "Envíame una afirmación para verificar, por ejemplo: "
        "<code>/check El sector exporta 30.000 millones de dólares</code>"
    ),
    "too_long": (
        "Esa pregunta tiene {length} caracteres; el máximo es {limit}. "
        "Pregunta por una cosa cada vez."
    ),
    "not_words": "Envíame una pregunta con palabras, p. ej. «¿Cuántas GPU tiene el laboratorio?»",
    "rate_limited": "Preguntas más rápido de lo que puedo citar. Vuelve a intentarlo en {wait} s.",
    "private_bot": "Lo siento, este bot es privado.",
    "sorry": "Lo siento, algo ha fallado por mi parte. Vuelve a intentarlo en un momento.",
    "not_admin": "Lo siento, solo los administradores del bot pueden cambiar lo que sabe.",
    "question_expired": "Esa pregunta ha caducado; vuelve a preguntar.",
    "feedback_thanks": "¡Gracias por tu opinión!",
    "feedback_expired": "Esa pregunta ha caducado.",
    "answer_header": "De los informes (fragmento {span}):",
    "not_covered": (
        "Los informes que tengo no parecen tratar <i>{question}</i>.\n"
        "Envía /sources para ver de qué tratan."
    ),
    "not_covered_in_doc": (
        "<i>{title}</i> no parece tratar <i>{question}</i>.\n"
        "Pregunta sin nombrar el informe para buscar en todos."
    ),
    "closest_topics": "Temas más cercanos:",
    "no_more": "No hay más fragmentos para esa pregunta.",
    "button_context": "📖 Contexto {n}",
    "button_source": "📄 Fuente {n}",
    "button_more": "Más ▸",
    "button_search_doc": "🔍 Buscar en este informe",
    "search_doc_prompt": (
        "Responde a este mensaje con tu pregunta sobre <i>{title}</i>, "
        "o envía <code>/ask {doc_id} pregunta</code>."
    ),
    "ask_doc_usage": "Envía <code>/ask {doc_id} pregunta</code> para buscar solo en ese informe.",
    "untitled": "Documento sin título",
    "context": "Contexto",
    "publisher": "Editor",
    "author": "Autor",
    "date": "Fecha",
    "format": "Formato",
    "passages": "Fragmentos",
    "id": "Id",
    "link": "enlace",
    "n_documents": "{n} documentos",
    "n_passages": "{n} fragmentos",
    "no_documents": "Todavía no hay documentos indexados.",
    "help_title": "<b>Pregúntame sobre los informes</b>",
    "help_knows_one": (
        "Respondo preguntas sobre 1 informe citándolo palabra por palabra, "
        "con la referencia de cada cita."
    ),
    "help_knows_many": (
        "Respondo preguntas sobre {n} informes citándolos palabra por palabra, "
        "con la referencia de cada cita."
    ),
    "help_knows_none": "Todavía no hay informes indexados, así que por ahora no puedo responder.",
    "help_how": (
        "Envía una pregunta como mensaje, o usa /ask PREGUNTA (en grupos: /ask, mencióname "
        "o responde a uno de mis mensajes). Para preguntar a un solo informe: "
        "/ask ID_DOC PREGUNTA (los ids están en /sources), o 🔍 bajo una fuente. "
        "Las citas se muestran tal cual, en el idioma del informe."
    ),
    "help_try": "<b>Prueba</b>",
    "help_example": "¿Qué dice «{title}»?",
    "help_inline": "En cualquier chat, escribe <code>@{username} pregunta</code>.",
    "help_footer": "/sources lista los documentos · /check AFIRMACIÓN verifica una afirmación",
    "help_admin": (
        "<b>Administración</b>: envía un archivo PDF, HTML, TXT, MD o DOCX para indexarlo "
        "(el pie de foto fija el título) · /add URL · /remove DOC · /reindex · /stats"
    ),
    "verdict_supported": "✅ Respaldada",
    "verdict_contradicted": "❌ Contradicha",
    "verdict_not_found": "❔ No está en los informes",
    "claim": "Afirmación",
    "report": "informe",
    "same": "✅ coincide",
    "differs": "❌ no coincide",
    "not_comparable": "no comparable",
    "other_period": "🕒 otro periodo",
    "error_IndexMissing": (
        "Todavía no hay informes indexados: un administrador puede crear el índice."
    ),
    "error_IndexCorrupt": "El índice está dañado: un administrador tiene que reconstruirlo.",
    "error_IndexMismatch": (
        "El índice se creó con otra configuración: un administrador tiene que reconstruirlo."
    ),
    "error_DocumentNotFound": "No hay ningún fragmento o documento con ese id: ya no está indexado.",
    "error_IndexLocked": "Ya se está actualizando el índice; vuelve a intentarlo en un rato.",
}

MESSAGES: Mapping[str, Mapping[str, str]] = {"en": EN, "es": ES}

# Command menus per language (Telegram shows each user the one for their app's language).
COMMANDS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("ask", "Ask a question about the reports"),
        ("sources", "List the indexed documents"),
        ("check", "Check a claim against the reports"),
        ("help", "How to use this bot"),
        ("start", "What this bot knows"),
    ),
    "es": (
        ("ask", "Hacer una pregunta sobre los informes"),
        ("sources", "Ver los documentos indexados"),
        ("check", "Verificar una afirmación con los informes"),
        ("help", "Cómo usar este bot"),
        ("start", "Qué sabe este bot"),
    ),
}
ADMIN_COMMANDS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("add", "Index a document from a URL"),
        ("remove", "Remove a document by id"),
        ("reindex", "Rebuild the index from its sources"),
        ("stats", "Index and usage figures"),
    ),
    "es": (
        ("add", "Indexar un documento desde una URL"),
        ("remove", "Quitar un documento por su id"),
        ("reindex", "Reconstruir el índice desde sus fuentes"),
        ("stats", "Cifras del índice y de uso"),
    ),
}
# The bot's profile texts (setMyDescription / setMyShortDescription), per language.
DESCRIPTION: Mapping[str, str] = {
    "en": (
        "I answer questions about a collection of reports by quoting them word for word, "
        "with a citation for every quote, and check figures in claims against them."
    ),
    "es": (
        "Respondo preguntas sobre una colección de informes citándolos palabra por palabra, "
        "con la referencia de cada cita, y verifico con ellos las cifras de una afirmación."
    ),
}
SHORT_DESCRIPTION: Mapping[str, str] = {
    "en": "Answers about the reports, quoted word for word with citations.",
    "es": "Respuestas sobre los informes, citadas palabra por palabra y con su referencia.",
}


def language(code: str | None) -> str:
    """The bot's language for a Telegram `language_code`: Spanish for "es*", else English."""
    return "es" if (code or "").lower().startswith("es") else DEFAULT


def text(lang: str, key: str, **values: object) -> str:
    """The message `key` in `lang` (English when that language lacks it), filled with `values`."""
    template = MESSAGES.get(lang, EN).get(key) or EN[key]
    return template.format(**values) if values else template


def number(lang: str, n: int) -> str:
    """A whole number with the language's thousands separator: 1,000 / 1.000."""
    grouped = f"{n:,}"
    return grouped.replace(",", ".") if lang == "es" else grouped
