from pathlib import Path

from bot.cleaning import clean_pages

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

# Every boilerplate line of the two reports as received (see ../shared/corpus/README.md).
BOILERPLATE = [
    "SHARE",
    "ARGENCONTV",
    "Subscribe to Our Newsletter",
    "Success! Now Check Your Email",
    "To complete Subscribe, click the confirmation link in your inbox.",
    "Ok, Thanks",
    "Kelechi Edeh profile image",
    "by Kelechi Edeh",
    "Photo by fran innocenti / Unsplash",
    "A person laying on a bed with a laptop",
    "Photo by Matthew Moloney / Unsplash",
    "man siting facing laptop computer",
    "Photo by Daniele D'Andreti / Unsplash",
    "IBM is hiring Indian developers for tech roles in AI, cloud, and open-source",
    "If you’re looking to elevate your career, IBM is hiring",
    "Subscribe to Techloy.com",
    "Get the latest information about companies, products, careers",
    "Read More",
]


def _clean(name: str) -> str:
    return clean_pages([(CORPUS / name).read_text()]).text


def test_no_boilerplate_survives_cleaning():
    text = _clean("techloy-argentina-wants-to-be-an-ai-hub.txt") + _clean(
        "argencon-mission-to-the-united-states.txt"
    )
    for line in BOILERPLATE:
        assert line not in text, line


def test_headings_and_body_are_kept():
    techloy = _clean("techloy-argentina-wants-to-be-an-ai-hub.txt")
    assert techloy.startswith("Argentina Wants to Be an AI Hub\n\nBut what happens")
    assert techloy.count("Argentina Wants to Be an AI Hub") == 1  # the photo's alt text is gone
    assert "The Core Problem Isn’t Ambition. It’s Leakage" in techloy
    assert techloy.endswith("who can retain the builders long enough to realise it.")
    argencon = _clean("argencon-mission-to-the-united-states.txt")
    assert argencon.startswith("Argentina Strengthens Technological")
    assert "• Darío Giussi, CEO and General Manager of INVAP." in argencon
    assert argencon.endswith("through innovation and talent.")


def test_page_starts_locate_each_page():
    clean = clean_pages(["Page one text.", "SHARE", "Page three text."])
    assert clean.page_starts == [0, 16, 18]
    assert clean.text[clean.page_starts[2] :].startswith("Page three")


def test_reflow_joins_wrapped_lines_and_hyphenation():  # blank-line separated
    clean = clean_pages(["A para-\ngraph that wraps\nover lines.\n\nNext one."], reflow=True)
    assert clean.text == "A paragraph that wraps over lines.\n\nNext one."


def test_a_long_paragraph_mentioning_newsletters_is_content():
    para = "The ministry's newsletter " + "reported growth in exports across the sector. " * 8
    assert para.strip() in clean_pages([para]).text


def test_reflow_finds_paragraphs_in_pdf_lines_without_blank_lines():
    page = (
        "Annual Report on Exports\n"
        "Knowledge-based services exports reached a record this year, with growth\n"
        "in every segment of the industry and strong demand from the United States\n"
        "and Europe.\n"
        "The sector employs over 65,000 professionals in more than fifty centres\n"
        "across the country, many of them in Córdoba.\n"
        "• First item of a list.\n"
        "• Second item.\n"
        "Next paragraph starts here and con-\n"
        "tinues on the next line with more words to make it long enough."
    )
    assert clean_pages([page], reflow=True).text.split("\n\n") == [
        "Annual Report on Exports",
        "Knowledge-based services exports reached a record this year, with growth in every "
        "segment of the industry and strong demand from the United States and Europe.",
        "The sector employs over 65,000 professionals in more than fifty centres across the "
        "country, many of them in Córdoba.",
        "• First item of a list.",
        "• Second item.",
        "Next paragraph starts here and continues on the next line with more words to make it "
        "long enough.",
    ]
