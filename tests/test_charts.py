"""The dashboard's charts: a trend by week (90 days or fewer) or by month with its 95 % band
and a labelled target, and one chart of answers per score for each scale.

Each SVG is parsed as XML; where it draws a number, the number is read back through the
chart's own axis labels and compared with figures computed by hand or read from the API.
"""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest

from surveys import clock
from surveys.helpdesk.closures import Closure, record_closure
from surveys.reports.charts import SIZES, count_ticks
from surveys.reports.ranges import ReportRange, parse_range
from surveys.reports.targets import find_team_id, save_targets, save_team_targets
from surveys.reports.trends import answers_per_score, chart_figures, trend
from tests.helpers import MANAGER_EMAIL

SVG = "{http://www.w3.org/2000/svg}"
NOVEMBER = "from=2026-11-04&to=2026-11-20"  # Wednesday to Friday: three weeks, two cut short


def answered(db, config, ticket_ref, day, answers=None, agent="ayu@example.com", **closure):
    """A closure at noon on `day` whose invitation was sent and, with answers, answered."""
    closed_at = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
    closure.setdefault("agent_email", agent)
    result, _ = record_closure(
        db,
        Closure(
            ticket_ref=ticket_ref,
            closed_at=closed_at,
            customer_email=f"{ticket_ref}@example.com",
            team=closure.pop("team", "Billing"),
            channel="email",
            **closure,
        ),
        config,
    )
    invitation_id = result["invitation"]["id"]
    now = clock.to_iso(closed_at)
    db.execute(
        "UPDATE invitations SET status = 'sent', sent_at = ? WHERE id = ?", [now, invitation_id]
    )
    if answers:
        db["responses"].insert(
            dict(invitation_id=invitation_id, created_at=now, updated_at=now, **answers)
        )


@pytest.fixture
def november(app, db):
    """Answers in three weeks of November 2026, and two just outside 4–20 November."""
    config = app.config
    answered(db, config, "OUT-1", "2026-11-03", {"csat": 1})  # Tuesday, before the range
    # Week of Monday 2 November, from Wednesday 4 in the range
    answered(db, config, "A1", "2026-11-04", {"csat": 5, "ces": 6, "nps": 10})
    answered(db, config, "A2", "2026-11-08", {"csat": 2, "ces": 3, "nps": 4}, "budi@example.com")
    # Week of Monday 9 November
    answered(db, config, "B1", "2026-11-09", {"csat": 4})
    answered(db, config, "B2", "2026-11-10")  # sent, never answered
    answered(
        db, config, "B3", "2026-11-12", {"csat": 1, "ces": 2, "nps": 0}, None, agent_name="Citra"
    )
    # Week of Monday 16 November, to Friday 20 in the range
    answered(db, config, "C1", "2026-11-16", {"csat": 3, "ces": 5, "nps": 9}, "budi@example.com")
    answered(db, config, "C2", "2026-11-17", {"csat": 4, "ces": 5, "nps": 10})
    answered(db, config, "C3", "2026-11-19", {"csat": 4, "ces": 6, "nps": 6})
    answered(db, config, "C4", "2026-11-20", {"csat": 5, "ces": 6, "nps": 7}, "budi@example.com")
    answered(db, config, "OUT-2", "2026-11-21", {"csat": 1})  # Saturday, after the range
    return db


def svg_of(client, url):
    """The chart at `url`, parsed; the response must be an SVG picture."""
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "image/svg+xml"
    return ET.fromstring(response.get_data(as_text=True))


def having_class(tree, tag, name):
    """Every `tag` element whose class list holds `name`."""
    return [
        element for element in tree.iter(SVG + tag) if name in (element.get("class") or "").split()
    ]


def axis_labels(tree, axis):
    """{label text: its position along the other axis} of the chart's x or y axis."""
    [group] = [g for g in having_class(tree, "g", "axis") if axis in g.get("class").split()]
    labels = {}
    for guide in having_class(group, "g", "guides"):
        text = guide.find(SVG + "text")
        if text is not None:
            labels[text.text] = float(text.get("x" if axis == "x" else "y"))
    return labels


