"""Every command has help text with an example, and the README documents it."""

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_has_help_with_example(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert cli.commands[name].help and "reportbot" in result.output.split("Options:")[0]


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_is_in_readme(name):
    assert f"reportbot {name}" in README


def test_quick_start_is_two_commands():
    assert "make run" in README and "make test" in README


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_option_says_what_it_does(name):
    missing = [
        p.opts[0]
        for p in cli.commands[name].params
        if isinstance(p, click.Option) and not (p.help or "").strip()
    ]
    assert not missing, f"reportbot {name}: options without help text: {missing}"


def test_the_readme_names_no_command_that_does_not_exist():
    named = set(re.findall(r"`reportbot ([a-z]+)", README))
    assert named <= set(cli.commands), named - set(cli.commands)


def test_the_command_table_has_one_row_per_command():
    rows = re.findall(r"^\| `reportbot ([a-z]+)", README, flags=re.MULTILINE)
    assert sorted(rows) == sorted(cli.commands)
