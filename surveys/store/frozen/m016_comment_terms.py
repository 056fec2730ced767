"""m016_comment_terms: the words and two-word phrases of the comments, counted per day and
month × agent × team × channel × class of the response (low, high, other), for the themes
report; kept by triggers from each response's terms, which the app stores (stemming is
Python: `flask init-db` stores the terms of the comments already there once this has run).
The triggers' SQL is the live code's, wrapped to fit the page.
"""

STATEMENTS = (
    # Each response's terms (a word's stem, or two adjacent words' stems), as written
    # (form), how many times, and the response's class, which the triggers count from.
    """
        CREATE TABLE response_terms (
            response_id INTEGER NOT NULL REFERENCES responses(id),
            term TEXT NOT NULL,
            form TEXT NOT NULL,
            n INTEGER NOT NULL CHECK (n > 0),
            class TEXT NOT NULL CHECK (class IN ('low', 'high', 'other')),
            PRIMARY KEY (response_id, term, form)
        ) STRICT, WITHOUT ROWID
    """,
    """
        CREATE TABLE term_rollups (
            grain TEXT NOT NULL CHECK (grain IN ('day', 'month')), period TEXT NOT NULL,
            agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL, channel TEXT NOT NULL,
            class TEXT NOT NULL CHECK (class IN ('low', 'high', 'other')),
            term TEXT NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (grain, period, agent_id, team_id, channel, class, term)
        ) STRICT, WITHOUT ROWID
    """,
    """
        CREATE TABLE term_totals (
            grain TEXT NOT NULL CHECK (grain IN ('day', 'month')), period TEXT NOT NULL,
            class TEXT NOT NULL CHECK (class IN ('low', 'high', 'other')),
            term TEXT NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (grain, period, class, term)
        ) STRICT, WITHOUT ROWID
    """,
    """
        CREATE TABLE term_forms (
            term TEXT NOT NULL, form TEXT NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (term, form)
        ) STRICT, WITHOUT ROWID
    """,
    # The triggers (surveys/store/term_rollups.py).
    """
        CREATE TRIGGER response_terms_insert AFTER INSERT ON response_terms BEGIN
            INSERT INTO term_rollups (grain, period, agent_id, team_id, channel, class,
                term, n) SELECT 'day', invitations.closed_day, coalesce(invitations.agent_id,
                0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''),
                NEW.class, NEW.term, 1 * NEW.n FROM responses JOIN invitations ON invitations.id
                = responses.invitation_id WHERE responses.id = NEW.response_id
            ON CONFLICT (grain, period, agent_id, team_id, channel, class, term) DO UPDATE
                SET n = n + excluded.n;
            INSERT INTO term_totals (grain, period, class, term, n) SELECT 'day',
                invitations.closed_day, NEW.class, NEW.term, 1 * NEW.n FROM responses JOIN
                invitations ON invitations.id = responses.invitation_id WHERE responses.id =
                NEW.response_id
            ON CONFLICT (grain, period, class, term) DO UPDATE SET n = n + excluded.n;
            INSERT INTO term_rollups (grain, period, agent_id, team_id, channel, class,
                term, n) SELECT 'month', substr(invitations.closed_day, 1, 7),
                coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0),
                coalesce(invitations.channel, ''), NEW.class, NEW.term, 1 * NEW.n FROM responses
                JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id
                = NEW.response_id
            ON CONFLICT (grain, period, agent_id, team_id, channel, class, term) DO UPDATE
                SET n = n + excluded.n;
            INSERT INTO term_totals (grain, period, class, term, n) SELECT 'month',
                substr(invitations.closed_day, 1, 7), NEW.class, NEW.term, 1 * NEW.n FROM
                responses JOIN invitations ON invitations.id = responses.invitation_id WHERE
                responses.id = NEW.response_id
            ON CONFLICT (grain, period, class, term) DO UPDATE SET n = n + excluded.n;
            INSERT INTO term_forms (term, form, n) VALUES (NEW.term, NEW.form, 1 * NEW.n)
            ON CONFLICT (term, form) DO UPDATE SET n = n + excluded.n;
        END
    """,
    """
        CREATE TRIGGER response_terms_delete AFTER DELETE ON response_terms BEGIN
            INSERT INTO term_rollups (grain, period, agent_id, team_id, channel, class,
                term, n) SELECT 'day', invitations.closed_day, coalesce(invitations.agent_id,
                0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''),
                OLD.class, OLD.term, -1 * OLD.n FROM responses JOIN invitations ON
                invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id
            ON CONFLICT (grain, period, agent_id, team_id, channel, class, term) DO UPDATE
                SET n = n + excluded.n;
            DELETE FROM term_rollups WHERE n = 0 AND (grain, period, agent_id, team_id,
                channel, class, term) = (SELECT 'day', invitations.closed_day,
                coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0),
                coalesce(invitations.channel, ''), OLD.class, OLD.term FROM responses JOIN
                invitations ON invitations.id = responses.invitation_id WHERE responses.id =
                OLD.response_id);
            INSERT INTO term_totals (grain, period, class, term, n) SELECT 'day',
                invitations.closed_day, OLD.class, OLD.term, -1 * OLD.n FROM responses JOIN
                invitations ON invitations.id = responses.invitation_id WHERE responses.id =
                OLD.response_id
            ON CONFLICT (grain, period, class, term) DO UPDATE SET n = n + excluded.n;
            DELETE FROM term_totals WHERE n = 0 AND (grain, period, class, term) = (SELECT
                'day', invitations.closed_day, OLD.class, OLD.term FROM responses JOIN
                invitations ON invitations.id = responses.invitation_id WHERE responses.id =
                OLD.response_id);
            INSERT INTO term_rollups (grain, period, agent_id, team_id, channel, class,
                term, n) SELECT 'month', substr(invitations.closed_day, 1, 7),
                coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0),
                coalesce(invitations.channel, ''), OLD.class, OLD.term, -1 * OLD.n FROM
                responses JOIN invitations ON invitations.id = responses.invitation_id WHERE
                responses.id = OLD.response_id
            ON CONFLICT (grain, period, agent_id, team_id, channel, class, term) DO UPDATE
                SET n = n + excluded.n;
            DELETE FROM term_rollups WHERE n = 0 AND (grain, period, agent_id, team_id,
                channel, class, term) = (SELECT 'month', substr(invitations.closed_day, 1, 7),
                coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0),
                coalesce(invitations.channel, ''), OLD.class, OLD.term FROM responses JOIN
                invitations ON invitations.id = responses.invitation_id WHERE responses.id =
                OLD.response_id);
            INSERT INTO term_totals (grain, period, class, term, n) SELECT 'month',
                substr(invitations.closed_day, 1, 7), OLD.class, OLD.term, -1 * OLD.n FROM
                responses JOIN invitations ON invitations.id = responses.invitation_id WHERE
                responses.id = OLD.response_id
            ON CONFLICT (grain, period, class, term) DO UPDATE SET n = n + excluded.n;
            DELETE FROM term_totals WHERE n = 0 AND (grain, period, class, term) = (SELECT
                'month', substr(invitations.closed_day, 1, 7), OLD.class, OLD.term FROM
                responses JOIN invitations ON invitations.id = responses.invitation_id WHERE
                responses.id = OLD.response_id);
            INSERT INTO term_forms (term, form, n) VALUES (OLD.term, OLD.form, -1 * OLD.n)
            ON CONFLICT (term, form) DO UPDATE SET n = n + excluded.n;
            DELETE FROM term_forms WHERE term = OLD.term AND form = OLD.form AND n = 0;
        END
    """,
    """
        CREATE TRIGGER response_terms_class AFTER UPDATE OF class ON response_terms
        WHEN OLD.class IS NOT NEW.class BEGIN
            INSERT INTO term_rollups (grain, period, agent_id, team_id, channel, class,
                term, n) SELECT 'day', invitations.closed_day, coalesce(invitations.agent_id,
                0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''),
                OLD.class, OLD.term, -1 * OLD.n FROM responses JOIN invitations ON
                invitations.id = responses.invitation_id WHERE responses.id = OLD.response_id
            ON CONFLICT (grain, period, agent_id, team_id, channel, class, term) DO UPDATE
                SET n = n + excluded.n;
            DELETE FROM term_rollups WHERE n = 0 AND (grain, period, agent_id, team_id,
                channel, class, term) = (SELECT 'day', invitations.closed_day,
                coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0),
                coalesce(invitations.channel, ''), OLD.class, OLD.term FROM responses JOIN
                invitations ON invitations.id = responses.invitation_id WHERE responses.id =
                OLD.response_id);
            INSERT INTO term_totals (grain, period, class, term, n) SELECT 'day',
                invitations.closed_day, OLD.class, OLD.term, -1 * OLD.n FROM responses JOIN
                invitations ON invitations.id = responses.invitation_id WHERE responses.id =
                OLD.response_id
            ON CONFLICT (grain, period, class, term) DO UPDATE SET n = n + excluded.n;
            DELETE FROM term_totals WHERE n = 0 AND (grain, period, class, term) = (SELECT
                'day', invitations.closed_day, OLD.class, OLD.term FROM responses JOIN
                invitations ON invitations.id = responses.invitation_id WHERE responses.id =
                OLD.response_id);
            INSERT INTO term_rollups (grain, period, agent_id, team_id, channel, class,
                term, n) SELECT 'month', substr(invitations.closed_day, 1, 7),
                coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0),
                coalesce(invitations.channel, ''), OLD.class, OLD.term, -1 * OLD.n FROM
                responses JOIN invitations ON invitations.id = responses.invitation_id WHERE
                responses.id = OLD.response_id
            ON CONFLICT (grain, period, agent_id, team_id, channel, class, term) DO UPDATE
                SET n = n + excluded.n;
            DELETE FROM term_rollups WHERE n = 0 AND (grain, period, agent_id, team_id,
                channel, class, term) = (SELECT 'month', substr(invitations.closed_day, 1, 7),
                coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0),
                coalesce(invitations.channel, ''), OLD.class, OLD.term FROM responses JOIN
                invitations ON invitations.id = responses.invitation_id WHERE responses.id =
                OLD.response_id);
            INSERT INTO term_totals (grain, period, class, term, n) SELECT 'month',
                substr(invitations.closed_day, 1, 7), OLD.class, OLD.term, -1 * OLD.n FROM
                responses JOIN invitations ON invitations.id = responses.invitation_id WHERE
                responses.id = OLD.response_id
            ON CONFLICT (grain, period, class, term) DO UPDATE SET n = n + excluded.n;
            DELETE FROM term_totals WHERE n = 0 AND (grain, period, class, term) = (SELECT
                'month', substr(invitations.closed_day, 1, 7), OLD.class, OLD.term FROM
                responses JOIN invitations ON invitations.id = responses.invitation_id WHERE
                responses.id = OLD.response_id);
            INSERT INTO term_rollups (grain, period, agent_id, team_id, channel, class,
                term, n) SELECT 'day', invitations.closed_day, coalesce(invitations.agent_id,
                0), coalesce(invitations.team_id, 0), coalesce(invitations.channel, ''),
                NEW.class, NEW.term, 1 * NEW.n FROM responses JOIN invitations ON invitations.id
                = responses.invitation_id WHERE responses.id = NEW.response_id
            ON CONFLICT (grain, period, agent_id, team_id, channel, class, term) DO UPDATE
                SET n = n + excluded.n;
            INSERT INTO term_totals (grain, period, class, term, n) SELECT 'day',
                invitations.closed_day, NEW.class, NEW.term, 1 * NEW.n FROM responses JOIN
                invitations ON invitations.id = responses.invitation_id WHERE responses.id =
                NEW.response_id
            ON CONFLICT (grain, period, class, term) DO UPDATE SET n = n + excluded.n;
            INSERT INTO term_rollups (grain, period, agent_id, team_id, channel, class,
                term, n) SELECT 'month', substr(invitations.closed_day, 1, 7),
                coalesce(invitations.agent_id, 0), coalesce(invitations.team_id, 0),
                coalesce(invitations.channel, ''), NEW.class, NEW.term, 1 * NEW.n FROM responses
                JOIN invitations ON invitations.id = responses.invitation_id WHERE responses.id
                = NEW.response_id
            ON CONFLICT (grain, period, agent_id, team_id, channel, class, term) DO UPDATE
                SET n = n + excluded.n;
            INSERT INTO term_totals (grain, period, class, term, n) SELECT 'month',
                substr(invitations.closed_day, 1, 7), NEW.class, NEW.term, 1 * NEW.n FROM
                responses JOIN invitations ON invitations.id = responses.invitation_id WHERE
                responses.id = NEW.response_id
            ON CONFLICT (grain, period, class, term) DO UPDATE SET n = n + excluded.n;
        END
    """,
    """
        CREATE TRIGGER responses_terms_class AFTER UPDATE OF csat, ces, nps ON responses
            BEGIN
            UPDATE response_terms SET class = CASE WHEN NEW.csat <= 2 OR NEW.ces <= 3 OR
                NEW.nps <= 6 THEN 'low' WHEN NEW.csat >= 4 OR NEW.ces >= 5 OR NEW.nps >= 9 THEN
                'high' ELSE 'other' END
             WHERE response_id = NEW.id AND class IS NOT CASE WHEN NEW.csat <= 2 OR NEW.ces
                 <= 3 OR NEW.nps <= 6 THEN 'low' WHEN NEW.csat >= 4 OR NEW.ces >= 5 OR NEW.nps
                 >= 9 THEN 'high' ELSE 'other' END;
        END
    """,
    """
        CREATE TRIGGER responses_terms_comment AFTER UPDATE OF comment ON responses
        WHEN OLD.comment IS NOT NEW.comment BEGIN
            DELETE FROM response_terms WHERE response_id = NEW.id;
        END
    """,
    """
        CREATE TRIGGER responses_terms_delete BEFORE DELETE ON responses BEGIN
            DELETE FROM response_terms WHERE response_id = OLD.id;
        END
    """,
)
