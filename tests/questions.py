"""Questions about the two reports, with where the answer is, for tests and calibration.

Each answerable question names the document and the phrase (or phrases, separated by "|")
of which the first passage must contain one, compared case-insensitively.
They cover every figure and every named person and organisation in the two reports, in
English and (marked `es`) Spanish. The unanswerable ones are about things the reports do not
say, several of them close to the reports' topics.
"""

ARG = "argencon-mission-to-the-united-states"
TEC = "techloy-argentina-wants-to-be-an-ai-hub"

ANSWERABLE: list[tuple[str, str, str]] = [
    # Techloy: figures
    ("How many GPUs does the Córdoba lab have?", TEC, "20 A100-level GPUs"),
    ("¿Cuántas GPU tiene el laboratorio de Córdoba?", TEC, "20 A100-level GPUs"),  # es
    ("How many GPUs does Brazil's national system run on?", TEC, "about 400"),
    ("How many GPUs does Italy's Leonardo supercomputer have?", TEC, "more than 13,000"),
    ("How many public sector jobs have been eliminated since 2023?", TEC, "52,000"),
    ("How many scientific research positions were cut?", TEC, "4,000 scientific research"),
    ("¿Cuántos empleos públicos se eliminaron desde 2023?", TEC, "52,000"),  # es
    ("What share of Indian scientists who emigrate return?", TEC, "27%"),
    ("How much did African AI startups raise in the second quarter of 2025?", TEC, "$14 million"),
    ("What was global AI investment?", TEC, "$42 billion"),
    ("How much did Salesforce pledge to invest?", TEC, "$500 million"),
    ("How much higher are salaries abroad?", TEC, "ten times higher"),
    # Techloy: people, organisations, claims
    ("What does Javier Milei say about Argentina and AI?", TEC, "AI powerhouse"),
    ("How are Argentina's nuclear projects framed?", TEC, "energy for AI"),
    (
        "What three things does a real AI hub keep within its borders?",
        TEC,
        "talent, compute, and direction",
    ),
    ("Where do the brightest AI graduates go?", TEC, "Europe"),
    ("What ingredients does Argentina have that money cannot buy?", TEC, "mathematics culture"),
    ("What does Argentina not yet have?", TEC, "gravity"),
    ("Which source reported the Córdoba lab's GPU count?", TEC, "Rest of World"),
    ("What did the ArXiv Mobility Study find?", TEC, "27%"),
    # Argencon: figures
    ("What is the export goal for the knowledge sector?", ARG, "30 billion"),
    (
        "How much did knowledge-based services exports reach between July 2024 and June 2025?",
        ARG,
        "9.685 billion",
    ),
    ("What was the year-on-year growth of knowledge-based services exports?", ARG, "20.8%"),
    (
        "How many global service centers are there in Argentina?",
        ARG,
        "more than 50 global service centers",
    ),
    ("How many professionals do global service centers employ?", ARG, "65,000"),
    ("How long did the mission to the United States last?", ARG, "four days"),
    ("¿Cuánto exportaron los servicios basados en conocimiento?", ARG, "9.685 billion"),  # es
    ("¿Cuál es la meta de exportaciones de USD 30 mil millones?", ARG, "30 Billion"),  # es
    # Argencon: people and organisations
    ("Who is the president of Argencon?", ARG, "Sebastián Mocorrea"),
    ("Who is Leandro Mora Alfonsín?", ARG, "Leandro Mora Alfonsín"),
    ("Who is Sofía Vago?", ARG, "Sofía Vago, President of Accenture Argentina"),
    ("Who is the CEO of Baufest?", ARG, "Ángel Pérez Puletti"),
    ("What role does Verónica Asla have?", ARG, "Verónica Asla"),
    ("Who co-founded Globant?", ARG, "Néstor Nocetti"),
    ("Who is the CEO of INVAP?", ARG, "Darío Giussi|INVAP, and Baufest"),
    ("Who is Eduardo Gil Roca?", ARG, "Eduardo Gil Roca"),
    ("Who is Santiago Pordelanne?", ARG, "Santiago Pordelanne"),
    ("Who represented the Ministry of Foreign Affairs?", ARG, "Tomás Villalba"),
    ("What does Carolina Bustos do?", ARG, "Carolina Bustos"),
    ("Who chaired the session at the Center for Global Enterprise?", ARG, "Sam Palmisano"),
    (
        "What happened at the Council of the Americas?",
        ARG,
        "breakfast at the Council of the Americas",
    ),
    ("What was the Argentina Delivers event?", ARG, "Argentina Delivers"),
    (
        "Who attended the dialogue with the National Artificial Intelligence Association?",
        ARG,
        "Oxenford",
    ),
    ("Who from OpenAI attended?", ARG, "Felipe Millon"),
    (
        "Which institutions in Washington did the delegation meet?",
        ARG,
        "Inter-American Development Bank|Argentine Embassy",
    ),
    ("What was discussed at Georgetown University?", ARG, "Georgetown"),
    (
        "Which companies were in the delegation?",
        ARG,
        "Accenture, Globant, PwC, EY, INVAP, and Baufest",
    ),
    ("What are the three strategic pillars of the mission?", ARG, "Three Strategic Pillars"),
    ("What does the Argenconomics report say?", ARG, "Argenconomics"),
    (
        "Where does the knowledge sector rank as a source of foreign currency?",
        ARG,
        "third-largest source of foreign currency",
    ),
    ("¿Quién es el presidente de Argencon?", ARG, "Mocorrea"),  # es
    ("¿Qué dijo Mocorrea sobre Estados Unidos?", ARG, "Mocorrea"),  # es
]

