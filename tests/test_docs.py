"""The docs tell the truth and stand alone.

Every flask command, config key and route is in docs/, and every field of the report rows in
order; the README opens with the two commands and links every page of docs/; every relative
link leads to a file (and heading) that exists; nothing cites a file outside the repository.
"""

import re
from pathlib import Path

import click
import pytest

from surveys.config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
DOCS_TEXT = "\n".join(page.read_text() for page in DOCS)
PAGES = [README, *DOCS]

# [text](target) and ![alt](target); a target ends at whitespace or the closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


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


def without_code_blocks(markdown):
    """The text outside fenced code blocks, where a '#' line is a heading and not a comment."""
    return FENCE.sub("", markdown)


def anchor(heading):
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page):
    """Every heading's fragment in a page, numbered like GitHub's when a heading repeats."""
    found, seen = set(), {}
    for heading in HEADING.findall(without_code_blocks(page.read_text())):
        slug = anchor(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def relative_links(page):
    """(target path, fragment) of every link in a page that leads inside the repository."""
    for target in LINK.findall(without_code_blocks(page.read_text())):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        path, _, fragment = target.partition("#")
        yield (page.parent / path).resolve() if path else page, fragment


def section(page, title):
    """A page's text from the '## ' heading holding `title` to the next '## ' heading."""
    parts = re.split(r"^## ", page.read_text(), flags=re.MULTILINE)
    [found] = [part for part in parts if title in part.splitlines()[0]]
    return found


def first_out_of_order(text, fields):
    """The first field not written as `field` after the ones before it; None when all are."""
    position = 0
    for field in fields:
        position = text.find(f"`{field}`", position)
        if position < 0:
            return field
        position += 1
    return None


def test_the_docs_exist():
    names = {page.name for page in DOCS}
    assert {
        "api.md",
        "pages.md",
        "configuration.md",
        "operations.md",
        "definitions.md",
        "internals.md",
        "development.md",
    } <= names


def test_readme_opens_with_the_two_commands():
    first_block = re.search(r"```\w*\n(.*?)```", README.read_text(), re.DOTALL)
    assert first_block is not None and first_block.start() < 200
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make run", "make test"]


def test_readme_links_every_page_of_the_docs():
    linked = {path for path, _ in relative_links(README)}
    assert [page.name for page in DOCS if page.resolve() not in linked] == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_leads_to_a_file_that_exists(page):
    missing = [str(path.relative_to(ROOT)) for path, _ in relative_links(page) if not path.exists()]
    assert missing == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_link_to_a_heading_finds_it(page):
    broken = [
        f"{path.relative_to(ROOT)}#{fragment}"
        for path, fragment in relative_links(page)
        if fragment and path.suffix == ".md" and path.exists() and fragment not in anchors(path)
    ]
    assert broken == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_the_docs_stand_alone(page):
    # The docs are the reference; no file outside the repository is cited.
    assert "spec.md" not in page.read_text().lower()


def test_every_flask_command_is_in_the_docs(app):
    commands = sorted(command_lines(app.cli))
    assert "flask outbox send-due" in commands  # the walk really finds the commands
    missing = [command for command in commands if command not in DOCS_TEXT]
    assert missing == []


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_every_config_key_is_in_the_docs(key):
    assert f"`{key}`" in DOCS_TEXT


def test_every_public_route_is_in_the_docs(app):
    rules = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert "/api/v1/tickets/closed" in rules
    # Written as `/path` or `METHOD /path` in the docs.
    undocumented = [
        rule for rule in rules if f"`{rule}`" not in DOCS_TEXT and f" {rule}`" not in DOCS_TEXT
    ]
    assert sorted(undocumented) == []


def test_every_report_row_is_documented_field_by_field_in_order(manager_client, api_headers):
    api = ROOT / "docs" / "api.md"
    scores = manager_client.get("/api/v1/scores", headers=api_headers).get_json()["overall"]
    kpis = manager_client.get("/api/v1/kpis", headers=api_headers).get_json()["overall"]
    scorecards = manager_client.get("/scorecards.csv").get_data(as_text=True).splitlines()[0]
    responses = manager_client.get("/reports/responses.csv").get_data(as_text=True)
    assert first_out_of_order(section(api, "GET /api/v1/scores"), list(scores)) is None
    assert first_out_of_order(section(api, "GET /api/v1/kpis"), list(kpis)) is None
    assert (
        first_out_of_order(section(api, "GET /api/v1/admin-scores"), scorecards.split(",")) is None
    )
    # The pages table's row for the download lists its columns.
    responses_row = [
        line for line in DOCS_TEXT.splitlines() if line.startswith("| `/reports/responses.csv`")
    ]
    assert first_out_of_order(responses_row[0], responses.splitlines()[0].split(",")) is None


def test_the_help_desk_bodies_are_the_ones_the_integrations_page_shows():
    from surveys.helpdesk.payloads import FRESHDESK_BODY, ZENDESK_BODY

    api = (ROOT / "docs" / "api.md").read_text()
    assert ZENDESK_BODY in api
    assert FRESHDESK_BODY in api
