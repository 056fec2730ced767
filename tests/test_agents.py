"""An agent's page, agents reading their own scores, ticket links and people's names.

The agent page's figures are checked against arithmetic on the raw rows (tickets,
invitations, responses), never against the rollups the page reads; the page an agent
reads is checked for anything of anyone else's.
"""

import csv
import html
import io
import math
import random
import re
import sqlite3
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from surveys.demo import DEMO_AGENT_EMAIL, DEMO_AGENT_PASSWORD
from surveys.helpdesk.closures import Closure, record_closure
from surveys.helpdesk.integrations import create_integration
from surveys.reports.agents import AgentRange
from surveys.reports.comments import COMMENTS_SQL
from surveys.reports.ranges import ReportRange
from surveys.reports.score_queries import LOW_SQL
from surveys.staff.accounts import create_user
from tests.helpers import MANAGER_EMAIL, PASSWORD, csrf_token, sign_in

FROM, TO = "2026-09-01", "2026-11-30"
RANGE = f"from={FROM}&to={TO}"
Z = 1.959963984540054
AYU, BUDI, CITRA = "ayu@example.com", "budi@example.com", "citra@example.com"
# An agent the help desk knows only by a name, which happens to be Ayu's email: the
# reports' filters cannot tell the two apart, an agent's page must.
IMPOSTOR = "name-only"
AGENTS = {  # email (None: known by name), name, how well their customers rate them
    AYU: (AYU, "Ayu Lestari", 0.85),
    BUDI: (BUDI, "Budi Santoso", 0.55),
    CITRA: (CITRA, None, 0.7),
    IMPOSTOR: (None, AYU, 0.2),
}


def score(rng, quality, low, high):
    """A plausible answer on a scale, better on average for a better agent."""
    return low + round(min(1.0, max(0.0, rng.gauss(quality, 0.3))) * (high - low))


def close(db, config, ref, closed_at, agent, rng, source="api", **fields):
    """A closure by `agent` (a key of AGENTS), its invitation sent; returns the invitation id."""
    email, name, _ = AGENTS[agent]
    opened_at = closed_at - timedelta(hours=rng.randint(2, 120))
    closure = Closure(
        ticket_ref=ref,
        closed_at=closed_at,
        customer_email=f"{ref.lower().replace('/', '-').replace(' ', '-')}@customers.example",
        agent_email=email,
        agent_name=name,
        team="Billing",
        channel="email",
        opened_at=opened_at,
        # Whole half hours: a first response sits exactly on a histogram bound, so the
        # share within the standard is exact.
        first_response_at=opened_at + timedelta(minutes=30 * rng.randint(1, 70)),
        contacts=rng.choice([1, 1, 2]),
        escalated=rng.random() < 0.2,
        reopened=rng.random() < 0.1,
        **fields,
    )
    result, _ = record_closure(db, closure, config, source=source)
    invitation_id = result["invitation"]["id"]
    db.execute(
        "UPDATE invitations SET status = 'sent', sent_at = ? WHERE id = ?",
        [closed_at.isoformat(), invitation_id],
    )
    return invitation_id


def answer(db, invitation_id, answered_at, **answers):
    stamp = answered_at.isoformat()
    db["responses"].insert(
        dict(invitation_id=invitation_id, created_at=stamp, updated_at=stamp, **answers)
    )