def y_mapper(tree, low_label, low, high_label, high):
    """value → y in the plot, read from two labelled grid lines of the y axis."""
    lines = {}
    [group] = [g for g in having_class(tree, "g", "axis") if "y" in g.get("class").split()]
    for guide in having_class(group, "g", "guides"):
        d = guide.find(SVG + "path").get("d")
        lines[guide.find(SVG + "text").text] = float(d.split()[1])
    y_low, y_high = lines[low_label], lines[high_label]
    return lambda value: y_low + (value - low) * (y_high - y_low) / (high - low)


def points(d):
    """The (x, y) pairs of an SVG path of straight lines."""
    numbers = [float(number) for number in re.findall(r"-?[0-9.]+", d)]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def title(tree):
    return tree.find(SVG + "title").text


def api_row(client, first, last):
    """The /api/v1/scores ROW for the days first to last, ungrouped."""
    body = client.get(f"/api/v1/scores?from={first}&to={last}").get_json()
    return body["overall"]


# The trend's weeks and months


def test_each_week_sums_its_days_inside_the_range(app, manager_client, november):
    report_range = ReportRange(date(2026, 11, 4), date(2026, 11, 20), None)
    with app.app_context():
        weekly = trend(november, report_range)

    assert weekly.period == "week"
    assert [
        (row["group"], row["first_day"], row["last_day"], row["whole"]) for row in weekly.rows
    ] == [
        ("2026-11-02", date(2026, 11, 4), date(2026, 11, 8), False),
        ("2026-11-09", date(2026, 11, 9), date(2026, 11, 15), True),
        ("2026-11-16", date(2026, 11, 16), date(2026, 11, 20), False),
    ]
    # By hand: week 1 CSAT 5, 2; week 2 CSAT 4, 1 (of 3 sent); week 3 CSAT 3, 4, 4, 5.
    assert [
        (row["invitations_sent"], row["responses"], row["csat_n"], row["csat_pct"])
        for row in weekly.rows
    ] == [(2, 2, 2, 50.0), (3, 2, 2, 50.0), (4, 4, 4, 75.0)]
    assert [(row["ces_n"], row["ces_mean"]) for row in weekly.rows] == [
        (2, 4.5),
        (1, 2.0),
        (4, 5.5),
    ]
    # NPS: 10 and 4 → 0; 0 → −100; 9, 10, 6, 7 → (2 − 1) / 4.
    assert [row["nps"] for row in weekly.rows] == [0.0, -100.0, 25.0]
    # Week 3's CES 5, 5, 6, 6: s = √(1/3), so 5.5 ± 3.182 × s / 2 = 5.5 ± 0.9186.
    assert (weekly.rows[2]["ces_low"], weekly.rows[2]["ces_high"]) == (4.58, 6.42)
    assert (weekly.rows[1]["ces_low"], weekly.rows[1]["ces_high"]) == (None, None)  # n = 1
    # Every figure is what the report of that week's days alone says.
    for row in weekly.rows:
        expected = api_row(manager_client, row["first_day"], row["last_day"])
        assert {field: row[field] for field in expected if field != "group"} == {
            field: value for field, value in expected.items() if field != "group"
        }


def test_a_week_without_closures_is_listed_empty(app, db):
    answered(db, app.config, "X1", "2026-11-02", {"csat": 5})
    answered(db, app.config, "X2", "2026-11-16", {"csat": 4})
    with app.app_context():
        weekly = trend(db, ReportRange(date(2026, 11, 2), date(2026, 11, 22), None))

    assert [row["group"] for row in weekly.rows] == ["2026-11-02", "2026-11-09", "2026-11-16"]
    assert weekly.rows[1] | {"first_day": None, "last_day": None} == {
        "group": "2026-11-09",
        "invitations_sent": 0,
        "responses": 0,
        "response_rate": None,
        "csat_n": 0,
        "csat_pct": None,
        "csat_low": None,
        "csat_high": None,
        "csat_mean": None,
        "ces_n": 0,
        "ces_mean": None,
        "ces_agree_pct": None,
        "nps_n": 0,
        "promoters": 0,
        "passives": 0,
        "detractors": 0,
        "nps": None,
        "nps_low": None,
        "nps_high": None,
        "ces_low": None,
        "ces_high": None,
        "first_day": None,
        "last_day": None,
        "whole": True,
    }


