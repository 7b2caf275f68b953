"""Every command has help text with an example, and the README documents it."""

from pathlib import Path

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
