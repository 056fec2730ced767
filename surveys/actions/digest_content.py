"""What a digest says: the period's tiles with their change since the period before, top and
bottom agents, targets missed, open and overdue follow-ups, and the summary by agent
attached as CSV and Excel, exactly as /reports/summary.csv and .xlsx would give it.

Every figure comes from the reports wing (the rollups), so a digest and the dashboard over
the same days agree to the last decimal.
"""

import secrets
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urlencode

from flask import render_template

from surveys import clock
from surveys.customers.mail import message_id
from surveys.reports.business_queries import COMPANY, month_rows
from surveys.reports.call_queries import call_groups
from surveys.reports.exports import XLSX_MIMETYPE, csv_lines, download_filename, xlsx_chunks
from surveys.reports.kpi_queries import difference, kpi_figures, kpi_sums, overall_sums, rounded
from surveys.reports.ranges import ReportRange
from surveys.reports.score_queries import (
    COMPARE_FIELDS,
    ROW_FIELDS,
    answer_counts,
    change_values,
    format_row,
    row_fields,
    score_groups,
    summed_counts,
)
from surveys.reports.scoring import rank_groups, summarise, target_met, too_few
from surveys.reports.targets import BY_NAME, report_targets

# The survey tiles: (score, label, digits, unit of the value, field holding its n).
SCORE_TILES = (
    ("csat_pct", "CSAT", 1, "%", "csat_n"),
    ("ces_mean", "CES (mean, 1–7)", 2, "", "ces_n"),
    ("nps", "NPS", 1, "", "nps_n"),
    ("response_rate", "Response rate", 1, "%", None),
)
# The ticket tiles: (figure, its target's name or None, label, digits, unit of the value).
KPI_TILES = (
    ("frt_mean_h", "frt_hours", "First response time (mean)", 1, " h"),
    ("frt_compliance_pct", "frt_compliance_pct", "First responses within the standard", 1, "%"),
    ("resolution_median_h", "resolution_median_h", "Resolution time (median)", 1, " h"),
    ("fcr_pct", "fcr_pct", "First contact resolution", 1, "%"),
    ("escalation_pct", "escalation_pct", "Escalation rate", 1, "%"),
    ("reopen_pct", "reopen_pct", "Reopen rate", 1, "%"),
    ("repeat_pct", "repeat_pct", "Repeat rate", 1, "%"),
    ("tickets", None, "Tickets closed", 0, ""),
)
# The phone-queue tiles, as KPI_TILES (the service level's standard is in its label).
CALL_TILES = (
    ("asa_s", "asa_s", "Average speed of answer", 1, " s"),
    ("service_level_pct", "service_level_pct", "Calls answered within {} s", 1, "%"),
    ("abandon_pct", "abandon_pct", "Abandoned calls", 1, "%"),
    ("failure_pct", None, "Failed calls", 1, "%"),
    ("calls", None, "Calls offered", 0, ""),
)
# The monthly business tiles: (figure, label, digits, unit of the value).
BUSINESS_TILES = (
    ("crr_pct", "Customer retention rate (CRR), {month}", 1, "%"),
    ("churn_pct", "Churn rate, {month}", 1, "%"),
    ("cost_per_resolution", "Cost per resolution, {month}", 2, ""),
)
# How many agents the mail names at the top and at the bottom of the leaderboard.
AGENTS_NAMED = 3

# Follow-ups not yet closed; overdue, as on /follow-ups, is still open past its due time.
FOLLOW_UPS_SQL = """
SELECT coalesce(sum(status = 'open'), 0) AS open,
       coalesce(sum(status = 'open' AND due_at < :now), 0) AS overdue,
       coalesce(sum(status = 'contacted'), 0) AS contacted
  FROM follow_ups WHERE status IN ('open', 'contacted')
"""


def number(value, digits, unit=""):
    """A figure as the mail shows it, or a dash where there is nothing to count."""
    return "–" if value is None else f"{value:.{digits}f}{unit}"