def test_months_are_cut_at_the_ends_of_the_range(app, db):
    answered(db, app.config, "M1", "2026-08-31", {"csat": 5})
    answered(db, app.config, "M2", "2026-09-30", {"csat": 2})
    answered(db, app.config, "M3", "2026-11-29", {"csat": 4})
    with app.app_context():
        monthly = trend(db, ReportRange(date(2026, 8, 31), date(2026, 11, 29), None))

    assert monthly.period == "month"
    assert [
        (row["group"], row["first_day"], row["last_day"], row["whole"], row["csat_n"])
        for row in monthly.rows
    ] == [
        ("2026-08", date(2026, 8, 31), date(2026, 8, 31), False, 1),
        ("2026-09", date(2026, 9, 1), date(2026, 9, 30), True, 1),
        ("2026-10", date(2026, 10, 1), date(2026, 10, 31), True, 0),
        ("2026-11", date(2026, 11, 1), date(2026, 11, 29), False, 1),
    ]


@pytest.fixture
def every_week(app, db):
    """An answer each Wednesday from 2 September to 25 November 2026, and one on Monday 31
    August."""
    for index, day in enumerate(["2026-08-31", *(f"2026-{day}" for day in WEDNESDAYS)]):
        answered(db, app.config, f"W{index}", day, {"csat": 4 + index % 2})
    return db


WEDNESDAYS = (
    *(f"09-{day:02}" for day in (2, 9, 16, 23, 30)),
    *(f"10-{day:02}" for day in (7, 14, 21, 28)),
    *(f"11-{day:02}" for day in (4, 11, 18, 25)),
)


@pytest.mark.parametrize(
    ("query", "days", "period", "points", "first_label"),
    [
        # 90 days, Tuesday 1 September to Sunday 29 November: 13 weeks, the first cut short.
        ("from=2026-09-01&to=2026-11-29", 90, "week", 13, "1 Sep"),
        # One day more, from Monday 31 August: drawn by month.
        ("from=2026-08-31&to=2026-11-29", 91, "month", 4, "2026-08"),
    ],
)
def test_weekly_points_up_to_90_days_then_monthly(
    manager_client, every_week, query, days, period, points, first_label
):
    first, last = (date.fromisoformat(part.split("=")[1]) for part in query.split("&"))
    assert (last - first).days + 1 == days

    tree = svg_of(manager_client, f"/reports/charts/csat.svg?{query}")

    assert title(tree) == f"CSAT % per {period}"
    assert len(having_class(tree, "circle", "dot")) == points
    assert list(axis_labels(tree, "x"))[0] == first_label
    html = manager_client.get(f"/reports?{query}").get_data(as_text=True)
    caption = f"{period.capitalize()}ly figures (the charts' data)"
    table = html[html.index(caption) : html.index("</table>", html.index(caption))]
    assert len(re.findall(r'<tr><th scope="row">', table)) == points + 1  # and the target


def test_points_and_band_sit_at_their_values(manager_client, november):
    tree = svg_of(manager_client, f"/reports/charts/csat.svg?{NOVEMBER}")
    y = y_mapper(tree, "0%", 0, "100%", 100)
    weeks = [
        api_row(manager_client, first, last)
        for first, last in (
            ("2026-11-04", "2026-11-08"),
            ("2026-11-09", "2026-11-15"),
            ("2026-11-16", "2026-11-20"),
        )
    ]

    dots = [float(circle.get("cy")) for circle in having_class(tree, "circle", "dot")]
    assert dots == pytest.approx([y(week["csat_pct"]) for week in weeks], abs=0.01)
    [band] = having_class(tree, "path", "band")  # three weeks in a row: one shape
    outline = points(band.get("d"))
    upper, lower = outline[:3], outline[3:]
    assert [point_y for _, point_y in upper] == pytest.approx(
        [y(week["csat_high"]) for week in weeks], abs=0.06
    )
    assert [point_y for _, point_y in reversed(lower)] == pytest.approx(
        [y(week["csat_low"]) for week in weeks], abs=0.06
    )
    assert [x for x, _ in upper] == pytest.approx(
        [float(circle.get("cx")) for circle in having_class(tree, "circle", "dot")], abs=0.06
    )


