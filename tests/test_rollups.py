"""Rollups: buckets, range splits, and the triggers' counts against a rebuild from raw rows."""

import random
import sqlite3
import statistics
from datetime import UTC, date, datetime, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from app import create_app
from surveys.actions.alerts import NEVER_ALERT, save_rules
from surveys.config import ConfigError
from surveys.customers.responses import save_response
from surveys.helpdesk.closures import Closure, record_closure
from surveys.reports.kpi_queries import kpi_groups
from surveys.reports.kpis import count_at_most, histogram_median, merge_histograms
from surveys.reports.ranges import parse_range
from surveys.reports.score_queries import score_groups
from surveys.store import db as database
from surveys.store import rollups
from surveys.store.db import immediate


@pytest.mark.parametrize(
    ("seconds", "bucket"),
    [
        (0, 0),
        (1, 60),
        (60, 60),
        (61, 120),
        (3_599, 3_600),
        (3_600, 3_600),
        (3_601, 3_780),
        (36_000, 36_000),
        (36_001, 37_800),
        (86_400, 86_400),
        (86_401, 88_200),
        (360_001, 378_000),
        (36_000_000, 36_000_000),
        (36_000_001, 36_000_001),  # beyond 10,000 hours: kept exactly
    ],
)
def test_duration_bucket(seconds, bucket):
    assert rollups.duration_bucket(seconds) == bucket


def test_the_sql_bucket_matches_the_python_bucket():
    values = sorted(
        {
            0,
            *range(1, 4_000, 7),
            *(bound + delta for bound, _ in rollups.BUCKET_STEPS for delta in (-1, 0, 1)),
            *random.Random(1).sample(range(40_000_000), 2_000),
        }
    )
    connection = sqlite3.connect(":memory:")
    in_sql = [
        connection.execute(
            f"SELECT {rollups.bucket_sql('?')}", [value] * rollups.bucket_sql("?").count("?")
        ).fetchone()[0]
        for value in values
    ]
    assert in_sql == [rollups.duration_bucket(value) for value in values]


def test_every_bucket_is_at_most_five_percent_wide_above_an_hour():
    steps = rollups.BUCKET_STEPS
    assert steps[0] == (3_600, 60)  # below an hour: whole minutes
    for (shortest, _), (longest, width) in zip(steps, steps[1:], strict=False):
        assert width <= 0.05 * shortest, (shortest, longest, width)
        assert shortest % width == 0 and longest % width == 0  # bounds on round figures


@pytest.mark.parametrize(
    ("start", "end", "months", "head", "tail"),
    [
        ("2026-01-01", "2026-12-31", ("2026-01", "2026-12"), None, None),
        (
            "2026-01-15",
            "2026-03-10",
            ("2026-02", "2026-02"),
            ("2026-01-15", "2026-01-31"),
            ("2026-03-01", "2026-03-10"),
        ),
        ("2026-01-15", "2026-01-20", None, ("2026-01-15", "2026-01-20"), None),
        ("2025-12-01", "2026-11-23", ("2025-12", "2026-10"), None, ("2026-11-01", "2026-11-23")),
        ("2024-02-01", "2024-02-29", ("2024-02", "2024-02"), None, None),  # a leap February
        ("2026-02-01", "2026-02-27", None, ("2026-02-01", "2026-02-27"), None),
    ],
)
def test_histogram_spans(start, end, months, head, tail):
    got_months, got_head, got_tail = rollups.histogram_spans(
        date.fromisoformat(start), date.fromisoformat(end)
    )

    def span(pair):  # an empty span (first > last) as None
        return pair if pair[0] <= pair[1] else None

    assert (span(got_months), span(got_head), span(got_tail)) == (months, head, tail)


@pytest.mark.parametrize("values", [[5], [1, 2], [3, 1, 2], [1, 1, 1, 9], [2, 7, 7, 7, 100, 3]])
def test_histogram_median_is_the_median_of_the_counted_values(values):
    histogram = sorted((value, values.count(value)) for value in set(values))
    assert histogram_median(histogram) == statistics.median(values)


def test_histogram_helpers():
    assert histogram_median([]) is None
    assert histogram_median([(1, 0)]) is None
    assert merge_histograms([[(1, 2), (5, 1)], [(1, 1), (3, 4)]]) == [(1, 3), (3, 4), (5, 1)]
    assert count_at_most([(60, 2), (120, 3), (180, 1)], 120) == 5


# The triggers against a rebuild, after a random history of writes.

