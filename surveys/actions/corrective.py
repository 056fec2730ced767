"""Corrective actions: what will be done about a missed target, by whom and by when, and
whether it worked: the figure when the action was opened beside the figure now.

The figure at opening is stored with the days it was read over; the figure now is read
when the action is shown, over as many days ending today (an admin's: their latest month
with anything recorded), so the next period tells whether the action worked.
"""

from surveys import clock
from surveys.actions.figures import (
    admin_figures,
    find_scope,
    now_days,
    now_period,
    report_figures,
)
from surveys.errors import RangeError
from surveys.fields import read_flag
from surveys.staff.people import name_and_email

STATUSES = ("open", "done", "dropped")
LISTED = 500  # the most /actions shows; the API answers the same rows
DEFAULT_DUE_DAYS = 14  # a new action is due two weeks out unless the manager says otherwise

# The public ROW of /api/v1/actions (docs/api.md), in order.
ROW_FIELDS = (
    "id",
    "metric",
    "scope",
    "scope_name",
    "what",
    "owner",
    "due_on",
    "status",
    "target",
    "value_at_open",
    "value_now",
)

# One statement: the owner is looked up by email as the row is written, so an unknown
# address stores nothing (no read, check, then write); a form key stored already (the
# same page posted again, or twice at once) stores nothing either.
INSERT_SQL = """
INSERT INTO actions (metric, scope, scope_id, scope_name, what, owner_id, due_on, status,
                     target, value_at_open, opened_from, opened_to, created_at, created_by,
                     updated_at, form_key)
SELECT :metric, :scope, :scope_id, :scope_name, :what, users.id, :due_on, :status, :target,
       :value_at_open, :opened_from, :opened_to, :now, :created_by, :now, :form_key
  FROM users WHERE users.email = :owner
    ON CONFLICT (form_key) DO NOTHING
"""

UPDATE_SQL = """
UPDATE actions SET what = :what, due_on = :due_on, status = :status, updated_at = :now,
       owner_id = (SELECT id FROM users WHERE email = :owner)
 WHERE id = :id AND EXISTS (SELECT 1 FROM users WHERE email = :owner)
"""

# Open actions first, then done and dropped ones; each by due date.
ACTIONS_SQL = """
SELECT actions.id, actions.metric, actions.scope, actions.scope_id, actions.scope_name,
       actions.what, owners.email AS owner, owners.name AS owner_name, actions.owner_id,
       actions.due_on, actions.status, actions.target, actions.value_at_open,
       actions.opened_from, actions.opened_to, actions.created_at
  FROM actions LEFT JOIN users AS owners ON owners.id = actions.owner_id
 WHERE (:status IS NULL OR actions.status = :status)
   AND (:owner_id IS NULL OR actions.owner_id = :owner_id)
   AND (:overdue = 0 OR (actions.status = 'open' AND actions.due_on < :today))
   AND (:id IS NULL OR actions.id = :id)
 ORDER BY actions.status <> 'open', actions.due_on, actions.id DESC
 LIMIT :limit
"""


class AlreadyRecorded(Exception):  # noqa: N818 (an outcome, not a failure)
    """The form was posted before and its action stored: `action_id` is that action."""

    def __init__(self, action_id):
        super().__init__(f"action {action_id} was recorded from this form")
        self.action_id = action_id


def record_action(db, subject, figure, form, manager_id):
    """Store a new action about `subject` with the figure it had; its id, or None when
    the owner's email names nobody (nothing is stored then). AlreadyRecorded when an
    action was stored from the same form (its `form_key`, when it has one) before:
    nothing is stored."""
    now = clock.to_iso(clock.now())
    cursor = db.execute(
        INSERT_SQL,
        {
            "metric": subject.metric.name,
            "scope": subject.scope.kind,
            "scope_id": subject.scope.id,
            "scope_name": subject.scope.name,
            "what": form["what"],
            "owner": form["owner"],
            "due_on": form["due_on"].isoformat(),
            "status": form["status"],
            "target": figure.target,
            "value_at_open": figure.value,
            "opened_from": subject.from_day.isoformat(),
            "opened_to": subject.to_day.isoformat(),
            "now": now,
            "created_by": manager_id,
            "form_key": form.get("form_key"),
        },
    )
    if cursor.rowcount == 1:
        return cursor.lastrowid
    stored = db.execute("SELECT id FROM actions WHERE form_key = ?", [form.get("form_key")])
    if (row := stored.fetchone()) is not None:
        raise AlreadyRecorded(row[0])
    return None


