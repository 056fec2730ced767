"""Responses read for people: the low ratings page and an agent's latest comments, each with
the agent's id and name and a link to the ticket in its help desk.

The downloads read the same responses through score_queries.response_rows, whose columns
are the download's; these rows carry what a page needs besides (ids, the ticket's source).
"""

from surveys.helpdesk.ticket_links import with_ticket_urls
from surveys.reports.score_queries import LOW_SQL

# A page's response row: what the low ratings page, the search and an agent's page show, and
# the ids and source their links need; nothing more, since the search converts 200 such rows
# to Python values and every column costs (bench/report_bench.py). The comment search
# (comment_search.py) reads the same columns.
COMMENT_COLUMNS = """
       responses.id AS response_id, invitations.closed_day, tickets.ticket_ref AS ticket_id,
       tickets.source, invitations.agent_id, agents.name AS agent_name,
       agents.email AS agent_email, teams.name AS team, responses.csat, responses.ces,
       responses.nps, responses.comment"""
# The tables a row's columns come from, joined to `responses`.
COMMENT_JOINS = """
  JOIN invitations ON invitations.id = responses.invitation_id
  JOIN tickets ON tickets.id = invitations.ticket_id
  LEFT JOIN agents ON agents.id = invitations.agent_id
  LEFT JOIN teams ON teams.id = invitations.team_id"""

COMMENTS_SQL = f"""
SELECT {COMMENT_COLUMNS}
  FROM responses {COMMENT_JOINS}
 WHERE invitations.closed_day BETWEEN :from_day AND :to_day {{filters}} {{low}} {{comment}}
 ORDER BY invitations.closed_day DESC, responses.id DESC LIMIT :limit
"""  # noqa: S608 (fixed column names)


def comment_rows(db, report_range, limit, low_only=False, with_comment=False):
    """The newest responses to the closures in range (at most `limit`), low ratings only or
    with a comment only when asked, each with its `ticket_url` (None without one)."""
    filters, params = report_range.filter_sql("invitations")
    params.update(
        from_day=report_range.from_day.isoformat(),
        to_day=report_range.to_day.isoformat(),
        limit=int(limit),
    )
    sql = COMMENTS_SQL.format(
        filters=filters,
        low=LOW_SQL if low_only else "",
        comment="AND responses.comment IS NOT NULL" if with_comment else "",
    )
    return with_ticket_urls(db, list(db.query(sql, params)))