START = datetime(2026, 3, 20, tzinfo=UTC)
TABLE_KEYS = {
    "survey_rollups": ("day", "agent_id", "team_id", "channel"),
    "ticket_rollups": ("day", "agent_id", "team_id", "channel"),
    "duration_rollups": ("grain", "period", "agent_id", "team_id", "channel", "measure", "bucket"),
    "agent_duration_rollups": ("grain", "period", "agent_id", "team_id", "measure", "bucket"),
}


def snapshot(db):
    """Every rollup row that counts something, and every ticket's repeat flag."""
    tables = {}
    for table, keys in TABLE_KEYS.items():
        rows = db.query(f"SELECT * FROM {table} ORDER BY {', '.join(keys)}")  # noqa: S608
        tables[table] = [
            row for row in rows if any(value for name, value in row.items() if name not in keys)
        ]
    tables["channels"] = [row["name"] for row in db.query("SELECT name FROM channels ORDER BY 1")]
    tables["repeated"] = [
        row["repeated"] for row in db.query("SELECT repeated FROM tickets ORDER BY id")
    ]
    return tables


def random_history(db, config, rng, tickets=150):
    """Closures reported out of order, sends, failures, answers, changes and deletions."""
    # Responses are deleted by hand below: no follow-up may point at one, so nothing alerts.
    save_rules(db, 0, NEVER_ALERT, None)
    invitations = []
    for number in range(tickets):
        closed_at = START + timedelta(days=rng.uniform(0, 60))
        opened_at = closed_at - timedelta(
            hours=rng.choice([0, 0.5, 3, 24, 30, 200, 900]), seconds=rng.randrange(3600)
        )
        first_response = opened_at + (closed_at - opened_at) * rng.random()
        result, _ = record_closure(
            db,
            Closure(
                ticket_ref=f"T-{number}",
                closed_at=closed_at,
                customer_email=f"customer{rng.randrange(25)}@example.com",
                # Citra and a second "budi@example.com" are known by name only: two agents
                # are shown (and filtered) as "budi@example.com".
                **dict(
                    zip(
                        ("agent_email", "agent_name"),
                        rng.choice(
                            [
                                (None, None),
                                ("ayu@example.com", None),
                                ("budi@example.com", None),
                                (None, "Citra"),
                                (None, "budi@example.com"),
                            ]
                        ),
                        strict=True,
                    )
                ),
                team=rng.choice([None, "Billing", "Technical"]),
                channel=rng.choice([None, "email", "chat"]),
                opened_at=rng.choice([None, opened_at, opened_at, opened_at]),
                first_response_at=rng.choice([None, first_response, first_response]),
                contacts=rng.choice([None, 1, 2]),
                escalated=rng.choice([None, True, False]),
                reopened=rng.choice([None, True, False]),
            ),
            config,
        )
        invitations.append(result["invitation"])
    for invitation in rng.sample(invitations, 100):
        if rng.random() < 0.5:
            db.execute("UPDATE invitations SET status = 'sent' WHERE id = ?", [invitation["id"]])
        if rng.random() < 0.6:
            answers = {
                "csat": rng.choice([None, 1, 3, 4, 5]),
                "ces": rng.choice([None, 2, 7]),
                "nps": rng.choice([None, 0, 6, 8, 10]),
                "comment": None,
            }
            save_response(db, invitation, answers)
        if rng.random() < 0.3:
            save_response(
                db,
                invitation,
                {
                    "csat": rng.randint(1, 5),
                    "ces": None,
                    "nps": rng.randint(0, 10),
                    "comment": "changed",
                },
            )
        if rng.random() < 0.1:
            db.execute("UPDATE invitations SET status = 'failed' WHERE id = ?", [invitation["id"]])
        if rng.random() < 0.05:
            db.execute("DELETE FROM responses WHERE invitation_id = ?", [invitation["id"]])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_always_equal_a_rebuild_from_the_raw_rows(app, db, seed):
    random_history(db, {**app.config, "THROTTLE_DAYS": 0}, random.Random(seed))
    kept = snapshot(db)
    assert all(kept[table] for table in TABLE_KEYS)
    assert any(kept["repeated"]), "the history should hold some repeats"
    with immediate(db):
        rollups.rebuild(db)
    assert snapshot(db) == kept


def exact_median(values):
    return statistics.median(values) if values else None


