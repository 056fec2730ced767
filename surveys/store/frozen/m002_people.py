"""m002_people: users, API keys, agents and teams."""

STATEMENTS = (
    """CREATE TABLE "users" (
   "id" INTEGER PRIMARY KEY,
   "email" TEXT NOT NULL,
   "name" TEXT,
   "password_hash" TEXT NOT NULL,
   "role" TEXT NOT NULL,
   "active" INTEGER NOT NULL DEFAULT 1,
   "created_at" TEXT NOT NULL
) STRICT;""",
    """CREATE UNIQUE INDEX "idx_users_email"
    ON "users" ("email");""",
    """CREATE TABLE "api_keys" (
   "id" INTEGER PRIMARY KEY,
   "name" TEXT NOT NULL,
   "key_hash" TEXT NOT NULL,
   "created_at" TEXT NOT NULL,
   "revoked_at" TEXT
) STRICT;""",
    """CREATE UNIQUE INDEX "idx_api_keys_name"
    ON "api_keys" ("name");""",
    """CREATE UNIQUE INDEX "idx_api_keys_key_hash"
    ON "api_keys" ("key_hash");""",
    # An agent is known by email when the help desk gives one, else by name: `identity`
    # holds "email:<address>" or "name:<name>" so one unique index covers both.
    """CREATE TABLE "agents" (
   "id" INTEGER PRIMARY KEY,
   "identity" TEXT NOT NULL,
   "email" TEXT,
   "name" TEXT
) STRICT;""",
    """CREATE UNIQUE INDEX "idx_agents_identity"
    ON "agents" ("identity");""",
    """CREATE TABLE "teams" (
   "id" INTEGER PRIMARY KEY,
   "name" TEXT NOT NULL
) STRICT;""",
    """CREATE UNIQUE INDEX "idx_teams_name"
    ON "teams" ("name");""",
)
