"""The `flask` commands: users, API keys, integrations, the outbox, digests, rollups, demo
data."""

import functools
import json
import sqlite3
import sys
from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from surveys import clock
from surveys.actions import digests
from surveys.actions.digest_periods import NAMED_PERIODS
from surveys.customers import outbox, personal_data
from surveys.customers.mail import pass_summary
from surveys.demo import (
    DEMO_ADMIN_EMAIL,
    DEMO_ADMIN_PASSWORD,
    DEMO_AGENT_EMAIL,
    DEMO_AGENT_PASSWORD,
    DEMO_MANAGER_EMAIL,
    DEMO_MANAGER_PASSWORD,
    DEMO_STAFF_EMAIL,
    DEMO_STAFF_PASSWORD,
    seed,
)
from surveys.helpdesk import call_imports, import_stream, imports, outbound
from surveys.helpdesk import integrations as webhooks
from surveys.helpdesk import payloads as integrations
from surveys.reports import business_queries
from surveys.staff.accounts import ROLES, UserError, create_api_key, create_user
from surveys.store import backups, rollups, terms
from surveys.store import db as store_db  # its BUSY_TIMEOUT_SECONDS, read when it is said
from surveys.store.db import connect, immediate, is_busy
from surveys.text import clean_email

api_key_cli = AppGroup("api-key", help="Create, list and revoke API keys for help desks.")
outbox_cli = AppGroup("outbox", help="Deliver the invitation mails waiting in the outbox.")
integration_cli = AppGroup("integration", help="Help-desk webhooks: create, list, revoke.")
digest_cli = AppGroup("digest", help="Managers' weekly and monthly digests by mail.")
customer_cli = AppGroup("customer", help="A customer's personal data: export it, erase it.")
retention_cli = AppGroup("retention", help="Erase personal data older than RETENTION_MONTHS.")
rollups_cli = AppGroup("rollups", help="The counts reports read (kept up to date by triggers).")
# An import's exit status when it finished but refused rows: apart from 1, a failure (its
# `Error:` line says what; nothing more was stored) and 2, a command line click refused.
REFUSED_STATUS = 3


@contextmanager
def command_db():
    """A connection for a command (commands run outside any request); UserError → Error:."""
    db = connect(current_app.config["DATABASE"])
    try:
        yield db
    except UserError as error:
        raise click.ClickException(str(error)) from error
    finally:
        db.close()


def revoke_named(table, name, noun):
    """Revoke the active row of `table` (api_keys or integrations, never user input) named
    `name`, and say so; ClickException when there is none."""
    with command_db() as db, immediate(db):
        cursor = db.execute(
            f"UPDATE {table} SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",  # noqa: S608
            [clock.to_iso(clock.now()), name.strip()],
        )
    if not cursor.rowcount:
        raise click.ClickException(f"no active {noun} named {name!r}")
    click.echo(f"{noun[0].upper()}{noun[1:]} {name!r} revoked.")


