"""The database: connection, migrations (frozen SQL) and the rollups reports read."""
