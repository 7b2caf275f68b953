"""Every CLI command through click's runner, on a private index built with the fake embedder."""

import json

import pytest
from click.testing import CliRunner

from bot.cli import cli

TEC = "techloy-argentina-wants-to-be-an-ai-hub"
ARG = "argencon-mission-to-the-united-states"


@pytest.fixture
def run(monkeypatch, corpus_copy):
    monkeypatch.setenv("REPORTBOT_MODEL", "hash")
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    result = invoke("ingest", "--quiet", str(corpus_copy))
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output
    return invoke


def test_ingest_twice_reports_unchanged(run, corpus_copy):
    result = run("ingest", "--json", str(corpus_copy))
    report = json.loads(result.output)
    assert len(report["unchanged"]) == 2 and report["chunks_embedded"] == 0


def test_ask_json_has_the_documented_shape(run):
    result = run(
        "ask", "--json", "-k", "2", "One leading AI lab in Córdoba runs its research cluster"
    )
    data = json.loads(result.output)
    assert data["status"] == "found" and len(data["passages"]) <= 2
    assert "Córdoba" in data["passages"][0]["quote"]


def test_ask_text_marks_the_highlight(run):
    result = run("ask", "One leading AI lab in Córdoba runs its research cluster")
    assert "»" in result.output and "Argentina Wants to Be an AI Hub" in result.output


def test_ask_stdin_gives_one_json_line_per_question(run):
    questions = (
        "Córdoba research cluster GPUs\n\n" + "x" * 5000 + "\nWhat is the recipe for empanadas?\n"
    )
    result = run("ask", "--json", "-", input=questions)
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [d["status"] for d in lines] == ["found", "error", "not_found"]
    assert "characters long" in lines[1]["error"]


def test_empty_question_is_a_one_line_error(run):
    result = CliRunner().invoke(cli, ["ask", "   "])
    assert result.exit_code == 1
    assert "Error: Please send a question" in result.output
    assert "Traceback" not in result.output


def test_show_and_sources(run):
    shown = run("show", TEC)
    assert "publisher:   Techloy" in shown.output and "Photo by" not in shown.output
    listed = json.loads(run("sources", "--json").output)
    assert {d["id"] for d in listed} == {TEC, "argencon-mission-to-the-united-states"}
    assert all(d["chunks"] > 0 for d in listed)


def test_show_unknown_document(run):
    result = CliRunner().invoke(cli, ["show", "nope"])
    assert result.exit_code == 1 and "No document 'nope'" in result.output


def test_verify_and_remove(run):
    assert "ok" in run("verify").output
    assert "1 removed" in run("remove", TEC).output
    data = json.loads(run("verify", "--json").output)
    assert data["ok"] and data["documents"] == 1


def test_chat_reads_until_eof(run):
    result = run("chat", input="Córdoba research cluster GPUs\n/sources\nbananas and empanadas\n")
    assert "»" in result.output
    assert "Argentina Wants to Be an AI Hub (Techloy)" in result.output
    assert "The reports don't seem to cover this." in result.output


def test_run_without_token_opens_the_chat(run):
    result = run("run", input="")
    assert result.exit_code == 0


def test_missing_index_says_how_to_build_one(monkeypatch, tmp_path):
    monkeypatch.setenv("REPORTBOT_MODEL", "hash")
    result = CliRunner().invoke(cli, ["ask", "--index-dir", str(tmp_path / "none"), "hello"])
    assert result.exit_code == 1 and "reportbot ingest" in result.output


def test_ingest_failure_exits_nonzero_with_reason(run, tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf at all")
    result = CliRunner().invoke(cli, ["ingest", "--quiet", str(bad)])
    assert result.exit_code == 1 and "bad.pdf" in result.output


def test_check_json_and_stdin(run):
    data = json.loads(
        run(
            "check", "--json", "More than 52,000 public sector jobs were eliminated since 2023"
        ).output
    )
    assert data["verdict"] == "supported"
    assert data["evidence"] and "52,000" in data["evidence"][0]["quote"]
    lines = run("check", "--json", "-", input="\n\n" + "y" * 5000 + "\n").output.splitlines()
    assert [json.loads(line)["status"] for line in lines] == ["error"]


def test_figures_lists_each_figure_with_its_sentence(run):
    rows = json.loads(run("figures", "--json", "argencon-mission-to-the-united-states").output)
    by_text = {r["text"]: r for r in rows}
    assert "20.8%" in by_text and "year-on-year growth" in by_text["20.8%"]["sentence"]
    result = CliRunner().invoke(cli, ["figures", "no-such-report"])
    assert result.exit_code == 1 and "no-such-report" in result.output


def test_a_date_that_is_not_one_is_a_usage_error(run):
    result = CliRunner().invoke(cli, ["ask", "--since", "2024-13", "Who leads Argencon?"])
    assert result.exit_code == 2
    assert "'2024-13' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD." in result.output


def test_eval_errors_are_one_line_like_the_other_commands(tmp_path):
    result = CliRunner().invoke(cli, ["eval", str(tmp_path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output == (
        f"Error: {tmp_path}/corpus.jsonl is missing: is {tmp_path} a BEIR dataset?\n"
    )


def test_every_json_flag_reads_the_same(run):
    for name, command in cli.commands.items():
        flags = [p for p in command.params if "--json" in getattr(p, "opts", ())]
        if name in ("chat", "run"):
            assert not flags
            continue
        assert len(flags) == 1 and flags[0].name == "as_json", name
        assert flags[0].help.startswith(("Print ", "One JSON object")), name


def test_ask_keeps_to_the_documents_publisher_and_dates_asked_for(run):
    gpus = "How many GPUs does the Córdoba lab have?"  # only the Techloy report answers it

    def docs(question, *options):
        data = json.loads(run("ask", "--json", "-k", "5", *options, question).output)
        return data["status"], {p["doc_id"] for p in data["passages"]}

    assert docs(gpus) == ("found", {TEC})
    assert docs(gpus, "--doc", TEC) == ("found", {TEC})
    assert docs(gpus, "--doc", TEC, "--doc", ARG) == ("found", {TEC})
    assert docs(gpus, "--doc", ARG)[1] <= {ARG}  # never a passage from another report
    assert docs(gpus, "--publisher", "techloy") == ("found", {TEC})  # case does not matter
    assert docs(gpus, "--publisher", "Argencon")[1] <= {ARG}
    assert docs(gpus, "--doc", TEC, "--publisher", "Argencon") == ("not_found", set())
    assert docs(gpus, "--since", "2020") == ("not_found", set())  # the seed reports carry no date


def test_check_takes_the_same_filters(run):
    claim = "More than 52,000 public sector jobs were eliminated since 2023"
    assert json.loads(run("check", "--json", "--doc", TEC, claim).output)["verdict"] == "supported"
    verdict = json.loads(run("check", "--json", "--doc", ARG, claim).output)
    assert verdict["verdict"] == "not_found" and verdict["evidence"] == []
