"""Term rollups: how often each term of the comments was written, kept by triggers.

- `term_rollups`: per day and per month × agent × team × channel (0 and '' for none, as in
  surveys.store.rollups) × class × term, how many times the term was written. A response's
  class is `low` when any answered score is low (CSAT 1–2, CES 1–3, NPS 0–6), `high` when
  none is low and one is high (CSAT 4–5, CES 5–7, NPS 9–10), `other` otherwise.
- `term_totals`: the same with agent, team and channel merged, which a report without
  filters reads: a month holds one row per class and term, however many agents.
- `term_forms`: how often each term was written in each form, to show it by its
  commonest ("layanan" and "pelayanan" are both the term "layan").

Stemming is Python, so triggers cannot find a comment's terms: surveys/store/terms.py
writes them into `response_terms` (one row per response, term and form, with the
response's class), and these triggers do the rest in the same transaction: count a row in
when it is stored, out when it goes, and from one class to the other when new scores
change the class. Changing or erasing a comment removes its rows (the caller stores the
new comment's), as does deleting a response. A count that falls to 0 is deleted, so an
erased comment leaves none of its words behind. `surveys.store.rollups.rebuild` recounts
these tables from `response_terms`; `terms.reindex` first re-reads every comment.
"""

# The class of a response row {row} (NULL scores compare as unknown, never low or high).
CLASS_SQL = (
    "CASE WHEN {row}.csat <= 2 OR {row}.ces <= 3 OR {row}.nps <= 6 THEN 'low' "
    "WHEN {row}.csat >= 4 OR {row}.ces >= 5 OR {row}.nps >= 9 THEN 'high' ELSE 'other' END"
)
CLASSES = ("low", "high", "other")
TABLES = ("term_rollups", "term_totals", "term_forms")

SCHEMA = """
CREATE TABLE term_rollups (
    grain TEXT NOT NULL CHECK (grain IN ('day', 'month')), period TEXT NOT NULL,
    agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL, channel TEXT NOT NULL,
    class TEXT NOT NULL CHECK (class IN ('low', 'high', 'other')),
    term TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (grain, period, agent_id, team_id, channel, class, term)
) STRICT, WITHOUT ROWID;
CREATE TABLE term_totals (
    grain TEXT NOT NULL CHECK (grain IN ('day', 'month')), period TEXT NOT NULL,
    class TEXT NOT NULL CHECK (class IN ('low', 'high', 'other')),
    term TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (grain, period, class, term)
) STRICT, WITHOUT ROWID;
CREATE TABLE term_forms (
    term TEXT NOT NULL, form TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (term, form)
) STRICT, WITHOUT ROWID;
"""

_CELL_KEYS = "grain, period, agent_id, team_id, channel, class, term"
_TOTAL_KEYS = "grain, period, class, term"
# The response's invitation (its closing day and cell) for a response_terms row {row}.
_SOURCE = (
    "FROM responses JOIN invitations ON invitations.id = responses.invitation_id "
    "WHERE responses.id = {row}.response_id"
)
_GRAINS = (("day", "invitations.closed_day"), ("month", "substr(invitations.closed_day, 1, 7)"))


def _counted(row, sign, klass):
    """SQL adding (sign 1) or removing (sign -1) a response_terms row's count in class
    `klass` (an SQL expression), both grains, both tables; counts of 0 deleted."""
    statements = []
    source = _SOURCE.format(row=row)
    cell = (
        "coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0), "
        "coalesce(invitations.channel, '')"
    )
    for grain, period in _GRAINS:
        for table, keys, values in (
            ("term_rollups", _CELL_KEYS, f"'{grain}', {period}, {cell}, {klass}, {row}.term"),
            ("term_totals", _TOTAL_KEYS, f"'{grain}', {period}, {klass}, {row}.term"),
        ):
            statements.append(f"""
    INSERT INTO {table} ({keys}, n) SELECT {values}, {sign} * {row}.n {source}
    ON CONFLICT ({keys}) DO UPDATE SET n = n + excluded.n;""")
            if sign < 0:
                statements.append(f"""
    DELETE FROM {table} WHERE n = 0 AND ({keys}) = (SELECT {values} {source});""")
    return "".join(statements)