UNANSWERABLE: list[str] = [
    "What is Argentina's inflation rate?",
    "What is the capital of France?",
    "Who won the 2022 World Cup?",
    "How much did Google invest in Argentina?",
    "When was Argencon founded?",
    "What is the price of bitcoin today?",
    "How many employees does Salesforce have worldwide?",
    "What is the GDP of Chile?",
    "¿Cuál es la tasa de inflación en Argentina?",  # es
    "Which football club does Lionel Messi play for?",
    "What is the recipe for empanadas?",
    "How many satellites has INVAP launched?",
]


def first_passage_matches(answer, doc_id: str, phrases: str) -> bool:
    """Whether an Answer's first passage is from `doc_id` and contains one of `phrases`."""
    if answer.status != "found":
        return False
    first = answer.passages[0]
    quote = first.quote.casefold()
    return first.doc_id == doc_id and any(p.casefold() in quote for p in phrases.split("|"))


# Of the unanswerable questions, those about nothing the reports touch; the others are close
# to their topics (Argentina's economy, the organisations named).
OFF_TOPIC = frozenset(
    [
        "What is the capital of France?",
        "Who won the 2022 World Cup?",
        "What is the price of bitcoin today?",
        "What is the GDP of Chile?",
        "Which football club does Lionel Messi play for?",
        "What is the recipe for empanadas?",
    ]
)


def write_question_set(out_dir, corpus_dir=None) -> None:
    """These questions in the layout `reportbot eval` reads (corpus/ + questions.jsonl).

    python -m tests.questions /tmp/seed-questions && reportbot eval /tmp/seed-questions
    """
    import json
    import shutil
    from pathlib import Path

    out = Path(out_dir)
    corpus = Path(corpus_dir) if corpus_dir else Path(__file__).resolve().parent.parent / "corpus"
    if (out / "corpus").exists():
        shutil.rmtree(out / "corpus")
    shutil.copytree(corpus, out / "corpus")
    lines = []
    for n, (question, _doc, phrases) in enumerate(ANSWERABLE):
        lang = "es" if question.startswith("¿") else "en"
        record = {"question": question, "kind": "answerable", "lang": lang}
        lines.append({"id": f"a{n}", **record, "answers": phrases.split("|")})
    for n, question in enumerate(UNANSWERABLE):
        kind = "off_corpus" if question in OFF_TOPIC else "near_topic"
        lang = "es" if question.startswith("¿") else "en"
        lines.append({"id": f"u{n}", "question": question, "kind": kind, "lang": lang})
    text = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n"
    (out / "questions.jsonl").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    import sys

    write_question_set(sys.argv[1] if len(sys.argv) > 1 else "seed-questions")