# Unless a channel is asked about, the histograms come from agent_duration_rollups
# (channels merged); grouped or filtered by channel, from duration_rollups.
@pytest.mark.parametrize(
    ("view", "wanted", "histograms"),
    [
        ({"group_by": "agent"}, "true", "agent_duration_rollups"),
        ({"group_by": "channel"}, "true", "duration_rollups"),
        (
            {"group_by": "team", "agent": "budi@example.com"},
            "agent = 'budi@example.com'",
            "agent_duration_rollups",
        ),
        (
            {"group_by": "agent", "team": "Billing", "agent": ["ayu@example.com", "Citra"]},
            "team = 'Billing' AND agent IN ('ayu@example.com', 'Citra')",
            "agent_duration_rollups",
        ),
        ({"group_by": "month", "channel": "chat"}, "channel = 'chat'", "duration_rollups"),
    ],
)
def test_reports_from_rollups_match_the_raw_rows(app, db, view, wanted, histograms):
    config = {**app.config, "THROTTLE_DAYS": 0}
    random_history(db, config, random.Random(7), tickets=300)
    # Days of March before a whole April and days of May after it: both kinds of rows.
    report_range = parse_range(MultiDict({"from": "2026-03-25", "to": "2026-05-10", **view}), "UTC")
    executed = []
    with db.tracer(lambda sql, params: executed.append(sql)):
        groups, overall, _ = kpi_groups(db, report_range, 24.0)
    read = {
        table
        for table in ("duration_rollups", "agent_duration_rollups")
        if any(f"FROM {table}\n" in sql for sql in executed)
    }
    assert read == {histograms}
    raw = list(
        db.query(
            f"""SELECT * FROM (
            SELECT tickets.*, coalesce(agents.email, agents.name) AS agent, teams.name AS team,
                   nullif(tickets.channel, '') AS channel_name,
                   substr(closed_day, 1, 7) AS month,
                   unixepoch(first_response_at) - unixepoch(opened_at) AS frt_s,
                   unixepoch(closed_at) - unixepoch(opened_at) AS resolution_s
              FROM tickets LEFT JOIN agents ON agents.id = tickets.agent_id
              LEFT JOIN teams ON teams.id = tickets.team_id
             WHERE closed_day BETWEEN '2026-03-25' AND '2026-05-10') WHERE {wanted}"""  # noqa: S608
        )
    )
    assert overall["tickets"] == len(raw)
    assert len(groups) > 1
    group_column = {"channel": "channel_name"}.get(view["group_by"], view["group_by"])
    for row in [*groups, overall]:
        mine = [ticket for ticket in raw if row["group"] in ("all", ticket[group_column])]
        frts = [ticket["frt_s"] for ticket in mine if ticket["frt_s"] is not None]
        resolutions = [
            ticket["resolution_s"] for ticket in mine if ticket["resolution_s"] is not None
        ]
        assert row["tickets"] == len(mine)
        assert row["frt_n"] == len(frts)
        assert row["frt_mean_h"] == round(statistics.mean(frts) / 3600, 1)
        assert row["frt_compliance_pct"] == round(
            100 * sum(frt <= 24 * 3600 for frt in frts) / len(frts), 1
        )
        assert row["repeat_pct"] == round(
            100 * sum(ticket["repeated"] for ticket in mine) / len(mine), 1
        )
        for median_h, values in (
            (row["frt_median_h"], frts),
            (row["resolution_median_h"], resolutions),
        ):
            exact_h = exact_median(values) / 3600
            # 2.5 % + 30 s, plus the 0.05 h of rounding to one decimal
            assert abs(median_h - exact_h) <= 0.025 * exact_h + 30 / 3600 + 0.05

    scores, score_overall, _ = score_groups(db, report_range)
    answered = list(
        db.query(
            f"""SELECT * FROM (
            SELECT responses.csat, coalesce(agents.email, agents.name) AS agent,
                   teams.name AS team, invitations.channel
              FROM responses
              JOIN invitations ON invitations.id = responses.invitation_id
              LEFT JOIN agents ON agents.id = invitations.agent_id
              LEFT JOIN teams ON teams.id = invitations.team_id
             WHERE invitations.closed_day BETWEEN '2026-03-25' AND '2026-05-10')
            WHERE {wanted}"""  # noqa: S608
        )
    )
    csats = [row["csat"] for row in answered if row["csat"] is not None]
    assert score_overall["responses"] == len(answered)
    assert score_overall["csat_n"] == len(csats)
    assert score_overall["csat_pct"] == round(100 * sum(c >= 4 for c in csats) / len(csats), 1)
    assert sum(group["responses"] for group in scores) == len(answered)