def read_password():
    """Prompt twice on a terminal; read one line from standard input otherwise."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="staff rate admins; managers see every score and manage Puas.",
)
@click.option("--name", default=None, help="The person's name, as shown in the app.")
@click.option(
    "--admin",
    "rated",
    is_flag=True,
    help="An administrative employee: staff rate them on speed, initiative and accuracy.",
)
def create_user_command(email, role, name, rated):
    """Add a person who signs in; the password is prompted for (or read from stdin)."""
    with command_db() as db:
        stored_email = create_user(db, email, read_password(), role, name=name, rated=rated)
    click.echo(f"Created {role} {stored_email}{' (an admin, rated by staff)' if rated else ''}.")


@api_key_cli.command("create")
@click.argument("name")
def api_key_create(name):
    """Create a key for a help desk; it is printed once and stored only as a hash."""
    with command_db() as db:
        key = create_api_key(db, name)
    click.echo(f"API key {name.strip()!r} created. Copy it now; Puas cannot show it again:")
    click.echo(key)


@api_key_cli.command("list")
def api_key_list():
    """List keys by name, with when they were created and revoked."""
    with command_db() as db:
        rows = list(db.query("SELECT name, created_at, revoked_at FROM api_keys ORDER BY name"))
    if not rows:
        click.echo("No API keys yet: flask api-key create NAME")
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        click.echo(f"{row['name']}\tcreated {row['created_at']}\t{state}")


@api_key_cli.command("revoke")
@click.argument("name")
def api_key_revoke(name):
    """Revoke a key: requests with it are refused from now on."""
    revoke_named("api_keys", name, "API key")


@outbox_cli.command("send-due")
def outbox_send_due():
    """Deliver every message (and response for a hook) that is due now, once, and exit.

    Exits with status 1 when a mail pass reports the mail server unreachable, so cron or
    a script notices; the mail stays queued for the next run.
    """
    outcomes = outbox.send_due(current_app.config)
    click.echo(pass_summary(outcomes))
    posted = outbound.send_due_pass(current_app.config)
    if any(posted.values()):
        click.echo(
            "responses to hooks: "
            + ", ".join(f"{count} {outcome}" for outcome, count in posted.items())
        )
    passes = {"invitations": outcomes} | outbox.staff_mail_passes(
        current_app.config, click.echo, unreachable=outcomes.get("unreachable")
    )
    # A pass that ended at a server it could not reach says so in its counts.
    unreachable = [name for name, counts in passes.items() if counts.get("unreachable")]
    if unreachable:
        raise click.ClickException(
            f"no connection to the mail server ({', '.join(unreachable)}); "
            "the mail stays queued for the next run"
        )


@outbox_cli.command("run")
def outbox_run():
    """Keep delivering due messages until stopped (Ctrl+C or SIGTERM)."""
    outbox.run_forever(current_app.config, echo=click.echo)


@integration_cli.command("create")
@click.argument("kind", type=click.Choice(integrations.KINDS))
@click.argument("name")
def integration_create(kind, name):
    """Add a help desk's webhook; prints its URL and secret once."""
    with command_db() as db:
        try:
            integration_id, secret = webhooks.create_integration(db, kind, name)
        except webhooks.IntegrationError as error:
            raise click.ClickException(str(error)) from error
    click.echo(
        f"Integration {name.strip()!r} ({kind}) created. Copy these now; "
        "Puas cannot show the secret again:"
    )
    click.echo(f"URL     {webhooks.webhook_url(integration_id)}")
    click.echo(f"Secret  {secret}")
    if kind in ("zendesk", "chatwoot"):
        click.echo(
            f"{kind.capitalize()} makes its own signing secret: once the webhook exists "
            f"there, store it with: flask integration set-secret {name.strip()!r}"
        )


@integration_cli.command("set-secret")
@click.argument("name")
def integration_set_secret(name):
    """Store the signing secret a help desk made (read like a password)."""
    secret = read_password().strip()
    with command_db() as db:
        row = db.execute(
            "SELECT id FROM integrations WHERE name = ? AND revoked_at IS NULL", [name.strip()]
        ).fetchone()
        if row is None:
            raise click.ClickException(f"no active integration named {name!r}")
        try:
            webhooks.set_secret(db, row[0], secret)
        except webhooks.IntegrationError as error:
            raise click.ClickException(str(error)) from error
    click.echo(f"Secret of {name!r} replaced.")


@integration_cli.command("list")
def integration_list():
    """List integrations with their URL, kind and state."""
    with command_db() as db:
        rows = list(db.query("SELECT id, kind, name, revoked_at FROM integrations ORDER BY id"))
    if not rows:
        click.echo("No integrations yet: flask integration create KIND NAME")
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        click.echo(f"{row['name']}\t{row['kind']}\t{webhooks.webhook_url(row['id'])}\t{state}")


@integration_cli.command("revoke")
@click.argument("name")
def integration_revoke(name):
    """Refuse an integration's webhooks from now on."""
    revoke_named("integrations", name, "integration")


# The options both CSV imports take.
map_option = click.option(
    "--map",
    "overrides",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Read FIELD from the column named COLUMN (repeatable); others are guessed.",
)
dry_run_option = click.option("--dry-run", is_flag=True, help="Check every row and store nothing.")