def update_action(db, action_id, form):
    """Change an action's what, owner, due date and status; False when the owner's email
    names nobody (nothing is changed then)."""
    cursor = db.execute(
        UPDATE_SQL,
        {
            "id": action_id,
            "what": form["what"],
            "owner": form["owner"],
            "due_on": form["due_on"].isoformat(),
            "status": form["status"],
            "now": clock.to_iso(clock.now()),
        },
    )
    return cursor.rowcount == 1


def list_actions(db, today=None, status=None, owner_id=None, overdue=False, action_id=None):
    """The actions a list asks for (status, owner, overdue: open and due before today)."""
    return list(
        db.query(
            ACTIONS_SQL,
            {
                "status": status,
                "owner_id": owner_id,
                "overdue": int(overdue),
                "today": today.isoformat() if today else None,
                "id": action_id,
                "limit": LISTED,
            },
        )
    )


def find_action(db, action_id):
    """One action's row, or None."""
    found = list_actions(db, action_id=action_id)
    return found[0] if found else None


def read_filters(args):
    """The list's filters from a query string: status, mine=1, overdue=1; RangeError
    naming a parameter with any other value."""
    errors = {}
    status = args.get("status") or None
    if status is not None and status not in STATUSES:
        errors["status"] = f"must be one of {', '.join(STATUSES)}"
    mine, overdue = (read_flag(args, name, errors) for name in ("mine", "overdue"))
    if errors:
        raise RangeError(errors)
    return status, mine, overdue


class FiguresNow:
    """The figures now of every action in a list, each scope and range read once."""

    def __init__(self, db, config):
        self.db, self.config = db, config
        self.today = clock.today(config["TIMEZONE"])
        self.scopes, self.figures = {}, {}

    def scope(self, row):
        """The action's Scope, as it is today (a team or person may be renamed)."""
        key = (row["scope"], row["scope_id"])
        if key not in self.scopes:
            self.scopes[key] = find_scope(self.db, row["scope"], row["scope_id"])
        return self.scopes[key]

    def read(self, row):
        """The action with `value_now` over `now_from`–`now_to` (an admin's: `now_period`),
        the days it was opened over as dates (`opened_days`), and its scope's `shown` name
        and `person_name`."""
        scope = self.scope(row)
        opened = clock.parse_day(row["opened_from"]), clock.parse_day(row["opened_to"])
        if row["scope"] == "admin":
            period = now_period(self.db, self.config, row["scope_id"])
            days = tuple(clock.parse_day(day) for day in clock.period_days(period))
        else:
            period, days = None, now_days(*opened, self.today)
        figures = self.figures_of(scope, days, period) if scope else None
        figure = figures and figures.get(row["metric"])
        return dict(
            row,
            value_now=figure.value if figure else None,
            now_from=days[0],
            now_to=days[1],
            now_period=period,
            opened_days=opened,
            shown=scope.name if scope else row["scope_name"],
            person_name=scope.person_name if scope else None,
        )

    def figures_of(self, scope, days, period):
        """Every figure of a scope over some days (an admin's: a month), read once."""
        key = (scope, days)
        if key not in self.figures:
            if scope.kind == "admin":
                self.figures[key] = admin_figures(self.db, self.config, scope.id, period)
            else:
                self.figures[key] = report_figures(self.db, self.config, scope, *days)
        return self.figures[key]


def with_figures_now(db, config, rows):
    """Each action row with its figure now (see FiguresNow.read)."""
    now = FiguresNow(db, config)
    return [now.read(row) for row in rows]


def api_row(row):
    """An action as the API's ROW (ROW_FIELDS, in order)."""
    return {field: row[field] for field in ROW_FIELDS}


def owner_choices(db, current=None):
    """People who can own an action, by name with the email, for a select keyed by email:
    everyone who signs in, and the current owner even if they no longer do (said so)."""
    people = db.query(
        "SELECT email, name, active FROM users WHERE active = 1 OR email = ? "
        "ORDER BY coalesce(name, email)",
        [current],
    )
    return {
        person["email"]: name_and_email(person["name"], person["email"])
        + ("" if person["active"] else ", who can no longer sign in")
        for person in people
    }