@dataclass(frozen=True)
class Tile:
    """One figure of the period, beside the period before and its target."""

    label: str
    value: object
    digits: int
    unit: str
    previous: object
    change: object
    significant: object  # True/False for a survey score; None for a ticket figure
    target: object  # the target's value, or None for a figure without one
    higher_is_better: bool
    judged: bool  # False when the score rests on fewer than MIN_N answers
    n_text: str
    # What `previous` is, when not the period before (a monthly figure's month before).
    previous_label: str | None = None

    @property
    def shown(self):
        """The figure with its unit."""
        return number(self.value, self.digits, self.unit)

    @property
    def met(self):
        """True or False against the target; None without a figure, target or judgement."""
        return target_met(self.value, self.target, self.higher_is_better) if self.judged else None

    def target_text(self):
        """ "at least 85.0%: met", "at most 24.0 h: not met", or why it is not judged."""
        if self.target is None:
            return ""
        bound = "at least" if self.higher_is_better else "at most"
        text = f"target {bound} {number(self.target, 1, self.unit)}"
        if not self.judged:
            return f"{text}: not judged, too few answers"
        if self.met is None:
            return f"{text}: nothing to judge"
        return f"{text}: {'met' if self.met else 'not met'}"

    def change_text(self, previous_label):
        """The change since the period before, saying from what and whether it matters."""
        previous_label = self.previous_label or previous_label
        if self.change is None:
            if self.value is None:
                return "no change to show: nothing to count in this period"
            if self.previous is None:
                return f"no change to show: nothing to count in {previous_label}"
            return "no change to show: it needs at least 2 answers in each period"
        before = number(self.previous, self.digits, self.unit)
        if self.change == 0:
            return f"unchanged from {before} in {previous_label}"
        arrow = "▲" if self.change > 0 else "▼"
        points = " points" if self.unit == "%" or self.label == "NPS" else self.unit
        text = f"{arrow} {self.change:+.{self.digits}f}{points} from {before} in {previous_label}"
        if self.significant is not None:
            return f"{text}, {'significant' if self.significant else 'within noise'}"
        if self.target is not None:
            better = (self.change > 0) == self.higher_is_better
            return f"{text}, {'better' if better else 'worse'}"
        return text


@dataclass(frozen=True)
class Attachment:
    """A file the digest carries: its name, MIME type and bytes."""

    filename: str
    maintype: str
    subtype: str
    content: bytes


@dataclass(frozen=True)
class DigestContent:
    """Everything one period's digest says, the same for every manager who gets it."""

    period: object
    previous: object
    has_data: bool
    tiles: tuple
    top_agents: tuple
    bottom_agents: tuple
    min_ranked: int
    follow_ups: dict
    dashboard_url: str
    follow_ups_url: str
    attachments: tuple

    @property
    def missed(self):
        """The tiles whose target was not met."""
        return tuple(tile for tile in self.tiles if tile.met is False)


def score_tiles(db, config, now_range, then_range, targets):
    """The survey tiles: this period's scores, each with its change since the period before
    (computed as the dashboard's compare does: from the unrounded counts)."""
    now_counts = answer_counts(summed_counts(db, now_range)[1])
    then_counts = answer_counts(summed_counts(db, then_range)[1])
    values = {**summarise(now_counts), **change_values(now_counts, then_counts)}
    row = format_row("all", values, ROW_FIELDS + COMPARE_FIELDS)
    tiles = []
    for name, label, digits, unit, n_field in SCORE_TILES:
        n = row[n_field] if n_field else row["invitations_sent"]
        n_text = (
            f"{row['responses']} responses to {row['invitations_sent']} invitations sent"
            if n_field is None
            else f"n = {n}"
        )
        tiles.append(
            Tile(
                label=label,
                value=row[name],
                digits=digits,
                unit=unit,
                previous=row[f"{name}_prev"],
                change=row[f"{name}_change"],
                significant=row[f"{name}_change_significant"],
                target=targets[name],
                higher_is_better=BY_NAME[name].higher_is_better,
                judged=n_field is None or not too_few(n, config["MIN_N"]),
                n_text=n_text,
            )
        )
    return tiles