@click.command("import-tickets")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@map_option
@click.option("--survey", is_flag=True, help="Survey the customers (default: reports only).")
@dry_run_option
@with_appcontext
def import_tickets_command(file, overrides, survey, dry_run):
    """Import closed tickets from a help desk's CSV export; the same file twice adds nothing."""
    export, mapping = checked_export(file, overrides, imports.FIELDS, imports.missing_required)
    if dry_run:
        dry_run_import(export, mapping, imports.parse_row)
        return
    counts = stored_import(
        lambda db: import_stream.import_rows(
            db, export, mapping, current_app.config, echo_refused, echo_progress, survey
        )
    )
    click.echo(
        f"{counts.created:,} new, {counts.duplicates:,} already stored, "
        f"{counts.refused:,} refused; "
        f"{'surveyed by the usual rules' if survey else 'nobody surveyed'}."
    )
    exit_when_refused(counts.refused)


@click.command("import-calls")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@map_option
@dry_run_option
@with_appcontext
def import_calls_command(file, overrides, dry_run):
    """Import calls from a phone system's call log (CSV); the same file twice adds nothing."""
    export, mapping = checked_export(
        file, overrides, call_imports.FIELDS, call_imports.missing_required
    )
    if dry_run:
        dry_run_import(export, mapping, call_imports.parse_row)
        return
    counts = stored_import(
        lambda db: import_stream.import_calls(
            db, export, mapping, current_app.config, echo_refused, echo_progress
        )
    )
    click.echo(
        f"{counts.created:,} new, {counts.duplicates:,} already stored, {counts.refused:,} refused."
    )
    exit_when_refused(counts.refused)


def checked_export(path, overrides, fields, missing_required):
    """(the Export at `path`, its mapping to `fields`) for an import, once the file is
    checked whole and every required field has a column; says which column each field is
    read from, and how many rows there are to read."""
    try:
        export = import_stream.check_export(path)
        mapping = import_stream.column_mapping(export.header, overrides, fields)
    except imports.ImportFileError as error:
        raise click.ClickException(str(error)) from error
    if missing := missing_required(mapping):
        raise click.ClickException(f"no column for {', '.join(missing)}: add --map FIELD=COLUMN")
    click.echo(
        "Columns: "
        + ", ".join(f"{name} = {export.header[index]!r}" for name, index in mapping.items())
    )
    click.echo("1 row to read." if export.rows == 1 else f"{export.rows:,} rows to read.", err=True)
    return export, mapping


def dry_run_import(export, mapping, parse):
    """--dry-run: every row checked by `parse`, the refused ones listed, nothing stored."""
    try:
        counts = import_stream.check_rows(
            export, mapping, current_app.config["TIMEZONE"], echo_refused, echo_progress, parse
        )
    except imports.ImportFileError as error:
        raise click.ClickException(str(error)) from error
    click.echo(dry_run_line(counts.valid, counts.refused))
    exit_when_refused(counts.refused)


def stored_import(import_file):
    """The Counts of import_file(db), on a command connection; an import that stopped
    part way ends the command with what it stored and that running it again is safe."""
    try:
        with command_db() as db:
            return import_file(db)
    except import_stream.ImportStopped as stopped:
        counts = stopped.counts
        raise click.ClickException(
            f"{stopped}. {counts.created:,} rows stored before it stopped ({counts.read:,} "
            f"read: {counts.created:,} new, {counts.duplicates:,} already stored, "
            f"{counts.refused:,} refused); running the import again is safe: the rows "
            "stored are recognised, and the rest are stored."
        ) from stopped


def dry_run_line(valid, refused):
    """What a dry run found: '2 rows can be imported, 1 has problems; ...'."""
    can = "1 row can" if valid == 1 else f"{valid:,} rows can"
    has = "1 has" if refused == 1 else f"{refused:,} have"
    return f"{can} be imported, {has} problems; nothing stored (--dry-run)."


def exit_when_refused(refused):
    """End with REFUSED_STATUS when rows were refused, so a scheduled import that leaves
    rows out is noticed (its rows are listed above, the valid ones stored)."""
    if refused:
        click.get_current_context().exit(REFUSED_STATUS)


def echo_refused(line, errors):
    """A refused row, as soon as it is met: its line and what is wrong (to stderr)."""
    click.echo(
        f"line {line}: " + "; ".join(f"{name} {message}" for name, message in errors.items()),
        err=True,
    )