def test_the_band_breaks_where_a_week_has_no_interval(manager_client, november):
    # CES in week 2 has one answer: a mean, but no interval. The band stops around it, and
    # a lone interval would be a short bar of its own.
    tree = svg_of(manager_client, f"/reports/charts/ces.svg?{NOVEMBER}")
    y = y_mapper(tree, "1", 1, "7", 7)

    bands = [points(band.get("d")) for band in having_class(tree, "path", "band")]
    assert len(bands) == 2
    week_1, week_3 = bands
    # Week 1 (CES 6 and 3) reaches past both ends of the scale: kept inside it.
    assert sorted({point_y for _, point_y in week_1}) == pytest.approx([y(7), y(1)], abs=0.06)
    assert sorted({point_y for _, point_y in week_3}) == pytest.approx([y(6.42), y(4.58)], abs=0.06)
    assert len(having_class(tree, "circle", "dot")) == 3


def test_the_response_rate_has_no_band(manager_client, november):
    tree = svg_of(manager_client, f"/reports/charts/response_rate.svg?{NOVEMBER}")

    assert having_class(tree, "path", "band") == []
    y = y_mapper(tree, "0%", 0, "100%", 100)
    dots = [float(circle.get("cy")) for circle in having_class(tree, "circle", "dot")]
    # 2 of 2, 2 of 3 (66.7, as the table shows it) and 4 of 4 invitations answered.
    assert dots == pytest.approx([y(100), y(66.7), y(100)], abs=0.01)


# The target


def manager_id(db):
    [manager] = db.query("SELECT id FROM users WHERE email = ?", [MANAGER_EMAIL])
    return manager["id"]


@pytest.mark.parametrize(
    ("name", "target_name", "value", "label", "low", "high"),
    [
        ("csat", "csat_pct", 80, "Target: at least 80%", ("0%", 0), ("100%", 100)),
        ("ces", "ces_mean", 5.5, "Target: at least 5.5", ("1", 1), ("7", 7)),
        ("nps", "nps", -20, "Target: at least -20", ("-100", -100), ("100", 100)),
        ("response_rate", "response_rate", 35, "Target: at least 35%", ("0%", 0), ("100%", 100)),
    ],
)
def test_the_target_is_a_labelled_line_at_its_value(
    manager_client, november, name, target_name, value, label, low, high
):
    save_targets(november, {target_name: value}, manager_id(november))

    tree = svg_of(manager_client, f"/reports/charts/{name}.svg?{NOVEMBER}")

    [line] = having_class(tree, "path", "target-line")
    line_y, line_end = map(float, re.fullmatch(r"M0 ([-0-9.]+) H([0-9.]+)", line.get("d")).groups())
    assert line_y == pytest.approx(y_mapper(tree, *low, *high)(value), abs=0.06)
    [text] = having_class(tree, "text", "target-label")
    assert text.text == label
    assert abs(float(text.get("y")) - line_y) < 20  # beside the line, at its right end
    assert float(text.get("x")) == pytest.approx(line_end - 4)
    # Drawn apart from the grid: not one of the axis's lines, and styled on its own.
    assert line not in having_class(tree, "path", "line")
    style = tree.find(f"{SVG}defs/{SVG}style").text
    assert re.search(r"\.target-line\{[^}]*stroke:#b42318;[^}]*stroke-dasharray:9 5", style)
    assert re.search(r"\.axis \.guide\.line\{stroke-dasharray:none;stroke:#d9e2ec\}", style)


def test_a_team_alone_is_judged_by_its_own_target(manager_client, november):
    save_team_targets(
        november, find_team_id(november, "Billing"), {"csat_pct": 90}, manager_id(november)
    )

    own = svg_of(manager_client, f"/reports/charts/csat.svg?{NOVEMBER}&team=Billing")
    company = svg_of(manager_client, f"/reports/charts/csat.svg?{NOVEMBER}")

    assert having_class(own, "text", "target-label")[0].text == "Target: at least 90%"
    assert having_class(company, "text", "target-label")[0].text == "Target: at least 85%"


# Answers per score: one chart per scale


@pytest.mark.parametrize(
    ("name", "scores", "counts"),
    [
        # By hand from the answers 4–20 November.
        ("csat_distribution", range(1, 6), [1, 1, 1, 3, 2]),
        ("ces_distribution", range(1, 8), [0, 1, 1, 0, 2, 3, 0]),
        ("nps_distribution", range(0, 11), [1, 0, 0, 0, 1, 0, 1, 1, 0, 1, 2]),
    ],
)
def test_each_scale_has_a_chart_of_its_own(manager_client, november, name, scores, counts):
    tree = svg_of(manager_client, f"/reports/charts/{name}.svg?{NOVEMBER}")

    assert list(axis_labels(tree, "x")) == [str(score) for score in scores]
    bars = having_class(tree, "rect", "rect")
    assert len(bars) == len(counts)
    heights = [float(bar.get("height")) for bar in bars]
    y = y_mapper(tree, "0", 0, axis_ticks_top(tree), int(axis_ticks_top(tree)))
    assert heights == pytest.approx([y(0) - y(count) for count in counts], abs=0.01)


