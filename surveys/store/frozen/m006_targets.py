"""m006_targets: the targets managers set in the app."""

STATEMENTS = (
    # A score without a row here uses its default.
    """CREATE TABLE "targets" (
   "name" TEXT PRIMARY KEY,
   "value" REAL NOT NULL,
   "updated_at" TEXT NOT NULL,
   "updated_by" INTEGER REFERENCES "users"("id")
) STRICT;""",
)