@pytest.fixture
def history(app, db):
    """Three months of closures for four agents, most answered, some with comments; and
    closures just outside the range, which no figure may count."""
    rng = random.Random(11)
    start = datetime(2026, 9, 1, 3, 0, tzinfo=UTC)
    for number in range(240):
        agent = list(AGENTS)[number % 4]
        _, _, quality = AGENTS[agent]
        closed_at = start + timedelta(hours=9 * number + rng.randint(0, 5))
        invitation_id = close(db, app.config, f"T-{number}", closed_at, agent, rng)
        if rng.random() < 0.8:
            answer(
                db,
                invitation_id,
                closed_at + timedelta(hours=2),
                csat=score(rng, quality, 1, 5),
                ces=score(rng, quality, 1, 7) if rng.random() < 0.8 else None,
                nps=score(rng, quality, 0, 10) if rng.random() < 0.7 else None,
                comment=f"{agent} said {number}" if rng.random() < 0.7 else None,
            )
    for outside in (datetime(2026, 8, 31, 12, tzinfo=UTC), datetime(2026, 12, 1, 12, tzinfo=UTC)):
        for agent in AGENTS:
            invitation_id = close(db, app.config, f"OUT-{agent}-{outside:%m}", outside, agent, rng)
            answer(db, invitation_id, outside, csat=1, ces=1, nps=0, comment="outside the range")
    return db


def agent_id(db, agent):
    email, name, _ = AGENTS[agent]
    identity = f"email:{email}" if email else f"name:{name}"
    return db.execute("SELECT id FROM agents WHERE identity = ?", [identity]).fetchone()[0]


def text(page):
    """A page's text, tags dropped and whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


# What the raw rows say


def raw_responses(db, agent_pk):
    return list(
        db.query(
            """SELECT responses.id, responses.csat, responses.ces, responses.nps,
                      responses.comment, invitations.closed_day, tickets.ticket_ref
                 FROM responses JOIN invitations ON invitations.id = responses.invitation_id
                 JOIN tickets ON tickets.id = invitations.ticket_id
                WHERE invitations.agent_id = ? AND invitations.closed_day BETWEEN ? AND ?""",
            [agent_pk, FROM, TO],
        )
    )


def raw_tickets(db, agent_pk):
    return list(
        db.query(
            """SELECT tickets.*, invitations.status FROM tickets
                 JOIN invitations ON invitations.ticket_id = tickets.id
                WHERE tickets.agent_id = ? AND tickets.closed_day BETWEEN ? AND ?""",
            [agent_pk, FROM, TO],
        )
    )


def wilson(successes, n):
    """The Wilson score interval in percent (docs/definitions.md), written out again."""
    p = successes / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return max(0.0, 100 * (centre - half)), min(100.0, 100 * (centre + half))


def hours(start, end):
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 3600


def pct(part, whole):
    return 100 * part / whole


def expected_figures(db, agent_pk):
    """The agent page's figures, from the raw rows, as the page writes them."""
    responses, tickets = raw_responses(db, agent_pk), raw_tickets(db, agent_pk)
    csat = [row["csat"] for row in responses if row["csat"] is not None]
    ces = [row["ces"] for row in responses if row["ces"] is not None]
    nps = [row["nps"] for row in responses if row["nps"] is not None]
    satisfied = sum(value >= 4 for value in csat)
    low, high = wilson(satisfied, len(csat))
    promoters = sum(value >= 9 for value in nps) / len(nps)
    detractors = sum(value <= 6 for value in nps) / len(nps)
    nps_score = promoters - detractors
    nps_half = Z * math.sqrt((promoters + detractors - nps_score**2) / len(nps))
    first_responses = [hours(row["opened_at"], row["first_response_at"]) for row in tickets]
    sent = sum(row["status"] == "sent" for row in tickets)
    n = len(tickets)
    return {
        "CSAT": f"CSAT {pct(satisfied, len(csat)):.1f}% n = {len(csat)}, "
        f"95 % CI {low:.1f}–{high:.1f}%",
        "CES": f"CES {statistics.mean(ces):.2f} mean on 1–7, n = {len(ces)}",
        "NPS": f"NPS {100 * nps_score:.1f} n = {len(nps)}, 95 % CI "
        f"{max(-100, 100 * (nps_score - nps_half)):.1f} to "
        f"{min(100, 100 * (nps_score + nps_half)):.1f}",
        "rate": f"Response rate {pct(len(responses), sent):.1f}% {len(responses)} responses "
        f"to {sent} invitations sent",
        "tickets": f"Ticket KPIs of the {len(tickets)} tickets closed",
        "frt": f"First response time (mean of {len(tickets)}) "
        f"{statistics.mean(first_responses):.1f} h at most 24.0 h",
        "within": f"First responses within 24.0 h "
        f"{pct(sum(value <= 24 for value in first_responses), len(tickets)):.1f}%",
        "fcr": f"First contact resolution "
        f"{pct(sum(row['contacts'] == 1 for row in tickets), len(tickets)):.1f}%",
        "escalated": f"Escalated {pct(sum(row['escalated'] for row in tickets), n):.1f}%",
        "reopened": f"Reopened {pct(sum(row['reopened'] for row in tickets), n):.1f}%",
    }