def kpi_tiles(db, now_range, then_range, targets):
    """The ticket tiles, each with its change since the period before (no interval: every
    ticket is counted)."""
    frt_target_h = targets["frt_hours"]
    now = kpi_figures(*overall_sums(*kpi_sums(db, now_range)[:2]), frt_target_h)
    then = kpi_figures(*overall_sums(*kpi_sums(db, then_range)[:2]), frt_target_h)
    changes = rounded({name: difference(now[name], then[name]) for name in now})
    now, then = rounded(now), rounded(then)
    tiles = []
    for name, target_name, label, digits, unit in KPI_TILES:
        target = BY_NAME[target_name] if target_name else None
        tiles.append(
            Tile(
                label=label,
                value=now[name],
                digits=digits,
                unit=unit,
                previous=then[name],
                change=changes[name],
                significant=None,
                target=targets[target_name] if target else None,
                higher_is_better=target.higher_is_better if target else True,
                judged=True,
                n_text="",
            )
        )
    return tiles, now["tickets"]


def call_tiles(db, config, now_range, then_range, targets):
    """The phone-queue tiles, each with its change since the period before; and the
    calls offered."""
    standard = config["SERVICE_LEVEL_SECONDS"]
    [now], [then] = (
        call_groups(db, report_range, standard)[0] for report_range in (now_range, then_range)
    )
    tiles = []
    for name, target_name, label, digits, unit in CALL_TILES:
        target = BY_NAME[target_name] if target_name else None
        tiles.append(
            Tile(
                label=label.format(standard),
                value=now[name],
                digits=digits,
                unit=unit,
                previous=then[name],
                change=difference(now[name], then[name]),
                significant=None,
                target=targets[target_name] if target else None,
                higher_is_better=target.higher_is_better if target else True,
                judged=True,
                n_text=f"of {now['calls']} calls offered" if unit == "%" else "",
            )
        )
    return tiles, now["calls"]


def business_n_text(name, row):
    """What a business figure is made of, in a few words."""
    if name == "cost_per_resolution":
        if row["support_cost"] is None:
            return "no support cost entered"
        return f"support cost {row['support_cost']:,.2f} ÷ {row['tickets']} tickets closed"
    if row["crr_pct"] is None:
        return "customers not entered"
    kept = row["customers_end"] - row["customers_new"]
    return f"{kept} of {row['customers_start']} customers kept"


def business_tiles(db, period, targets):
    """CRR, churn and cost per resolution of the company's last month ended by the
    period's end (the period's own month, for a monthly digest), beside the month before
    and their targets."""
    month = clock.add_months(clock.add_days(period.last_day, 1).strftime("%Y-%m"), -1)
    before, now = month_rows(db, COMPANY, clock.add_months(month, -1), month)
    return [
        Tile(
            label=label.format(month=month),
            value=now[name],
            digits=digits,
            unit=unit,
            previous=before[name],
            change=difference(now[name], before[name]),
            significant=None,
            target=targets[name],
            higher_is_better=BY_NAME[name].higher_is_better,
            judged=True,
            n_text=business_n_text(name, now),
            previous_label=before["month"],
        )
        for name, label, digits, unit in BUSINESS_TILES
    ]


def agent_line(row):
    """An agent on the leaderboard: by name, with CSAT, its interval's low end and n."""
    name = row["agent_name"] or row["group"]
    return {
        "name": name,
        "email": row["group"] if row["group"] != name else None,
        "csat_pct": number(row["csat_pct"], 1, "%"),
        "csat_low": number(row["csat_low"], 1, "%"),
        "csat_n": row["csat_n"],
    }


def leaderboard(rows, min_n):
    """(top, bottom) agents by the leaderboard's rule: ranked by the low end of their CSAT
    interval, among agents with at least `min_n` answers; the bottom ones worst first."""
    ranked, _ = rank_groups([row for row in rows if row["group"] is not None], min_n)
    top = ranked[:AGENTS_NAMED]
    bottom = ranked[len(top) :][-AGENTS_NAMED:][::-1]
    return tuple(map(agent_line, top)), tuple(map(agent_line, bottom))


def follow_up_counts(db, now):
    """Follow-ups open (and of those, overdue) and contacted but not closed, at `now`."""
    return next(db.query(FOLLOW_UPS_SQL, {"now": clock.to_iso(now)}))