def test_a_repeat_reported_before_the_ticket_it_repeats(app, db):
    closed = datetime(2026, 5, 1, 12, tzinfo=UTC)
    later = Closure(
        ticket_ref="LATER",
        closed_at=closed + timedelta(days=3),
        customer_email="rina@example.com",
        opened_at=closed + timedelta(days=2),
    )
    earlier = Closure(
        ticket_ref="EARLIER",
        closed_at=closed,
        customer_email="rina@example.com",
        opened_at=closed - timedelta(hours=5),
    )
    record_closure(db, later, app.config)
    record_closure(db, earlier, app.config)  # the help desk sent it late
    flags = {
        row["ticket_ref"]: row["repeated"]
        for row in db.query("SELECT ticket_ref, repeated FROM tickets")
    }
    assert flags == {"LATER": 0, "EARLIER": 1}
    assert db.execute("SELECT sum(repeats) FROM ticket_rollups").fetchone()[0] == 1


def test_m010_fills_the_channel_merged_histograms_of_an_older_database(app, db):
    random_history(db, {**app.config, "THROTTLE_DAYS": 0}, random.Random(4), tickets=120)
    kept = snapshot(db)
    # The database as m009 left it: no such table, and m010 not yet applied.
    rollups.drop_triggers(db)
    db.execute("DROP TABLE agent_duration_rollups")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm010_agent_histograms'")
    assert database.migrate(app.config["DATABASE"]) == ["m010_agent_histograms"]
    assert snapshot(db) == kept
    record_closure(
        db,
        Closure(
            ticket_ref="AFTER",
            closed_at=START,
            customer_email="rina@example.com",
            opened_at=START - timedelta(hours=2),
        ),
        app.config,
    )
    assert (
        db.execute(
            "SELECT sum(n) FROM agent_duration_rollups WHERE grain = 'day' "
            "AND measure = 'resolution'"
        ).fetchone()[0]
        == db.execute("SELECT count(*) FROM tickets WHERE opened_at IS NOT NULL").fetchone()[0]
    )


def test_changing_the_repeat_window_rebuilds_the_flags(make_app, db):
    app = make_app()
    closed = datetime(2026, 5, 1, 12, tzinfo=UTC)
    for ref, closed_at, opened_at in (
        ("A", closed, closed - timedelta(hours=1)),
        ("B", closed + timedelta(days=6), closed + timedelta(days=5)),
    ):
        record_closure(
            db,
            Closure(
                ticket_ref=ref,
                closed_at=closed_at,
                customer_email="rina@example.com",
                opened_at=opened_at,
            ),
            app.config,
        )
    assert db.execute("SELECT sum(repeated) FROM tickets").fetchone()[0] == 1  # 7 days
    make_app(REPEAT_WINDOW_DAYS=3)
    assert db.execute("SELECT sum(repeated) FROM tickets").fetchone()[0] == 0
    assert db.execute("SELECT sum(repeats) FROM ticket_rollups").fetchone()[0] == 0
    assert rollups.repeat_window_days(db) == 3


def test_flask_rollups_rebuild(app, db, runner):
    record_closure(
        db,
        Closure(
            ticket_ref="T-1",
            closed_at=datetime(2026, 5, 1, tzinfo=UTC),
            customer_email="rina@example.com",
        ),
        app.config,
    )
    db.execute("DELETE FROM ticket_rollups")  # a hand-made change the triggers never saw
    result = runner.invoke(args=["rollups", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "1 rows in ticket_rollups" in result.output
    assert db.execute("SELECT sum(tickets) FROM ticket_rollups").fetchone()[0] == 1


def test_a_changed_repeat_window_is_warned_about_until_init_db(config, caplog):
    database.migrate(config["DATABASE"], 7)
    with caplog.at_level("WARNING"):
        create_app({**config, "REPEAT_WINDOW_DAYS": 3})
    assert "kept with a 7-day window but REPEAT_WINDOW_DAYS is 3" in caplog.text
    caplog.clear()
    database.migrate(config["DATABASE"], 3)
    with caplog.at_level("WARNING"):
        create_app({**config, "REPEAT_WINDOW_DAYS": 3})
    assert "window" not in caplog.text


@pytest.mark.parametrize("days", [0, 366])
def test_a_repeat_window_outside_a_year_is_refused_at_start(config, days):
    with pytest.raises(ConfigError, match="REPEAT_WINDOW_DAYS must be from 1 to 365"):
        create_app({**config, "REPEAT_WINDOW_DAYS": days})