def shown(agent):
    """How reports name an agent: by email, else by name."""
    email, name, _ = AGENTS[agent]
    return email or name


def ranking(db):
    """The agents' names (as reports show them) with at least 10 CSAT answers, by the lower
    end of their CSAT interval (as shown, one decimal), then the larger n: the leaderboard's
    rule, from the raw rows. Ayu and the impostor are shown alike, and share a row."""
    csat = {}
    for agent in AGENTS:
        answers = [row["csat"] for row in raw_responses(db, agent_id(db, agent))]
        csat.setdefault(shown(agent), []).extend(answers)
    rows = []
    for name, answers in csat.items():
        low, _ = wilson(sum(value >= 4 for value in answers), len(answers))
        rows.append((-round(low, 1), -len(answers), name))
    return [name for *_, name in sorted(rows)]


# The agent's page, for managers


def test_the_agent_page_shows_what_the_raw_rows_say(manager_client, history):
    for agent in AGENTS:
        pk = agent_id(history, agent)
        response = manager_client.get(f"/reports/agents/{pk}?{RANGE}")
        assert response.status_code == 200
        page = text(response.get_data(as_text=True))
        for name, figure in expected_figures(history, pk).items():
            assert figure in page, (agent, name, figure)
        # The median is read from a histogram: within 2.5 % + 30 s (docs/definitions.md),
        # and shown to a tenth of an hour.
        exact = statistics.median(
            hours(row["opened_at"], row["closed_at"]) for row in raw_tickets(history, pk)
        )
        shown_median = float(re.search(r"Resolution time \(median\) ([\d.]+) h", page)[1])
        assert abs(shown_median - exact) <= 0.025 * exact + 30 / 3600 + 0.05, agent


def test_the_agent_page_ranks_by_the_leaderboards_rule(manager_client, history):
    order = ranking(history)
    assert len(order) == 3
    board = manager_client.get(f"/reports/leaderboard?{RANGE}").get_data(as_text=True)
    links = re.findall(r'<th scope="row"><a href="/reports/agents/(\d+)\?', board)
    # A shared row links to the agent known first (Ayu, by email).
    first_ids = {shown(agent): agent_id(history, agent) for agent in reversed(AGENTS)}
    assert [int(pk) for pk in links] == [first_ids[name] for name in order]
    for agent in AGENTS:
        page = manager_client.get(f"/reports/agents/{agent_id(history, agent)}?{RANGE}")
        position = order.index(shown(agent)) + 1
        assert f"Rank {position} of 3 on the leaderboard" in text(page.get_data(as_text=True))


def test_too_few_answers_to_rank_is_said(make_app, history):
    client = make_app(LEADERBOARD_MIN_N=1000).test_client()
    create_user(history, MANAGER_EMAIL, PASSWORD, "manager")
    sign_in(client, MANAGER_EMAIL)
    pk = agent_id(history, BUDI)
    n = sum(row["csat"] is not None for row in raw_responses(history, pk))
    page = text(client.get(f"/reports/agents/{pk}?{RANGE}").get_data(as_text=True))
    assert f"not ranked: too few answers ({n} CSAT answers; " in page