def summary_attachments(summary_range, rows):
    """The summary by agent as /reports/summary.csv and .xlsx give it: same name, columns
    and cells (exports.py writes both)."""
    fields = row_fields(summary_range)
    csv_name = download_filename("summary", summary_range, "csv")
    xlsx_name = download_filename("summary", summary_range, "xlsx")
    csv_bytes = "".join(csv_lines(rows, fields)).encode("utf-8")
    xlsx_bytes = b"".join(xlsx_chunks(rows, fields, sheet_name=xlsx_name.rsplit(".", 1)[0][:31]))
    xlsx_type = XLSX_MIMETYPE.split("/")
    return (
        Attachment(csv_name, "text", "csv", csv_bytes),
        Attachment(xlsx_name, xlsx_type[0], xlsx_type[1], xlsx_bytes),
    )


def digest_content(db, config, period, now):
    """What the digest of `period` says, read at `now` (follow-ups are counted as they
    stand when it is sent)."""
    previous = period.previous()
    now_range = ReportRange(period.first_day, period.last_day, None)
    then_range = ReportRange(previous.first_day, previous.last_day, None)
    targets, _ = report_targets(db, config, now_range)
    tiles = score_tiles(db, config, now_range, then_range, targets)
    ticket_tiles, tickets = kpi_tiles(db, now_range, then_range, targets)
    phone_tiles, calls = call_tiles(db, config, now_range, then_range, targets)
    summary_range = ReportRange(period.first_day, period.last_day, "agent")
    rows, overall, _ = score_groups(db, summary_range)
    top, bottom = leaderboard(rows, config["LEADERBOARD_MIN_N"])
    dashboard_args = {"from": period.first_day.isoformat(), "to": period.last_day.isoformat()}
    base_url = config["BASE_URL"].rstrip("/")
    return DigestContent(
        period=period,
        previous=previous,
        has_data=bool(tickets or calls or overall["invitations_sent"] or overall["responses"]),
        tiles=tuple(tiles + ticket_tiles + phone_tiles + business_tiles(db, period, targets)),
        top_agents=top,
        bottom_agents=bottom,
        min_ranked=config["LEADERBOARD_MIN_N"],
        follow_ups=follow_up_counts(db, now),
        dashboard_url=f"{base_url}/reports?{urlencode(dashboard_args)}",
        follow_ups_url=f"{base_url}/follow-ups?overdue=1",
        attachments=summary_attachments(summary_range, rows),
    )


def digest_message(config, content, recipient, recipient_name=None, message_seed=None):
    """The digest as a multipart mail: text and HTML parts, then the CSV and Excel files.

    `message_seed` is (id, created_at) of its digest_outbox row, so every attempt carries
    the same Message-ID; a digest sent on demand gets one of its own.
    """
    company = config["COMPANY_NAME"]
    context = {
        "company": company,
        "content": content,
        "period_label": content.period.label(),
        "previous_label": content.previous.label(),
        "recipient_name": recipient_name,
    }
    message = EmailMessage()
    message["Subject"] = (
        f"{company}: your {content.period.kind} digest for {content.period.label()}"
    )
    sender_address = Address(addr_spec=config["MAIL_FROM"])
    message["From"] = Address(
        display_name=f"Puas · {company}",
        username=sender_address.username,
        domain=sender_address.domain,
    )
    # Address() refuses CR/LF in names and addresses: no header can be injected here.
    message["To"] = Address(display_name=recipient_name or "", addr_spec=recipient)
    now = clock.now()
    message["Date"] = format_datetime(now)
    # A digest sent on demand has no row: a random id keeps its Message-ID its own.
    seed_id, seed_at = message_seed or (f"now-{secrets.token_hex(8)}", clock.to_iso(now))
    message["Message-ID"] = message_id(
        config, f"digest-{seed_id}", seed_at, sender_address.domain or "localhost"
    )
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_template("email/digest.txt", **context))
    message.add_alternative(render_template("email/digest.html", **context), subtype="html")
    for attachment in content.attachments:
        message.add_attachment(
            attachment.content,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
        )
    return message