def axis_ticks_top(tree):
    """The highest label of the y axis."""
    return max(axis_labels(tree, "y"), key=int)


def test_bars_are_coloured_as_the_score_reads_them(manager_client, november):
    tree = svg_of(manager_client, f"/reports/charts/nps_distribution.svg?{NOVEMBER}")

    colours = [bar.get("style") for bar in having_class(tree, "g", "bar")]
    detractor, passive, promoter = (
        f"fill: {colour}; stroke: {colour}" for colour in ("#b42318", "#7b8794", "#1e7b3c")
    )
    assert colours == [detractor] * 7 + [passive] * 2 + [promoter] * 2


@pytest.mark.parametrize(
    ("highest", "ticks"),
    [
        (0, (0, 1)),
        (3, (0, 1, 2, 3)),
        (7, (0, 2, 4, 6, 8)),
        (68, (0, 20, 40, 60, 80)),
        (149, (0, 50, 100, 150)),
        (1000, (0, 200, 400, 600, 800, 1000)),
    ],
)
def test_counts_are_read_on_whole_round_ticks(highest, ticks):
    assert count_ticks(highest) == ticks


@pytest.mark.parametrize(
    ("query", "ones"),
    [(NOVEMBER, 1), ("from=2026-08-01&to=2026-11-30", 3)],  # by month: with 3 and 21 November
)
def test_a_pages_answers_add_up_its_periods(app, november, query, ones):
    report_range = parse_range(dict(part.split("=") for part in query.split("&")), "UTC")
    with app.app_context():
        figures = chart_figures(november, report_range)
        assert figures.answers == answers_per_score(november, report_range)
        assert figures.trend == trend(november, report_range)
    assert figures.answers["csat"] == {1: ones, 2: 1, 3: 1, 4: 3, 5: 2}


# Filters, sizes and errors


@pytest.mark.parametrize(
    ("agent", "counts"),
    [
        ("ayu@example.com", [0, 0, 0, 3, 1]),  # by email: 5, 4, 4, 4
        ("Citra", [1, 0, 0, 0, 0]),  # known by name only
        ("budi@example.com", [0, 1, 1, 0, 1]),
    ],
)
def test_charts_narrow_to_one_agent(manager_client, november, agent, counts):
    tree = svg_of(manager_client, f"/reports/charts/csat_distribution.svg?{NOVEMBER}&agent={agent}")

    y = y_mapper(tree, "0", 0, axis_ticks_top(tree), int(axis_ticks_top(tree)))
    heights = [float(bar.get("height")) for bar in having_class(tree, "rect", "rect")]
    assert heights == pytest.approx([y(0) - y(count) for count in counts], abs=0.01)


def test_a_preset_period_is_drawn_like_its_days(manager_client, november, fake_clock):
    # The clock says 20 November 2026: the last 30 days are 22 October to 20 November.
    preset = svg_of(manager_client, "/reports/charts/csat.svg?period=last_30_days")
    days = svg_of(manager_client, "/reports/charts/csat.svg?from=2026-10-22&to=2026-11-20")

    strip = lambda tree: re.sub(r"chart-[0-9a-f-]+", "", ET.tostring(tree, "unicode"))  # noqa: E731
    assert strip(preset) == strip(days)


@pytest.mark.parametrize("size", ["wide", "narrow"])
def test_each_size_is_drawn_at_its_own_width(manager_client, november, size):
    tree = svg_of(manager_client, f"/reports/charts/nps.svg?{NOVEMBER}&size={size}")

    width, height = SIZES[size]
    assert (tree.get("width"), tree.get("height")) == (str(width), str(height))
    assert tree.get("viewBox") == f"0 0 {width} {height}"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("size=huge", "size"),
        ("period=last_decade", "period"),
        ("from=2026-11-31", "from"),
        ("agent=" + "x" * 255, "agent"),
    ],
)
def test_bad_parameters_answer_422_naming_them(manager_client, query, parameter):
    response = manager_client.get(f"/reports/charts/csat.svg?{query}")

    assert response.status_code == 422
    assert f"{parameter} " in response.get_data(as_text=True)