def monthly_csat(db, agent):
    """{month: the CSAT answers of the agent's closures that month}, from the raw rows."""
    months = {}
    for row in raw_responses(db, agent_id(db, agent)):
        months.setdefault(row["closed_day"][:7], []).append(row["csat"])
    return months


def test_the_trend_counts_each_month(manager_client, history):
    # 91 days: drawn month by month, each month with its interval.
    page = text(manager_client.get(f"/reports/agents/{agent_id(history, AYU)}?{RANGE}").text)
    months = monthly_csat(history, AYU)
    assert sorted(months) == ["2026-09", "2026-10", "2026-11"]
    for month, csat in months.items():
        satisfied = sum(value >= 4 for value in csat)
        low, high = wilson(satisfied, len(csat))
        share = pct(satisfied, len(csat))
        assert f"{month} {share:.1f}% {low:.1f}–{high:.1f}%" in page, month


def test_the_latest_comments_are_the_agents_own_newest_first(manager_client, history):
    pk = agent_id(history, AYU)
    body = manager_client.get(f"/reports/agents/{pk}?{RANGE}").get_data(as_text=True)
    listed = re.findall(r"<td>(T-\d+)</td>.*?<td>([^<]*said[^<]*)</td>", body, re.S)
    commented = sorted(
        (row for row in raw_responses(history, pk) if row["comment"]),
        key=lambda row: (row["closed_day"], row["id"]),
        reverse=True,
    )
    assert len(commented) > 20
    assert listed == [(row["ticket_ref"], row["comment"]) for row in commented[:20]]
    assert "The newest 20 responses with a comment" in text(body)


def test_the_page_reads_the_agent_by_id_not_by_the_name_reports_show(manager_client, history):
    # The impostor's name is Ayu's email: the dashboard's ?agent= cannot tell them apart.
    for agent, other in ((AYU, IMPOSTOR), (IMPOSTOR, AYU)):
        page = manager_client.get(f"/reports/agents/{agent_id(history, agent)}?{RANGE}")
        body = page.get_data(as_text=True)
        assert f"{agent} said" in body and f"{other} said" not in body


@pytest.mark.parametrize("path", ["/reports/agents/999", "/reports/agents/0", "/reports/agents/x"])
def test_an_unknown_agent_is_404(manager_client, history, path):
    assert manager_client.get(path).status_code == 404


def test_the_agent_page_is_for_managers(client, staff_client, history):
    path = f"/reports/agents/{agent_id(history, AYU)}"
    assert staff_client.get(path).status_code == 403
    staff_client.post("/logout", data={"csrf_token": csrf_token(staff_client.get("/").text)})
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_bad_range_parameters_are_422_naming_them(manager_client, history):
    response = manager_client.get(f"/reports/agents/{agent_id(history, AYU)}?from=2026-02-30")
    assert response.status_code == 422
    assert "from" in text(response.get_data(as_text=True))


# Agents reading their own scores


def switch_self_view(client, on):
    page = client.get("/settings/agents")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True))}
    if on:
        data["self_view"] = "y"
    return client.post("/settings/agents", data=data)


@pytest.fixture
def ayu_client(app, history):
    create_user(history, AYU, PASSWORD, "staff", name="Ayu Lestari")
    client = app.test_client()
    assert sign_in(client, AYU).status_code == 302
    return client


def test_my_scores_is_404_until_a_manager_switches_it_on(manager_client, ayu_client, history):
    assert ayu_client.get("/my-scores").status_code == 404
    assert "My scores" not in ayu_client.get("/").get_data(as_text=True)
    assert switch_self_view(manager_client, True).status_code == 303
    response = ayu_client.get(f"/my-scores?{RANGE}")
    assert response.status_code == 200
    page = text(response.get_data(as_text=True))
    for name, figure in expected_figures(history, agent_id(history, AYU)).items():
        assert figure.replace("Agent", "Yours") in page, name
    assert '<a href="/my-scores">My scores</a>' in ayu_client.get("/").get_data(as_text=True)
    assert switch_self_view(manager_client, False).status_code == 303
    assert ayu_client.get("/my-scores").status_code == 404


