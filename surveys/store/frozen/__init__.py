"""The SQL each migration ran when it shipped, frozen: one module per migration, named
after it, whose STATEMENTS run in order (surveys/store/migrations.py).

Literal text that reads no constant of the live code, so a database built today gets
what an older one got, whatever the rollups, the scales or sqlite-utils have become
since. Never edit a module here: a change to the schema is a new migration with a new
module. tests/test_migrations.py holds every module's digest and the schema they build
(surveys/store/schema.sql).

Most statements are the shipped text byte for byte, including what sqlite-utils'
create(), create_index() and add_column() wrote for the early tables. The rollups' SQL
in m007, m009 and m010 was generated with lines of up to 1,600 characters; it is wrapped
here, changing only whitespace outside quotes.
"""

from surveys.store.frozen import (
    m001_wal,
    m002_people,
    m003_surveys,
    m004_internal_ratings,
    m005_ticket_kpis,
    m006_targets,
    m007_rollups,
    m008_integrations,
    m009_distribution,
    m010_agent_histograms,
    m011_team_targets,
    m012_agent_pages,
    m013_close_the_loop,
    m014_data_protection,
    m015_comment_search,
    m016_comment_terms,
    m017_business_months,
    m018_calls,
    m019_comment_words,
    m020_action_form_keys,
)

__all__ = [
    "m001_wal",
    "m002_people",
    "m003_surveys",
    "m004_internal_ratings",
    "m005_ticket_kpis",
    "m006_targets",
    "m007_rollups",
    "m008_integrations",
    "m009_distribution",
    "m010_agent_histograms",
    "m011_team_targets",
    "m012_agent_pages",
    "m013_close_the_loop",
    "m014_data_protection",
    "m015_comment_search",
    "m016_comment_terms",
    "m017_business_months",
    "m018_calls",
    "m019_comment_words",
    "m020_action_form_keys",
]