def test_an_unknown_chart_is_404(manager_client):
    assert manager_client.get("/reports/charts/distribution.svg").status_code == 404
    assert manager_client.get("/reports/charts/pie.svg").status_code == 404


def test_charts_are_for_managers(staff_client):
    assert staff_client.get("/reports/charts/csat.svg").status_code == 403


def test_signed_out_readers_are_sent_to_sign_in(client):
    response = client.get("/reports/charts/csat.svg")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("name", ["csat", "ces", "nps", "response_rate", "ces_distribution"])
def test_a_chart_is_a_picture_that_runs_and_loads_nothing(manager_client, november, name):
    response = manager_client.get(f"/reports/charts/{name}.svg?{NOVEMBER}")
    svg = response.get_data(as_text=True)

    # The chart's own policy replaces the pages' one: it is the only one sent.
    assert response.headers.getlist("Content-Security-Policy") == [
        "default-src 'none'; style-src 'unsafe-inline'"
    ]
    assert svg.startswith("<svg") and "<script" not in svg
    assert "http" not in re.sub(r"<!--.*?-->|xmlns(:xlink)?=\"[^\"]+\"", "", svg)


def test_no_answers_says_so(manager_client):
    tree = svg_of(manager_client, "/reports/charts/csat.svg?from=2026-11-04&to=2026-11-20")

    [message] = having_class(tree, "text", "no_data")
    assert message.text == "No answers in this range"


# The dashboard shows every chart beside its figures


def test_the_dashboard_shows_every_chart_in_both_sizes(manager_client, november):
    html = manager_client.get(f"/reports?{NOVEMBER}&team=Billing").get_data(as_text=True)

    names = re.findall(r'<img src="/reports/charts/([a-z_]+)\.svg\?([^"]+)"', html)
    assert [name for name, _ in names] == [
        "csat",
        "ces",
        "nps",
        "response_rate",
        "csat_distribution",
        "ces_distribution",
        "nps_distribution",
    ]
    for _, query in names:
        assert "from=2026-11-04" in query and "to=2026-11-20" in query and "team=Billing" in query
    narrow = re.findall(
        r'<source media="\(max-width: 559px\)" srcset="/reports/charts/([a-z_]+)\.svg\?'
        r'size=narrow&amp;[^"]+" width="(\d+)" height="(\d+)">',
        html,
    )
    assert [name for name, _, _ in narrow] == [name for name, _ in names]
    assert {(int(width), int(height)) for _, width, height in narrow} == {SIZES["narrow"]}
    wide = re.findall(
        r'<img src="/reports/charts/[^"]+" alt="[^"]+" width="(\d+)" height="(\d+)"', html
    )
    assert {(int(width), int(height)) for width, height in wide} == {SIZES["wide"]}


def test_the_dashboard_tables_hold_the_charts_figures(manager_client, november):
    html = manager_client.get(f"/reports?{NOVEMBER}").get_data(as_text=True)

    weekly = html[
        html.index("Weekly figures") : html.index("</table>", html.index("Weekly figures"))
    ]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>', weekly)
    assert rows == ["4–8 Nov 2026", "9–15 Nov 2026", "16–20 Nov 2026", "Target"]
    assert "<td>75.0%</td>" in weekly and "4.58 to 6.42" in weekly
    assert '<td colspan="2">at least 85.0%</td>' in weekly
    answers = html[html.index("Answers per score (the charts") :]
    answers = answers[: answers.index("</table>")]
    row_4 = re.search(
        r'<th scope="row">4</th>\s*<td>(\d*)</td><td>(\d*)</td><td>(\d*)</td>', answers
    )
    assert row_4.groups() == ("3", "0", "1")
    row_0 = re.search(
        r'<th scope="row">0</th>\s*<td>(\d*)</td><td>(\d*)</td><td>(\d*)</td>', answers
    )
    assert row_0.groups() == ("", "", "1")  # 0 is on the NPS scale only
    totals = re.search(
        r'<th scope="row">All</th>\s*<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>', answers
    )
    assert totals.groups() == ("8", "7", "7")