def test_my_scores_shows_the_trend_and_answers_as_tables(manager_client, ayu_client, history):
    switch_self_view(manager_client, True)
    body = ayu_client.get(f"/my-scores?{RANGE}").get_data(as_text=True)
    page = text(body)
    assert "<img" not in body and "<picture" not in body  # the charts are manager pages
    for month, csat in monthly_csat(history, AYU).items():
        share = pct(sum(value >= 4 for value in csat), len(csat))
        assert f"{month} {share:.1f}% (n = {len(csat)})" in page, month
    csat = [value for values in monthly_csat(history, AYU).values() for value in values]
    expected = " ".join(
        f"{value} {csat.count(value)} {pct(csat.count(value), len(csat)):.1f}%"
        for value in range(1, 6)
    )
    assert f"CSAT, 1–5 Score Answers Share of your answers {expected} CES" in page


def test_my_scores_shows_nothing_of_anyone_else(manager_client, ayu_client, history):
    switch_self_view(manager_client, True)
    # Filters for another agent are ignored: the page is Ayu's, whatever the URL says.
    body = ayu_client.get(f"/my-scores?{RANGE}&agent={BUDI}&agent={AYU}&team=Billing").text
    assert ayu_client.get(f"/my-scores?{RANGE}").text == body
    for other in ("Budi", BUDI, CITRA, f"{IMPOSTOR} said", "outside the range"):
        assert other not in body, other
    links = set(re.findall(r'href="([^"]*)"', body))
    assert {link for link in links if link.startswith("/reports")} == set()
    assert "Rank " in text(body) and "leaderboard" in text(body)


def test_my_scores_is_404_for_anyone_who_is_not_an_agent(app, manager_client, history):
    switch_self_view(manager_client, True)
    # A manager is no agent; nor is a person whose email is only an agent's name.
    assert manager_client.get("/my-scores").status_code == 404
    history.execute(
        "UPDATE agents SET name = 'staff@example.com' WHERE identity = 'name:' || ?", [AYU]
    )
    create_user(history, "staff@example.com", PASSWORD, "staff")
    client = app.test_client()
    sign_in(client, "staff@example.com")
    assert client.get("/my-scores").status_code == 404


def test_my_scores_sends_signed_out_visitors_to_sign_in(client, manager_client, history):
    switch_self_view(manager_client, True)
    response = client.application.test_client().get("/my-scores")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


# The setting


def stored_setting(db):
    return [tuple(row) for row in db.execute("SELECT id, self_view FROM agent_settings")]


def test_the_setting_is_off_by_default_and_saved_whole(manager_client, db):
    page = manager_client.get("/settings/agents").get_data(as_text=True)
    assert 'name="self_view"' in page and "checked" not in page.split('name="self_view"')[1][:80]
    assert stored_setting(db) == []
    response = switch_self_view(manager_client, True)
    assert (response.status_code, response.headers["Location"]) == (303, "/settings/agents")
    assert stored_setting(db) == [(1, 1)]
    [row] = db.query("SELECT updated_by FROM agent_settings")
    assert (
        row["updated_by"]
        == db.execute("SELECT id FROM users WHERE email = ?", [MANAGER_EMAIL]).fetchone()[0]
    )
    switch_self_view(manager_client, False)
    assert stored_setting(db) == [(1, 0)]


