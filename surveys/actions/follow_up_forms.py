"""A follow-up's form, read: status, outcome, notes and owner as a manager posts them,
judged against the follow-up as it was loaded (surveys.actions.follow_ups saves them).

Every field must be sent once. A form loaded at another version is stale before anything
else (StaleFollowUp, 409): its choices were made against a follow-up that has changed.
"""

from surveys.actions.follow_ups import (
    NOTES_MAX_LENGTH,
    OUTCOMES,
    STATUSES,
    FollowUpError,
    StaleFollowUp,
)
from surveys.fields import strip
from surveys.text import blank, clean_email, refused_characters


def owner_choices(db, current_owner_id=None):
    """Everyone a follow-up can be given to: active people (staff and managers), by name;
    and its current owner even when they can no longer sign in (`active` 0), or saving
    the page would silently unassign them."""
    return list(
        db.query(
            "SELECT id, email, name, active FROM users WHERE active = 1 OR id = ? "
            "ORDER BY coalesce(name, email), email",
            [current_owner_id],
        )
    )


def single(formdata, name, errors):
    """A field sent exactly once (its text), or None with an error."""
    sent = formdata.getlist(name)
    if len(sent) != 1:
        errors[name] = "is required" if not sent else "was sent more than once"
        return None
    return sent[0]


def read_owner(db, text, errors, current_owner_id=None):
    """The owner's user id from an email (empty: unassigned); an error unless the email is
    an active person's, or the current owner's (kept though they can no longer sign in)."""
    if blank(text):
        return None
    try:
        email = clean_email(text)
    except ValueError as error:
        errors["owner"] = str(error)
        return None
    row = db.execute(
        "SELECT id FROM users WHERE email = ? AND (active = 1 OR id = ?)",
        [email, current_owner_id],
    ).fetchone()
    if row is None:
        errors["owner"] = "must be the email of a person who can sign in (staff or manager)"
        return None
    return row[0]


def read_notes(text, errors):
    """The notes, trimmed (empty, or nothing shows: none), or an error."""
    notes = strip(text)
    if len(notes) > NOTES_MAX_LENGTH:
        errors["notes"] = f"must be at most {NOTES_MAX_LENGTH} characters"
    elif refused_characters(notes, multiline=True):
        errors["notes"] = "must not contain control characters"
    return notes or None  # strip() removes some control characters too ("\x1c")


def read_outcome(status, text, loaded, errors):
    """The outcome to store with a status (None: not yet known), or an error.

    An open follow-up has no outcome yet. Reopening one while leaving its outcome as it
    was clears it: the manager changed the status alone, and a reopened follow-up is
    unsettled. An outcome chosen for an open follow-up is refused: only the manager knows
    whether the status or the outcome is the slip.
    """
    outcome = text or None
    if outcome is not None and outcome not in OUTCOMES:
        errors["outcome"] = f"must be one of {', '.join(OUTCOMES)}, or empty"
    elif status == "closed" and outcome is None:
        errors["outcome"] = "is needed to close a follow-up: what came of it?"
    elif status == "open" and outcome is not None:
        if loaded["status"] != "open" and outcome == loaded["outcome"]:
            return None
        errors["outcome"] = (
            "must be “Not yet known” while the follow-up is open: "
            "to record what came of it, choose Contacted or Closed"
        )
    return outcome


def read_update(db, formdata, loaded):
    """{status, outcome, notes, owner_id, version} from a posted form, judged against the
    follow-up as `loaded` (its status, outcome and owner); FollowUpError with a message per
    refused field. StaleFollowUp first when the form was loaded at another version: its
    fields were chosen against a follow-up that is no longer there, so judging them against
    this one would refuse them for the wrong reason."""
    errors = {}
    texts = {
        name: single(formdata, name, errors)
        for name in ("status", "outcome", "notes", "owner", "version")
    }
    update = {"version": read_version(texts["version"], errors)}
    if update["version"] not in (None, loaded["version"]):
        raise StaleFollowUp()
    if texts["status"] is not None and texts["status"] not in STATUSES:
        errors["status"] = f"must be one of {', '.join(STATUSES)}"
    update["status"] = texts["status"]
    update["outcome"] = read_outcome(texts["status"], texts["outcome"], loaded, errors)
    update["notes"] = read_notes(texts["notes"], errors) if texts["notes"] is not None else None
    if texts["owner"] is not None:
        update["owner_id"] = read_owner(db, texts["owner"], errors, loaded["owner_id"])
    if errors:
        raise FollowUpError(errors)
    return update


def read_version(text, errors):
    """The version a form was loaded at (None when not sent), or an error."""
    if text is not None and not (text.isascii() and text.isdigit() and len(text) < 10):
        errors["version"] = "must be the version the page was loaded at"
    return int(text) if "version" not in errors and text else None
