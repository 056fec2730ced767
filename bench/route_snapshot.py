"""Record every route's status and body on the demo database, with the clock fixed.

    .venv/bin/python bench/route_snapshot.py OUT_DIR

Writes one file per request (status, content type, Location, then the body) into OUT_DIR,
so two snapshots taken before and after a change compare with `diff -r`. Only what a
refactoring must keep is recorded; what is random by design is replaced by a placeholder:
CSRF tokens, survey and unsubscribe link tokens, API keys and mail Message-IDs.

The script reaches Puas only through `create_app`, the `flask` commands and
`surveys.clock`, so it runs unchanged on either side of a move of the package's modules.
"""

import io
import json
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from surveys import clock  # noqa: E402

FIXED_NOW = datetime(2026, 11, 18, 10, 30, 0, tzinfo=UTC)
MANAGER = ("manager@puas.example", "puas-demo-manager")
STAFF = ("staff@puas.example", "puas-demo-staff")
ADMIN = ("fitri@puas.example", "puas-demo-admin")


class FixedDatetime(datetime):
    """datetime whose now() is FIXED_NOW, in whatever zone is asked for."""

    @classmethod
    def now(cls, tz=None):
        return FIXED_NOW if tz is None else FIXED_NOW.astimezone(tz)


RANDOM_PARTS = [
    (re.compile(rb'(name="csrf_token"[^>]*value=")[^"]+'), rb"\1CSRF"),
    (re.compile(rb'(value=")[^"]+("[^>]*name="csrf_token")'), rb"\1CSRF\2"),
    (re.compile(rb"(/[su]/)[A-Za-z0-9_\-]{20,}"), rb"\1TOKEN"),
    (re.compile(rb"(token=|unsubscribe%20)[A-Za-z0-9_\-]{20,}"), rb"\1TOKEN"),
    (re.compile(rb"puas_[A-Za-z0-9_\-]{20,}"), rb"API_KEY"),
    (re.compile(rb"(outbox-[0-9]+)\.[0-9a-f]{12}([@.])"), rb"\1.ID\2"),
    (re.compile(rb"chart-[0-9a-f\-]{36}"), rb"chart-ID"),
    (re.compile(rb"(Generated with pygal [0-9.]+ \(etree\) .{0,40} on )[0-9\-]{10}"), rb"\1DAY"),
    (re.compile(rb"(boundary=\"?|--)=+[0-9]+=+"), rb"\1BOUNDARY"),
    # The logo's Content-ID in a mail: make_msgid's time, process id and random number.
    (re.compile(rb"([<:])[0-9]+\.[0-9]+\.[0-9]+\.(logo@)"), rb"\1ID.\2"),
]


def normalise(body):
    """The body with its random parts replaced by placeholders."""
    for pattern, replacement in RANDOM_PARTS:
        body = pattern.sub(replacement, body)
    return body


def xlsx_cells(body):
    """A workbook's cell values as text (the file itself carries its creation time)."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(body), read_only=True)
    lines = []
    for sheet in workbook.worksheets:
        lines.append(f"# sheet {sheet.title}")
        lines.extend(json.dumps(row, default=str) for row in sheet.iter_rows(values_only=True))
    return "\n".join(lines).encode()


def mail_text(raw):
    """A message's headers and decoded parts (quoted-printable would split its tokens)."""
    from email import message_from_bytes, policy

    message = message_from_bytes(raw, policy=policy.default)
    lines = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if not part.is_multipart():
            lines += [f"# part {part.get_content_type()}", str(part.get_content())]
    return "\n".join(lines).encode()