@pytest.mark.parametrize(
    "values",
    [["1"], ["on"], ["true"], ["0"], [""], ["y", "y"], ["<script>alert(1)</script>"], ["y" * 5000]],
)
def test_a_hostile_checkbox_is_refused_and_nothing_is_stored(manager_client, db, values):
    switch_self_view(manager_client, True)
    token = csrf_token(manager_client.get("/settings/agents").get_data(as_text=True))
    response = manager_client.post(
        "/settings/agents", data={"csrf_token": token, "self_view": values}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    if len(values) > 1:  # a field posted twice is refused before the page sees it
        assert "&#39;self_view&#39; was sent more than once." in body
    else:
        assert "self_view must be ticked (y) or left out." in body
    assert "<script>alert" not in body
    assert stored_setting(db) == [(1, 1)]


def test_the_setting_needs_its_csrf_token_and_a_manager(manager_client, staff_client, db):
    assert manager_client.post("/settings/agents", data={"self_view": "y"}).status_code == 400
    token = csrf_token(staff_client.get("/ratings/new").get_data(as_text=True))
    response = staff_client.post("/settings/agents", data={"csrf_token": token, "self_view": "y"})
    assert response.status_code == 403
    assert stored_setting(db) == []


# Ticket links


@pytest.fixture
def zendesk(app, db):
    """An integration whose tickets include one with every reserved character in its id."""
    integration_id, _ = create_integration(db, "zendesk", "Zendesk")
    rng = random.Random(3)
    closed_at = datetime(2026, 11, 2, 9, tzinfo=UTC)
    for ref in ("A/B 7?x=<y>&z#", "Z-1"):
        invitation_id = close(
            db, app.config, ref, closed_at, AYU, rng, f"integration:{integration_id}"
        )
        answer(db, invitation_id, closed_at, csat=1, comment=f"low on {ref}")
    invitation_id = close(db, app.config, "API-1", closed_at, AYU, rng)
    answer(db, invitation_id, closed_at, csat=1, comment="low on API-1")
    return integration_id


def set_template(client, integration_id, template):
    token = csrf_token(client.get("/integrations/").get_data(as_text=True))
    return client.post(
        f"/integrations/{integration_id}/ticket-url",
        data={"csrf_token": token, "ticket_url_template": template},
    )


def stored_template(db, integration_id):
    return db.execute(
        "SELECT ticket_url_template FROM integrations WHERE id = ?", [integration_id]
    ).fetchone()[0]


def ticket_links(body):
    return dict(
        (html.unescape(text_), html.unescape(href))
        for href, text_ in re.findall(
            r'<a href="([^"]*)" rel="noopener noreferrer">([^<]*)</a>', body
        )
    )


def test_ticket_ids_link_to_the_help_desk_url_escaped(manager_client, db, zendesk):
    template = "https://acme.zendesk.com/agent/tickets/{ticket_id}"
    response = set_template(manager_client, zendesk, template)
    assert (response.status_code, response.headers["Location"]) == (303, "/integrations/")
    assert stored_template(db, zendesk) == template
    expected = {
        "A/B 7?x=<y>&z#": "https://acme.zendesk.com/agent/tickets/A%2FB%207%3Fx%3D%3Cy%3E%26z%23",
        "Z-1": "https://acme.zendesk.com/agent/tickets/Z-1",
    }
    comments = manager_client.get("/reports/comments?from=2026-11-01&to=2026-11-30").text
    assert ticket_links(comments) == expected  # API-1 came through no integration: no link
    assert "API-1" in comments
    page = manager_client.get(f"/reports/agents/{agent_id(db, AYU)}?from=2026-11-01&to=2026-11-30")
    assert ticket_links(page.get_data(as_text=True)) == expected
    assert template in manager_client.get("/integrations/").get_data(as_text=True)


def test_an_empty_template_removes_the_links(manager_client, db, zendesk):
    set_template(manager_client, zendesk, "https://acme.zendesk.com/agent/tickets/{ticket_id}")
    assert set_template(manager_client, zendesk, "  ").status_code == 303
    assert stored_template(db, zendesk) is None
    assert ticket_links(manager_client.get("/reports/comments?from=2026-11-01").text) == {}


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("http://acme.zendesk.com/tickets/{ticket_id}", "must be an https:// address"),
        ("javascript:alert('{ticket_id}')", "must be an https:// address"),
        ("https://acme.zendesk.com/tickets/", "must contain {ticket_id}"),
        ("https://acme.zendesk.com/tickets/{id}", "must contain {ticket_id}"),
        ("https://acme.zendesk.com/{ticket_id}/{other}", "may hold no braces but {ticket_id}"),
        ("https://{ticket_id}.zendesk.com/", "after the host name"),
        ("https://user:pw@acme.zendesk.com/{ticket_id}", "must not hold a user name"),
        ("https:///{ticket_id}", "must be an https:// address"),
        ("https://acme.zendesk.com/a b/{ticket_id}", "must not contain spaces"),
        ("https://acme.zendésk.com/{ticket_id}", "ASCII"),
        ("https://acme.zendesk.com/" + "x" * 2000 + "{ticket_id}", "at most 2000"),
        ('https://acme.zendesk.com/{ticket_id}"><script>', "the characters a URL may hold"),
    ],
)
def test_a_bad_template_is_422_naming_it_and_nothing_is_stored(
    manager_client, db, zendesk, template, message
):
    good = "https://acme.zendesk.com/agent/tickets/{ticket_id}"
    set_template(manager_client, zendesk, good)
    response = set_template(manager_client, zendesk, template)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "ticket_url_template" in body and message in html.unescape(body)
    assert "<script>" not in body
    assert stored_template(db, zendesk) == good


