"""m004_internal_ratings: ratings of administrative staff, closed months, incidents,
deliverables, and the sign-in attempts the lockout counts.
"""

STATEMENTS = (
    # `rated` marks an administrative employee whom staff rate; permissions stay a role.
    'ALTER TABLE "users" ADD COLUMN "rated" INTEGER NOT NULL DEFAULT 0;',
    # Part of every session's user id: raising it (new password, deactivation) ends every
    # session the person has open, on every device.
    'ALTER TABLE "users" ADD COLUMN "session_version" INTEGER NOT NULL DEFAULT 0;',
    """
        CREATE TABLE ratings (
            id INTEGER PRIMARY KEY,
            rater_id INTEGER NOT NULL REFERENCES users(id),
            admin_id INTEGER NOT NULL REFERENCES users(id),
            period TEXT NOT NULL CHECK (period GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
            speed INTEGER NOT NULL CHECK (speed BETWEEN 1 AND 5),
            initiative INTEGER NOT NULL CHECK (initiative BETWEEN 1 AND 5),
            accuracy INTEGER NOT NULL CHECK (accuracy BETWEEN 1 AND 5),
            comment_speed TEXT CHECK (length(comment_speed) <= 2000),
            comment_initiative TEXT CHECK (length(comment_initiative) <= 2000),
            comment_accuracy TEXT CHECK (length(comment_accuracy) <= 2000),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (rater_id, admin_id, period),
            CHECK (rater_id != admin_id)
        ) STRICT
    """,
    """CREATE INDEX "idx_ratings_period_admin_id"
    ON "ratings" ("period", "admin_id");""",
    """CREATE INDEX "idx_ratings_admin_id"
    ON "ratings" ("admin_id");""",
    """CREATE TABLE "closed_periods" (
   "period" TEXT PRIMARY KEY,
   "closed_at" TEXT NOT NULL,
   "closed_by" INTEGER REFERENCES "users"("id")
) STRICT;""",
    """
        CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            admin_id INTEGER NOT NULL REFERENCES users(id),
            occurred_on TEXT NOT NULL,
            description TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
            severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
            recorded_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        ) STRICT
    """,
    """CREATE INDEX "idx_incidents_admin_id_occurred_on"
    ON "incidents" ("admin_id", "occurred_on");""",
    """CREATE INDEX "idx_incidents_occurred_on"
    ON "incidents" ("occurred_on");""",
    """
        CREATE TABLE deliverables (
            id INTEGER PRIMARY KEY,
            admin_id INTEGER NOT NULL REFERENCES users(id),
            title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
            deadline TEXT NOT NULL,
            submitted_on TEXT,
            recorded_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        ) STRICT
    """,
    """CREATE INDEX "idx_deliverables_admin_id_deadline"
    ON "deliverables" ("admin_id", "deadline");""",
    """CREATE INDEX "idx_deliverables_deadline"
    ON "deliverables" ("deadline");""",
    # Sign-in attempts, shared by every worker: the lockout counts them here.
    """CREATE TABLE "login_attempts" (
   "id" INTEGER PRIMARY KEY,
   "email" TEXT NOT NULL,
   "address" TEXT NOT NULL,
   "succeeded" INTEGER NOT NULL,
   "attempted_at" TEXT NOT NULL
) STRICT;""",
    """CREATE INDEX "idx_login_attempts_email_attempted_at"
    ON "login_attempts" ("email", "attempted_at");""",
    """CREATE INDEX "idx_login_attempts_address_attempted_at"
    ON "login_attempts" ("address", "attempted_at");""",
)