def echo_progress(counts):
    """How far an import has got (to stderr), once the rows counted are stored."""
    click.echo(
        f"{counts.read:,} of {counts.total:,} rows read: {counts.created:,} new, "
        f"{counts.duplicates:,} already stored, {counts.refused:,} refused",
        err=True,
    )


@rollups_cli.command("rebuild")
def rollups_rebuild():
    """Recompute repeat flags and every rollup from the raw rows (after hand-made changes)."""
    window = current_app.config["REPEAT_WINDOW_DAYS"]
    with command_db() as db, immediate(db):
        rollups.rebuild(db, window)
        terms.reindex(db)  # the comments' terms stemmed again, then counted
        counts = {
            table: db[table].count
            for table in (
                "survey_rollups",
                "ticket_rollups",
                "duration_rollups",
                "agent_duration_rollups",
                "term_rollups",
                "call_rollups",
                "call_wait_rollups",
            )
        }
    click.echo(
        "Rollups rebuilt (repeat window {} days): {}.".format(
            window, ", ".join(f"{count} rows in {table}" for table, count in counts.items())
        )
    )


@digest_cli.command("send")
@click.option(
    "--period",
    "named_period",
    type=click.Choice(tuple(NAMED_PERIODS)),
    required=True,
    help="last_week: Monday to Sunday just ended; last_month: the calendar month before.",
)
@click.option("--to", default=None, help="Send it to this address only.")
def digest_send(named_period, to):
    """Send a digest now, to --to or to every manager who chose that kind."""
    if to is not None:
        try:
            to = clean_email(to)
        except ValueError as error:
            raise click.ClickException(f"--to {error}") from error
    try:
        period, sent_to = digests.send_now(current_app.config, named_period, to)
    except digests.SendingStopped as stopped:
        said = [f"the digest to {stopped.failed_for} was not sent: {stopped.__cause__}"]
        if stopped.sent_to:
            said.insert(0, f"the digest went to {', '.join(stopped.sent_to)}")
        if stopped.not_tried:
            said.append(f"not tried: {', '.join(stopped.not_tried)}")
        raise click.ClickException("; ".join(said)) from stopped.__cause__
    if not sent_to:
        kind = NAMED_PERIODS[named_period]
        click.echo(f"No manager chose the {kind} digest; nothing sent (use --to EMAIL).")
        return
    click.echo(f"Digest for {period.label()} sent to {', '.join(sent_to)}.")


def customer_address(email):
    """The address as Puas stores it (trimmed, lower-cased), or a usage error."""
    try:
        return clean_email(email)
    except ValueError as error:
        raise click.BadParameter(f"EMAIL {error}") from error


@customer_cli.command("export")
@click.argument("email")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the JSON to this file.")
def customer_export(email, out):
    """Print everything Puas holds about EMAIL as JSON (or write it to --out)."""
    address = customer_address(email)
    with command_db() as db:
        held = personal_data.export_customer(db, address)
    if held is None:
        click.echo(f"Nothing held about {address}.")
        return
    text = json.dumps(held, indent=2, ensure_ascii=False)
    if out:
        with open(out, "w", encoding="utf-8") as file:
            file.write(text + "\n")
        click.echo(f"Wrote what Puas holds about {address} to {out}.")
    else:
        click.echo(text)


@customer_cli.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Erase without asking.")
def customer_erase(email, yes):
    """Erase EMAIL's address, name and comments everywhere; scores stay, as do reports."""
    address = customer_address(email)
    with command_db() as db:
        if personal_data.export_customer(db, address) is None:
            click.echo(f"Nothing held about {address}.")
            return
        if not yes:
            click.confirm(f"Erase the personal data of {address}? It cannot be undone.", abort=True)
        erasure = personal_data.erase_customer(db, address, current_app.config["MAIL_DIR"])
    if erasure is None:
        click.echo(f"Nothing held about {address} but its suppression, which stays.")
        return
    click.echo(
        f"Erased {address}: {erasure['tickets']} tickets, {erasure['invitations']} "
        f"invitations, {erasure['responses']} responses, {erasure['other_rows']} other rows "
        f"and files (erasure {erasure['id']}; the address stays suppressed, as a hash)."
    )