def _forms(row, sign):
    """SQL adding or removing a response_terms row's count of its form."""
    sql = f"""
    INSERT INTO term_forms (term, form, n) VALUES ({row}.term, {row}.form, {sign} * {row}.n)
    ON CONFLICT (term, form) DO UPDATE SET n = n + excluded.n;"""
    if sign < 0:
        sql += f"""
    DELETE FROM term_forms WHERE term = {row}.term AND form = {row}.form AND n = 0;"""
    return sql


_NEW_CLASS = CLASS_SQL.format(row="NEW")

TRIGGERS = f"""
CREATE TRIGGER response_terms_insert AFTER INSERT ON response_terms BEGIN
    {_counted("NEW", 1, "NEW.class")}
    {_forms("NEW", 1)}
END;
CREATE TRIGGER response_terms_delete AFTER DELETE ON response_terms BEGIN
    {_counted("OLD", -1, "OLD.class")}
    {_forms("OLD", -1)}
END;
CREATE TRIGGER response_terms_class AFTER UPDATE OF class ON response_terms
WHEN OLD.class IS NOT NEW.class BEGIN
    {_counted("OLD", -1, "OLD.class")}
    {_counted("NEW", 1, "NEW.class")}
END;
CREATE TRIGGER responses_terms_class AFTER UPDATE OF csat, ces, nps ON responses BEGIN
    UPDATE response_terms SET class = {_NEW_CLASS}
     WHERE response_id = NEW.id AND class IS NOT {_NEW_CLASS};
END;
CREATE TRIGGER responses_terms_comment AFTER UPDATE OF comment ON responses
WHEN OLD.comment IS NOT NEW.comment BEGIN
    DELETE FROM response_terms WHERE response_id = NEW.id;
END;
CREATE TRIGGER responses_terms_delete BEFORE DELETE ON responses BEGIN
    DELETE FROM response_terms WHERE response_id = OLD.id;
END;
"""

_RESPONSE_CLASS = CLASS_SQL.format(row="responses")


def rebuild_statements():
    """The statements that recount the (emptied) term tables from `response_terms`, after
    setting each row's class from its response's scores."""
    day_cell = (
        "invitations.closed_day, coalesce(invitations.agent_id, 0), "
        "coalesce(invitations.team_id, 0), coalesce(invitations.channel, '')"
    )
    return [
        f"""UPDATE response_terms SET class = (
                SELECT {_RESPONSE_CLASS} FROM responses WHERE responses.id = response_id)
             WHERE class IS NOT (
                SELECT {_RESPONSE_CLASS} FROM responses WHERE responses.id = response_id)""",
        f"""INSERT INTO term_rollups ({_CELL_KEYS}, n)
            SELECT 'day', {day_cell}, response_terms.class, response_terms.term,
                   sum(response_terms.n)
              FROM response_terms
              JOIN responses ON responses.id = response_terms.response_id
              JOIN invitations ON invitations.id = responses.invitation_id
             GROUP BY 2, 3, 4, 5, 6, 7""",
        f"""INSERT INTO term_rollups ({_CELL_KEYS}, n)
            SELECT 'month', substr(period, 1, 7), agent_id, team_id, channel, class, term, sum(n)
              FROM term_rollups WHERE grain = 'day' GROUP BY 2, 3, 4, 5, 6, 7""",
        f"""INSERT INTO term_totals ({_TOTAL_KEYS}, n)
            SELECT grain, period, class, term, sum(n) FROM term_rollups GROUP BY 1, 2, 3, 4""",
        """INSERT INTO term_forms (term, form, n)
            SELECT term, form, sum(n) FROM response_terms GROUP BY term, form""",
    ]
