from pathlib import Path

from bot.cleaning import clean_pages, is_header_row, is_row, is_table, stated_unit, table_header

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


# --- paginated layouts: running headers, page numbers, tables ----------------------------------


TOPICS = ["sales", "costs", "staff", "offices", "exports", "research", "debt", "taxes"]


def _report_pages(n: int = 6) -> list[str]:
    return [
        f"Acme Corp 2018 Annual Report\n"
        f"Body text of page {i} describes the {TOPICS[i % 8]} of the year in some detail.\n"
        f"Revenue grew in every region and the {TOPICS[(i + 3) % 8]} rose by {i} percent.\n"
        f"{i}"
        for i in range(1, n + 1)
    ]


def test_running_headers_and_page_numbers_go():
    clean = clean_pages(_report_pages(), reflow=True)
    assert "Acme Corp 2018 Annual Report" not in clean.text
    for page in clean.text.split("\n\n"):
        assert not page.strip().isdigit()
    assert clean.text.count("Revenue grew in every region") == 6
    assert len(clean.page_starts) == 6


def test_a_line_seen_on_few_pages_is_not_a_running_header():
    pages = _report_pages(12)
    pages[0] = "Chairman's letter\n" + pages[0]
    pages[1] = "Chairman's letter\n" + pages[1]
    assert "Chairman's letter" in clean_pages(pages, reflow=True).text


def test_column_headers_opening_every_page_are_kept():
    pages = [
        f"(Millions) 2018 2017 2016\nNet sales {n},000 {n},100 {n},200\nOther — net {n} (6) (4)"
        for n in range(1, 8)
    ]
    text = clean_pages(pages, reflow=True).text
    assert text.count("(Millions) 2018 2017 2016") == 7


def test_table_rows_stay_one_a_line_with_caption_and_wrapped_labels():
    page = (
        "The table below shows the cash flows of the company for the last three years, as\n"
        "reported in the consolidated statements.\n"
        "Consolidated Statement of Cash Flows\n"
        "Years ended December 31\n"
        "(Millions) 2018 2017 2016\n"
        "Cash Flows from Investing Activities\n"
        "Purchases of property, plant and equipment (PP&E) (1,577) (1,373) (1,420)\n"
        "Proceeds from sale of businesses, net of cash sold\n"
        "846 1,065 142\n"
        "Adjustments to reconcile net income to net cash\n"
        "provided by operating activities\n"
        "Other — net 9 (6) (4)\n"
        "The accompanying notes are an integral part of this statement and should be read with it."
    )
    paragraphs = clean_pages([page], reflow=True).text.split("\n\n")
    assert paragraphs[0].startswith("The table below shows") and "\n" not in paragraphs[0]
    table = paragraphs[1].split("\n")
    assert table == [
        "Consolidated Statement of Cash Flows",
        "Years ended December 31",
        "(Millions) 2018 2017 2016",
        "Cash Flows from Investing Activities",
        "Purchases of property, plant and equipment (PP&E) (1,577) (1,373) (1,420)",
        "Proceeds from sale of businesses, net of cash sold 846 1,065 142",
        "Adjustments to reconcile net income to net cash provided by operating activities",
        "Other — net 9 (6) (4)",
    ]
    assert is_table(paragraphs[1])
    assert table_header(paragraphs[1]) == "\n".join(table[:3])
    assert stated_unit(table_header(paragraphs[1])) == "millions"
    assert paragraphs[2].startswith("The accompanying notes")


def test_a_second_header_row_after_data_starts_a_second_table():
    page = (
        "2018 2017\nSales 10 20\nCosts (5) (8)\nProfit 5 12\n"
        "Segment results\n2018 2017\nIndustrial 4 9\nConsumer 1 3"
    )
    paragraphs = clean_pages([page], reflow=True).text.split("\n\n")
    assert len(paragraphs) == 2
    assert paragraphs[1].startswith("Segment results\n2018 2017")


def test_rows_of_html_or_docx_tables_stay_one_block():
    page = "Intro line.\nRegion | 2023 | 2024\nNorth | 1.5 | 2.0\nSouth | 3.1 | 3.3\nOutro line."
    assert clean_pages([page]).text.split("\n\n") == [
        "Intro line.",
        "Region | 2023 | 2024\nNorth | 1.5 | 2.0\nSouth | 3.1 | 3.3",
        "Outro line.",
    ]


def test_prose_ending_in_a_number_is_not_a_row():
    assert not is_row("The company had approximately 93,000 employees at the end of fiscal 2018")
    assert is_row("Total 1,234")
    assert is_header_row("December 31, 2018 December 31, 2017")
    assert not is_header_row("Net sales 1,234 5,678")