@retention_cli.command("run")
def retention_run():
    """Erase the personal data of tickets closed more than RETENTION_MONTHS ago, now."""
    with command_db() as db:
        click.echo(personal_data.apply_retention(db, current_app.config))


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path):
    """Write a checked copy of the database to PATH, while Puas keeps serving."""
    try:
        report = backups.take_backup(current_app.config["DATABASE"], path)
    except backups.BackupRefused as error:
        raise click.ClickException(str(error)) from error
    for line in report.lines():
        click.echo(line)


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Replace the database without asking.")
@with_appcontext
def restore_command(path, yes):
    """Replace the database with the backup at PATH (Puas must be stopped)."""
    database = current_app.config["DATABASE"]
    try:
        report = backups.check_backup(path)
    except backups.BackupRefused as error:
        raise click.ClickException(str(error)) from error
    for line in report.lines():
        click.echo(line)
    if not yes:
        click.confirm(f"Replace {database} with this backup?", abort=True)
    try:
        backups.restore_backup(path, database)
    except backups.BackupRefused as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {database} from {path}; run `flask init-db`, then start Puas.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Load demo people, tickets and answers into an empty database."""
    with command_db() as db:
        created = seed(db, current_app.config)
    if not created:
        click.echo("The database already has data; demo data not loaded.")
        return
    click.echo(f"Demo data loaded: {created}.")
    sign_in = f"{current_app.config['BASE_URL']}/login"
    click.echo(
        f"Sign in at {sign_in} as manager {DEMO_MANAGER_EMAIL} with password "
        f"{DEMO_MANAGER_PASSWORD}"
    )
    click.echo(
        f"  or as staff {DEMO_STAFF_EMAIL} / {DEMO_STAFF_PASSWORD} (rates admins), or "
        f"as admin {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD} (sees her scorecard)"
    )
    click.echo(f"  or as agent {DEMO_AGENT_EMAIL} / {DEMO_AGENT_PASSWORD} (sees her own scores)")


@click.command("import-months")
@click.argument("file", type=click.File("rb"))
@click.option("--team", help="The team whose months these are (default: the company).")
@with_appcontext
def import_months_command(file, team):
    """Import monthly business figures from a CSV file: every month, or none."""
    this_month = clock.current_period(current_app.config["TIMEZONE"])
    with command_db() as db:
        team_id = business_queries.team_id_named(db, team)
        if team_id is None:
            raise click.ClickException(f"--team {team!r}: no team has that name")
        outcome = business_queries.read_months_csv(file.read(), this_month)
        stored = business_queries.import_months(db, team_id, outcome)
    for line, errors in outcome.errors:
        echo_refused(line, errors)
    if outcome.errors:
        raise click.ClickException(f"{len(outcome.errors)} lines refused; nothing stored.")
    click.echo(f"{stored} month{'' if stored == 1 else 's'} stored.")


def init_app(app):
    """Register the commands."""
    for command in (
        create_user_command,
        api_key_cli,
        outbox_cli,
        rollups_cli,
        digest_cli,
        integration_cli,
        import_tickets_command,
        import_months_command,
        import_calls_command,
        seed_demo_command,
        backup_command,
        customer_cli,
        retention_cli,
        restore_command,
    ):
        app.cli.add_command(command)
    for command in app.cli.commands.values():  # init-db too (surveys.store.db)
        stop_cleanly_when_busy(command)


def stop_cleanly_when_busy(command):
    """Make the command (each of a group's) end with one `Error:` line, not a traceback,
    when the database stays locked past its busy timeout (another process holding a write
    transaction: a rollups rebuild, a restore, a long import). Commands are module-level
    objects that every app shares: each is wrapped once, however many apps are made."""
    if isinstance(command, click.Group):
        for each in command.commands.values():
            stop_cleanly_when_busy(each)
        return
    callback = command.callback
    if getattr(callback, "stops_cleanly_when_busy", False):
        return

    @functools.wraps(callback)
    def guarded(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                raise
            raise click.ClickException(
                "the database stayed busy: another process held its write lock for over "
                f"{store_db.BUSY_TIMEOUT_SECONDS:g} s, so the write this command was making "
                "was not stored (what it finished before stays); run it again once that "
                "process is done"
            ) from error

    guarded.stops_cleanly_when_busy = True
    command.callback = guarded