def test_a_template_for_an_unknown_integration_is_404(manager_client, db):
    assert set_template(manager_client, 999, "https://a.example/{ticket_id}").status_code == 404


def test_the_database_refuses_a_template_the_form_would(db, zendesk):
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE integrations SET ticket_url_template = 'http://a.example/{ticket_id}'")


# Names


def test_downloads_name_agents_and_admins_beside_their_emails(manager_client, db, history):
    download = manager_client.get(f"/reports/responses.csv?{RANGE}").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(download)))
    assert list(rows[0])[3:5] == ["agent", "agent_name"]
    named = {(row["agent"], row["agent_name"]) for row in rows}
    assert named == {(AYU, "Ayu Lestari"), (BUDI, "Budi Santoso"), (CITRA, ""), (AYU, AYU)}
    create_user(db, "fitri@example.com", PASSWORD, "staff", name="Fitri Handayani", rated=True)
    scorecards = manager_client.get("/scorecards.csv?period=2026-10").get_data(as_text=True)
    [row] = list(csv.DictReader(io.StringIO(scorecards)))
    assert list(row)[:3] == ["admin", "admin_name", "raters"]
    assert (row["admin"], row["admin_name"]) == ("fitri@example.com", "Fitri Handayani")
    [admin] = manager_client.get("/api/v1/admin-scores?period=2026-10").get_json()["admins"]
    assert (admin["admin"], admin["admin_name"]) == ("fitri@example.com", "Fitri Handayani")


def test_agents_are_named_and_linked_on_the_leaderboard_and_low_ratings(manager_client, history):
    ayu = f'<a href="/reports/agents/{agent_id(history, AYU)}?from={FROM}&amp;to={TO}">'
    name = (
        '<span class="who-name">Ayu Lestari</span> <span class="who-email">ayu@example.com</span>'
    )
    for path in ("/reports/leaderboard", "/reports/comments"):
        body = manager_client.get(f"{path}?{RANGE}").get_data(as_text=True)
        assert ayu + name + "</a>" in body, path
    comments = manager_client.get(f"/reports/comments?{RANGE}").get_data(as_text=True)
    assert '<option value="ayu@example.com">Ayu Lestari (ayu@example.com)</option>' in comments


