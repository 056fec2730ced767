"""The database schema: one migration per change, applied in order (`flask init-db`
applies the pending ones; sqlite-utils records each one's name once it has run).

Each migration runs its frozen statements (surveys/store/frozen/) and nothing else: the
SQL it ran when it shipped, as literal text. Never edit, reorder or rename a shipped
migration; a change to the schema is a new migration with its own frozen module, and
tests/test_migrations.py says what else to update.
"""

from sqlite_utils import Migrations

from surveys.store import frozen

migrations = Migrations("puas")


def run_frozen(db, shipped):
    """Run a frozen module's statements in order, inside the migration's transaction."""
    for statement in shipped.STATEMENTS:
        db.execute(statement)


# SQLite switches to WAL only outside a transaction.
@migrations(transactional=False)
def m001_wal(db):
    """Write-ahead logging: readers work while one writer writes."""
    run_frozen(db, frozen.m001_wal)


@migrations()
def m002_people(db):
    """Users, API keys, agents and teams."""
    run_frozen(db, frozen.m002_people)


@migrations()
def m003_surveys(db):
    """Closures, invitations, survey links, responses and the outbox."""
    run_frozen(db, frozen.m003_surveys)


@migrations()
def m004_internal_ratings(db):
    """Internal ratings, closed months, incidents, deliverables, sign-in attempts."""
    run_frozen(db, frozen.m004_internal_ratings)


@migrations()
def m005_ticket_kpis(db):
    """The indexes ticket KPIs read closures through."""
    run_frozen(db, frozen.m005_ticket_kpis)


@migrations()
def m006_targets(db):
    """The targets managers set."""
    run_frozen(db, frozen.m006_targets)


@migrations()
def m007_rollups(db):
    """Repeat flags, and the rollups reports read, filled and then kept by triggers."""
    run_frozen(db, frozen.m007_rollups)


@migrations()
def m008_integrations(db):
    """Help-desk webhooks, outbound hooks and their queue, CSV imports."""
    run_frozen(db, frozen.m008_integrations)


@migrations()
def m009_distribution(db):
    """Distribution rules, reminders, suppressions, unsubscribe links; new rollup triggers."""
    run_frozen(db, frozen.m009_distribution)


@migrations()
def m010_agent_histograms(db):
    """Duration histograms with the channels merged, filled; new rollup triggers."""
    run_frozen(db, frozen.m010_agent_histograms)


@migrations()
def m011_team_targets(db):
    """Each team's own targets."""
    run_frozen(db, frozen.m011_team_targets)


@migrations()
def m012_agent_pages(db):
    """Agents reading their own scores, ticket links to the help desk, agents' comments."""
    run_frozen(db, frozen.m012_agent_pages)


@migrations()
def m013_close_the_loop(db):
    """Alerts, follow-ups, digests, corrective actions, consent, review link, brand."""
    run_frozen(db, frozen.m013_close_the_loop)


@migrations()
def m014_data_protection(db):
    """Server-side sessions, unknown-link attempts, closures dated on arrival, erasures."""
    run_frozen(db, frozen.m014_data_protection)


@migrations()
def m015_comment_search(db):
    """A full-text index of the comments, kept by triggers, filled from those stored."""
    run_frozen(db, frozen.m015_comment_search)


@migrations()
def m016_comment_terms(db):
    """The comments' terms per response, and the term rollups the themes report reads."""
    run_frozen(db, frozen.m016_comment_terms)


@migrations()
def m017_business_months(db):
    """Monthly business figures, handle times on closures and in the ticket rollups."""
    run_frozen(db, frozen.m017_business_months)


@migrations()
def m018_calls(db):
    """Phone calls, their CSV imports, and the call rollups kept by a trigger."""
    run_frozen(db, frozen.m018_calls)


@migrations()
def m019_comment_words(db):
    """Each comment's words in bm25's order, for one-word searches that stop early."""
    run_frozen(db, frozen.m019_comment_words)


@migrations()
def m020_action_form_keys(db):
    """The key of the form that recorded each corrective action, unique: one action per
    form, however often it is posted."""
    run_frozen(db, frozen.m020_action_form_keys)
