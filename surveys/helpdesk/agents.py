"""Agents and teams as closures and calls name them, added on first sight.

An agent is known by email, else by name (`identity`), and keeps the last name a help desk
gives it; a team is known by name. These run under the write lock, where every millisecond
is one that other writers wait for: reads use db.execute() directly, because db.query()
wraps each read in a SAVEPOINT of its own. A batch (an import's) looks its agents and teams
up in two statements each, leaving what the row-by-row functions would.
"""

import json


def identity_of(email, name):
    """How an agent is known: by email, else by name; None for no agent."""
    if email:
        return f"email:{email}"
    return f"name:{name}" if name else None


def agent_id_for(db, email, name):
    """The agent's id, adding the agent on first sight (known by email, else by name)."""
    identity = identity_of(email, name)
    if identity is None:
        return None
    row = db.execute("SELECT id, name FROM agents WHERE identity = ?", [identity]).fetchone()
    if row is None:
        return db.execute(
            "INSERT INTO agents (identity, email, name) VALUES (?, ?, ?)", [identity, email, name]
        ).lastrowid
    agent_id, known_name = row
    if name and known_name != name:  # the help desk now knows a (new) name
        db.execute("UPDATE agents SET name = ? WHERE id = ?", [name, agent_id])
    return agent_id


def team_id_for(db, name):
    """The team's id, adding the team on first sight."""
    if not name:
        return None
    row = db.execute("SELECT id FROM teams WHERE name = ?", [name]).fetchone()
    if row is not None:
        return row[0]
    return db.execute("INSERT INTO teams (name) VALUES (?)", [name]).lastrowid


def agent_identity(row):
    """How the agent of a closure or a call is known (identity_of)."""
    return identity_of(row.agent_email, row.agent_name)


def agent_ids_for(db, rows):
    """{agent_identity: agent id} for the agents of a batch of closures or calls (rows
    with agent_email and agent_name), added on first sight, each with the last name the
    batch gives it: what agent_id_for row by row would leave, in two statements."""
    wanted = {}  # first sight order, as row by row: new agents get ids in that order
    for row in rows:
        identity = agent_identity(row)
        if identity is not None:
            email, name = wanted.get(identity, (row.agent_email, None))
            wanted[identity] = (email, row.agent_name or name)
    known = {
        identity: (agent_id, name)
        for identity, agent_id, name in db.execute(
            "SELECT identity, id, name FROM agents "
            "WHERE identity IN (SELECT value FROM json_each(?))",
            [json.dumps(list(wanted))],
        )
    }
    ids = {}
    for identity, (email, name) in wanted.items():
        if identity not in known:
            ids[identity] = db.execute(
                "INSERT INTO agents (identity, email, name) VALUES (?, ?, ?)",
                [identity, email, name],
            ).lastrowid
            continue
        ids[identity], known_name = known[identity]
        if name and known_name != name:  # the help desk now knows a (new) name
            db.execute("UPDATE agents SET name = ? WHERE id = ?", [name, ids[identity]])
    return ids


def team_ids_for(db, rows):
    """{name: team id} for the teams of a batch of closures or calls, added on first
    sight."""
    wanted = list(dict.fromkeys(row.team for row in rows if row.team))
    ids = dict(
        db.execute(
            "SELECT name, id FROM teams WHERE name IN (SELECT value FROM json_each(?))",
            [json.dumps(wanted)],
        ).fetchall()
    )
    for name in wanted:
        if name not in ids:
            ids[name] = db.execute("INSERT INTO teams (name) VALUES (?)", [name]).lastrowid
    return ids