@pytest.fixture
def fitri_records(db, manager_client):
    """An admin with a name, an incident, a deliverable and a rating in October; October
    closed by the manager."""
    create_user(db, "fitri@example.com", PASSWORD, "staff", name="Fitri Handayani", rated=True)
    create_user(db, "rater@example.com", PASSWORD, "staff", name="Rudi Rater")
    ids = {row["email"]: row["id"] for row in db.query("SELECT id, email FROM users")}
    db["incidents"].insert(
        dict(
            admin_id=ids["fitri@example.com"],
            occurred_on="2026-10-07",
            description="Typo",
            severity="low",
            created_at="2026-10-07T00:00:00Z",
        )
    )
    db["deliverables"].insert(
        dict(
            admin_id=ids["fitri@example.com"],
            title="Report",
            deadline="2026-10-10",
            created_at="2026-10-01T00:00:00Z",
        )
    )
    db.execute(
        "INSERT INTO closed_periods (period, closed_at, closed_by) VALUES ('2026-10', ?, ?)",
        ["2026-10-31T00:00:00Z", ids[MANAGER_EMAIL]],
    )
    db.execute("UPDATE users SET name = 'Maya Manager' WHERE email = ?", [MANAGER_EMAIL])
    return ids


@pytest.mark.parametrize(
    ("path", "name", "email"),
    [
        ("/incidents?period=2026-10", "Fitri Handayani", "fitri@example.com"),
        ("/deliverables?period=2026-10", "Fitri Handayani", "fitri@example.com"),
        ("/scorecards?period=2026-10", "Fitri Handayani", "fitri@example.com"),
        ("/people/", "Fitri Handayani", "fitri@example.com"),
        ("/periods", "Maya Manager", MANAGER_EMAIL),
    ],
)
def test_staff_pages_show_people_by_name_with_the_email_beside(
    manager_client, fitri_records, path, name, email
):
    body = manager_client.get(path).get_data(as_text=True)
    assert f'<span class="who-name">{name}</span> <span class="who-email">{email}</span>' in body, (
        path
    )


def test_the_rater_sees_the_admins_name_on_their_ratings(app, db, fitri_records):
    db.execute(
        "INSERT INTO ratings (rater_id, admin_id, period, speed, initiative, accuracy, "
        "created_at, updated_at) VALUES (?, ?, '2026-10', 4, 4, 4, ?, ?)",
        [fitri_records["rater@example.com"], fitri_records["fitri@example.com"], "x", "x"],
    )
    client = app.test_client()
    sign_in(client, "rater@example.com")
    mine = client.get("/ratings/").get_data(as_text=True)
    assert '<span class="who-name">Fitri Handayani</span>' in mine
    form = client.get("/ratings/new").get_data(as_text=True)
    assert ">Fitri Handayani (fitri@example.com)</option>" in form


# The demo, and the queries' plans


def test_the_demo_lets_its_agent_read_her_own_scores(app, runner, db):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    client = app.test_client()
    assert sign_in(client, DEMO_AGENT_EMAIL, DEMO_AGENT_PASSWORD).status_code == 302
    response = client.get("/my-scores")
    assert response.status_code == 200
    assert "Ayu Lestari" in response.get_data(as_text=True)


PARAMS = {"from_day": FROM, "to_day": TO, "limit": 20, "agent_id": 1, "filter_0": AYU}


@pytest.mark.parametrize(
    "report_range",
    [
        AgentRange(datetime(2026, 9, 1).date(), datetime(2026, 11, 30).date(), None, agent_id=1),
        ReportRange(datetime(2026, 9, 1).date(), datetime(2026, 11, 30).date(), None, (AYU,)),
    ],
    ids=["one agent", "the low ratings of a filter"],
)
def test_the_comments_queries_read_through_indexes(db, report_range):
    filters, _ = report_range.filter_sql("invitations")
    sql = COMMENTS_SQL.format(filters=filters, low=LOW_SQL, comment="")
    plan = [row["detail"] for row in db.query("EXPLAIN QUERY PLAN " + sql, PARAMS)]
    assert [step for step in plan if step.startswith("SCAN")] == [], plan
    if isinstance(report_range, AgentRange):
        assert any("idx_invitations_agent_id_closed_day" in step for step in plan), plan