def build_demo(workdir):
    """A migrated database with the demo data, its invitations written to a mail folder."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "snapshot-secret",
        "DATABASE": str(workdir / "puas.db"),
        "MAIL_DIR": str(workdir / "mail"),
        "SEND_DELAY_MINUTES": 0,
        "SMTP_HOST": None,
        "BASE_URL": "http://puas.test",
        "TIMEZONE": "Asia/Jakarta",
    }
    app = create_app(config)
    runner = app.test_cli_runner()
    for command in (
        ["init-db"],
        ["seed-demo"],
        ["outbox", "send-due"],
        ["api-key", "create", "snapshot"],
    ):
        result = runner.invoke(args=command)
        if result.exit_code:
            raise SystemExit(f"flask {' '.join(command)} failed: {result.output}")
    api_key = re.search(r"puas_[A-Za-z0-9_\-]+", result.output).group(0)
    return app, api_key


def sign_in(client, email, password):
    """Sign in through the login form, CSRF token and all."""
    page = client.get("/login").data
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    if response.status_code != 302:
        raise SystemExit(f"sign-in as {email} failed: {response.status_code}")


def requests_to_make(app, mail_files, survey_token, unsubscribe_token):
    """(who, method, url, extra) for every route, with ids taken from the demo data."""
    from sqlite_utils import Database

    db = Database(app.config["DATABASE"])
    admin_id = db.execute("SELECT id FROM users WHERE email = ?", [ADMIN[0]]).fetchone()[0]
    person_id = db.execute("SELECT min(id) FROM users").fetchone()[0]
    teams = [row[0] for row in db.execute("SELECT name FROM teams ORDER BY name")]
    periods = [row[0] for row in db.execute("SELECT DISTINCT period FROM ratings ORDER BY 1")]
    db.close()
    ranges = [
        "",
        "?from=2026-08-01&to=2026-10-31",
        "?from=2026-10-31&to=2026-08-01",
        "?from=bad&to=2026-10-31",
        "?agent=ayu%40puas.example",
        "?team=Billing",
        "?channel=email",
        "?agent=Ayu+Lestari&team=Technical",
    ]
    ranges += [f"?group_by={group}" for group in ("agent", "team", "channel", "month", "bogus")]
    ranges += [
        f"?group_by={group}&from=2026-06-01&to=2026-11-18"
        for group in ("agent", "team", "channel", "month")
    ]
    manager_pages = [
        "/",
        "/reports/leaderboard",
        "/reports/comments",
        "/scorecards",
        "/scorecards.csv",
        f"/scorecards/{admin_id}",
        f"/scorecards/{admin_id}?n=3",
        "/scorecards/999999",
        "/people/",
        f"/people/{person_id}",
        f"/people/{admin_id}",
        "/people/999999",
        "/periods",
        "/incidents",
        "/deliverables",
        "/targets",
        "/targets?team=Billing",
        "/targets?team=Nobody",
        "/settings/distribution",
        "/integrations/",
        "/imports/",
        "/imports/1",
        "/mailbox/",
        "/mailbox/nothing.eml",
        "/mailbox/..%2Fpuas.db",
        "/api/v1/admin-scores",
        "/reports/charts/csat.svg",
        "/reports/charts/nps.svg",
        "/reports/charts/ces.svg",
        "/reports/charts/distribution.svg",
        "/reports/charts/bogus.svg",
        "/static/style.css",
        "/nowhere",
    ]
    manager_pages += [f"/scorecards?period={period}" for period in periods[-3:]]
    manager_pages += [f"/mailbox/{name}" for name in mail_files[:6]]
    for query in ranges:
        manager_pages += [
            f"/reports{query}",
            f"/reports/comments{query}",
            f"/reports/leaderboard{query}",
            f"/reports/summary.csv{query}",
            f"/reports/summary.xlsx{query}",
            f"/reports/responses.csv{query}",
            f"/reports/responses.xlsx{query}",
            f"/reports/kpis.csv{query}",
            f"/api/v1/scores{query}",
            f"/api/v1/kpis{query}",
        ]
    manager_pages += [
        f"/reports/charts/{name}.svg?team={team}" for name in ("csat", "nps") for team in teams
    ]
    shared = [
        "/",
        "/login",
        "/ratings/",
        "/ratings/new",
        "/my-scorecard",
        "/reports",
        "/people/",
        "/api/v1/scores",
        f"/s/{survey_token}",
        f"/s/{survey_token}/thanks",
        f"/u/{unsubscribe_token}",
        "/s/unknown-token",
        "/u/unknown-token",
        "/s/" + "A" * 43,
        "/mailbox/",
    ]
    requests = [("anonymous", "GET", url, {}) for url in shared]
    requests += [("staff", "GET", url, {}) for url in shared]
    requests += [("admin", "GET", url, {}) for url in shared + [f"/scorecards/{admin_id}"]]
    requests += [("manager", "GET", url, {}) for url in manager_pages + shared]
    bad_posts = [
        ("/api/v1/tickets/closed", {"data": "{", "content_type": "application/json"}),
        ("/api/v1/tickets/closed", {"json": {"ticket_id": ""}}),
        ("/api/v1/tickets/closed", {"json": []}),
        ("/api/v1/webhooks/1", {"json": {}}),
        ("/api/v1/webhooks/999", {"json": {}}),
    ]
    for url, extra in bad_posts:
        requests.append(("anonymous", "POST", url, extra))
        requests.append(("api", "POST", url, extra))
    for url in (
        "/logout",
        "/people/",
        f"/people/{person_id}",
        "/targets",
        "/incidents",
        "/settings/distribution",
        "/integrations/hooks",
        "/imports/",
        f"/s/{survey_token}",
        f"/u/{unsubscribe_token}",
    ):
        requests.append(("manager", "POST", url, {"data": {}}))  # no CSRF token: refused
    return requests


def snapshot(out_dir):
    """Take the snapshot into out_dir."""
    clock.datetime = FixedDatetime
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        app, api_key = build_demo(Path(workdir))
        mail_dir = Path(app.config["MAIL_DIR"])
        mail_files = sorted(path.name for path in mail_dir.glob("*.eml"))
        first_mail = mail_text((mail_dir / mail_files[0]).read_bytes())
        survey_token = re.search(rb"/s/([A-Za-z0-9_\-]{20,})", first_mail).group(1).decode()
        unsubscribe_token = re.search(rb"/u/([A-Za-z0-9_\-]{20,})", first_mail).group(1).decode()
        clients = {"anonymous": app.test_client(), "api": app.test_client()}
        for who, (email, password) in (("manager", MANAGER), ("staff", STAFF), ("admin", ADMIN)):
            clients[who] = app.test_client()
            sign_in(clients[who], email, password)
        headers = {"api": {"Authorization": f"Bearer {api_key}"}}
        requests = requests_to_make(app, mail_files, survey_token, unsubscribe_token)
        for number, (who, method, url, extra) in enumerate(requests):
            response = clients[who].open(url, method=method, headers=headers.get(who, {}), **extra)
            body = response.get_data()
            if response.mimetype.endswith("spreadsheetml.sheet"):
                body = xlsx_cells(body)
            head = (
                f"{who} {method} {url}\nstatus {response.status_code}\n"
                f"type {response.content_type}\n"
                f"location {response.headers.get('Location', '')}\n"
                f"disposition {response.headers.get('Content-Disposition', '')}\n\n"
            )
            (out_dir / f"{number:04d}.txt").write_bytes(normalise(head.encode() + body))
        (out_dir / "mail.txt").write_bytes(normalise(first_mail))
    print(f"{len(requests)} requests recorded in {out_dir}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    snapshot(Path(sys.argv[1]))
