"""The README tells the truth: every flask command and every config key is documented."""

from pathlib import Path

import click
import pytest

from surveys.config import DEFAULTS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def command_lines(group, prefix="flask"):
    """Every leaf command as it is typed, e.g. 'flask api-key create'."""
    for name, command in group.commands.items():
        if name in ("run", "shell", "routes"):  # Flask's own
            continue
        typed = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from command_lines(command, typed)
        else:
            yield typed


def test_readme_starts_with_the_two_commands():
    opening = README[:600]
    assert "make run" in opening and "make test" in opening


def test_every_flask_command_is_in_the_readme(app):
    commands = sorted(command_lines(app.cli))
    assert "flask outbox send-due" in commands  # the walk really finds the commands
    missing = [command for command in commands if command not in README]
    assert missing == []


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_every_config_key_is_in_the_readme(key):
    assert f"`{key}`" in README


def test_every_public_route_is_in_the_readme(app):
    rules = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert "/api/v1/tickets/closed" in rules
    # Written as `/path` or `METHOD /path` in the README.
    undocumented = [
        rule for rule in rules if f"`{rule}`" not in README and f" {rule}`" not in README
    ]
    assert sorted(undocumented) == []
