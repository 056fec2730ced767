"""Closed tickets imported from a help desk's CSV export: map, preview, import, once."""

import codecs
import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from surveys import cli, clock
from surveys.helpdesk import imports
from tests.helpers import csrf_token, ticket_payload

# A help desk's export: its own column names, a semicolon, a BOM, one bad row, one blank.
EXPORT = (
    "\ufeffTicket ID;Requester email;Requester name;Resolved at;Created at;Assignee;"
    "Group;Channel;Escalated\r\n"
    "1001;rina@example.com;Rina;2026-11-02 10:00;2026-11-01 09:00;Ayu;Billing;email;no\r\n"
    "1002;BUDI@Example.com;Budi;2026-11-03T12:30:00+07:00;;Ayu;Billing;chat;yes\r\n"
    ";;;;;;;;\r\n"
    "1003;not-an-address;Sari;yesterday;;Ayu;Billing;email;maybe\r\n"
).encode()
YEARS = "must be between the years 2000 and 2999"
AS_1999, AS_3000 = "it is 1999-12-31 10:00 UTC", "it is 3000-01-01 01:00 UTC"


def test_read_table_copes_with_bom_semicolons_and_blank_lines():
    table = imports.read_table(EXPORT)
    assert table.header[:2] == ["Ticket ID", "Requester email"]
    assert [row[0] for row in table.rows] == ["1001", "1002", "1003"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (b"\x00\x01\x02binary", "not text"),
    ],
)
def test_files_that_are_not_a_csv_of_tickets(data, message):
    with pytest.raises(imports.ImportFileError, match=message):
        imports.read_table(data)


def test_the_mapping_is_guessed_from_the_header():
    mapping = imports.guess_mapping(imports.read_table(EXPORT).header)
    assert mapping == {
        "ticket_id": 0,
        "customer_email": 1,
        "customer_name": 2,
        "closed_at": 3,
        "opened_at": 4,
        "agent_name": 5,
        "team": 6,
        "channel": 7,
        "escalated": 8,
    }


def test_a_row_becomes_the_api_body_with_local_times_in_the_business_zone():
    table = imports.read_table(EXPORT)
    body, errors = imports.row_body(
        table.rows[0], imports.guess_mapping(table.header), "Asia/Jakarta"
    )
    assert errors == {}
    assert body == {
        "ticket_id": "1001",
        "closed_at": "2026-11-02T10:00:00+07:00",
        "opened_at": "2026-11-01T09:00:00+07:00",
        "team": "Billing",
        "channel": "email",
        "customer": {"email": "rina@example.com", "name": "Rina"},
        "agent": {"name": "Ayu"},
        "escalated": False,
    }


def test_the_preview_names_each_bad_row_and_stores_nothing(db):
    table = imports.read_table(EXPORT)
    outcome = imports.preview(table, imports.guess_mapping(table.header), "UTC")
    assert [line for line, _, _ in outcome.previews] == [2, 3, 5]
    [(line, errors)] = outcome.errors
    assert line == 5
    assert set(errors) == {"customer.email", "closed_at", "escalated"}
    assert db["tickets"].count == 0


def upload(client, data=EXPORT, filename="export.csv"):
    page = client.get("/imports/").get_data(as_text=True)
    return client.post(
        "/imports/",
        data={"csrf_token": csrf_token(page), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def import_with(client, location, survey=False, **mapping):
    page = client.get(location).get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="(map_\w+)" value="(\d+)">', page))
    fields.update(mapping)
    data = {"csrf_token": csrf_token(page), **fields}
    if survey:
        data["survey"] = "y"
    return client.post(location, data=data)


def test_a_manager_uploads_maps_and_imports_once(manager_client, db):
    uploaded = upload(manager_client)
    assert uploaded.status_code == 303
    location = uploaded.headers["Location"]
    assert location == "/imports/1"
    page = manager_client.get(location).get_data(as_text=True)
    assert "rina@example.com" in page and "budi@example.com" in page
    assert "Line 5" in page and "must be true or false" in page
    assert db["tickets"].count == 0  # a preview writes nothing

    done = import_with(manager_client, location)
    assert (done.status_code, done.headers["Location"]) == (303, location)
    result = manager_client.get(location).get_data(as_text=True)
    assert "2 new closures, 0 already stored" in result and "Line 5" in result
    rows = list(
        db.query(
            "SELECT tickets.source, invitations.status, invitations.reason "
            "FROM tickets JOIN invitations ON invitations.ticket_id = tickets.id"
        )
    )
    assert (
        rows
        == [{"source": "import", "status": "suppressed", "reason": "imported without survey"}] * 2
    )
    assert db["outbox"].count == 0

    again = upload(manager_client)  # the same file, a second time
    import_with(manager_client, again.headers["Location"], survey=True)
    result = manager_client.get(again.headers["Location"]).get_data(as_text=True)
    assert "0 new closures, 2 already stored" in result
    assert db["tickets"].count == 2


def test_surveyed_imports_schedule_invitations(manager_client, db):
    uploaded = upload(manager_client)
    import_with(manager_client, uploaded.headers["Location"], survey=True)
    statuses = [row["status"] for row in db.query("SELECT status FROM invitations")]
    assert statuses == ["scheduled", "scheduled"]
    assert db["outbox"].count == 2


def test_a_mapping_can_be_changed_in_the_url(manager_client, db):
    location = upload(manager_client).headers["Location"]
    page = manager_client.get(
        location + "?map_ticket_id=0&map_customer_email=1&map_closed_at=3&map_agent_email=5"
    ).get_data(as_text=True)
    assert 'value="5" selected' in page
    assert "agent.email" in page  # "Ayu" is not an address


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"map_closed_at": ""}, "must be mapped to a column"),
        ({"map_closed_at": "99"}, "is not a column of the file"),
        ({"map_closed_at": "-1"}, "is not a column of the file"),
    ],
)
def test_a_bad_mapping_is_422_and_imports_nothing(manager_client, db, mapping, message):
    location = upload(manager_client).headers["Location"]
    response = import_with(manager_client, location, **mapping)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db["tickets"].count == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\x00\x00", "not text"),
    ],
)
def test_bad_uploads_are_422(manager_client, db, data, message):
    response = upload(manager_client, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db["ticket_imports"].count == 0


def test_an_upload_without_a_file_is_422(manager_client, db):
    page = manager_client.get("/imports/").get_data(as_text=True)
    response = manager_client.post("/imports/", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 422 and "Choose a CSV file" in response.get_data(as_text=True)


def test_an_upload_over_the_size_limit_is_413(manager_client, db):
    response = upload(manager_client, b"a,b\n" + b"x,y\n" * 300_000)
    assert response.status_code == 413
    assert db["ticket_imports"].count == 0


def test_flask_import_tickets(runner, db, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(EXPORT)
    dry = runner.invoke(args=["import-tickets", str(path), "--dry-run"])
    # A row refused: the status says so (the valid rows are stored all the same).
    assert dry.exit_code == cli.REFUSED_STATUS == 3, dry.output
    assert "2 rows can be imported, 1 has problems" in dry.output
    assert db["tickets"].count == 0
    first = runner.invoke(args=["import-tickets", str(path)])
    assert first.exit_code == cli.REFUSED_STATUS, first.output
    assert "2 new, 0 already stored, 1 refused" in first.output
    assert "line 5:" in first.output
    second = runner.invoke(args=["import-tickets", str(path)])
    assert second.exit_code == cli.REFUSED_STATUS, second.output
    assert "0 new, 2 already stored" in second.output
    assert db["tickets"].count == 2
    valid_only = tmp_path / "valid.csv"
    valid_only.write_bytes(b"\n".join(EXPORT.splitlines()[:3]) + b"\n")
    checked = runner.invoke(args=["import-tickets", str(valid_only), "--dry-run"])
    assert checked.exit_code == 0, checked.output
    assert "2 rows can be imported, 0 have problems" in checked.output
    clean = runner.invoke(args=["import-tickets", str(valid_only)])
    assert clean.exit_code == 0, clean.output
    assert clean.output.splitlines()[-1] == "0 new, 2 already stored, 0 refused; nobody surveyed."
    bad = runner.invoke(args=["import-tickets", str(path), "--map", "closed_at=Nope"])
    assert bad.exit_code == 1 and "FIELD=COLUMN" in bad.output


def test_import_tickets_needs_the_required_columns(runner, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Subject,Status\nHello,Closed\n")
    result = runner.invoke(args=["import-tickets", str(path)])
    assert result.exit_code == 1
    assert "no column for ticket_id, closed_at, customer_email" in result.output


def test_an_export_of_half_a_megabyte_uploads(manager_client, db):
    rows = "".join(
        f"R{number},2026-11-20T10:00:00+07:00,c{number}@example.com\n" for number in range(12_000)
    )
    data = ("Ticket ID,Closed at,Email\n" + rows).encode()
    assert len(data) > 500_000
    assert upload(manager_client, data).status_code == 303


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (",".join(f"c{number}" for number in range(201)).encode() + b"\n1\n", "more than 200"),
        (b'Ticket ID,Email\n"T-1,rina@example.com\n', "not valid CSV"),
    ],
)
def test_files_too_wide_or_badly_quoted_are_refused(data, message):
    with pytest.raises(imports.ImportFileError, match=message):
        imports.read_table(data)


def test_a_utf16_export_is_read():
    data = "Ticket ID\tEmail\nT-1\trina@example.com\n".encode("utf-16")
    table = imports.read_table(data)
    assert table.header == ["Ticket ID", "Email"] and table.rows == [["T-1", "rina@example.com"]]


def test_a_second_click_does_not_import_again(manager_client, db):
    location = upload(manager_client).headers["Location"]
    page = manager_client.get(location).get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="(map_\w+)" value="(\d+)">', page))
    form = {"csrf_token": csrf_token(page), **fields}
    assert manager_client.post(location, data=form).status_code == 303
    assert manager_client.post(location, data={**form, "survey": "y"}).status_code == 303
    [stored] = db.query("SELECT surveyed, created, duplicates FROM ticket_imports")
    assert dict(stored) == {"surveyed": 0, "created": 2, "duplicates": 0}
    assert [row["status"] for row in db.query("SELECT status FROM invitations")] == [
        "suppressed",
        "suppressed",
    ]


def test_an_upload_without_a_csrf_token_stores_nothing(manager_client, db):
    response = manager_client.post(
        "/imports/",
        data={"file": (io.BytesIO(EXPORT), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "CSRF token is missing" in response.get_data(as_text=True)
    assert db["ticket_imports"].count == 0


def test_a_closure_the_api_reported_is_not_imported_again(manager_client, client, db, api_headers):
    reported = client.post(
        "/api/v1/tickets/closed",
        headers=api_headers,
        json=ticket_payload(
            "1001", closed_at="2026-11-02T10:00:00+00:00", email="rina@example.com"
        ),
    )
    assert reported.status_code == 201
    export = (
        b"Ticket ID,Requester email,Resolved at\n"
        b"1001,rina@example.com,2026-11-02 10:00\n"
        b"1002,budi@example.com,2026-11-03 10:00\n"
    )
    location = upload(manager_client, export).headers["Location"]
    import_with(manager_client, location)
    result = manager_client.get(location).get_data(as_text=True)
    assert "1 new closure, 1 already stored" in result
    assert db["tickets"].count == 2


def test_an_import_that_fails_midway_can_be_run_again(manager_client, db, monkeypatch):
    location = upload(manager_client).headers["Location"]

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(imports, "import_rows", fail)
    assert import_with(manager_client, location).status_code == 500
    assert db.execute("SELECT imported_at FROM ticket_imports").fetchone()[0] is None
    monkeypatch.undo()
    import_with(manager_client, location)
    assert "2 new closures" in manager_client.get(location).get_data(as_text=True)


# A UTF-8 export with one damaged line: "café" on line 2, a byte that is not UTF-8 on 3.
DAMAGED_UTF8 = (
    b"ticket_id,closed_at,customer_email,customer_name\n"
    b"U2,2026-01-05 10:00,a@example.com,caf\xc3\xa9\n"
    b"U3,2026-01-05 10:00,b@example.com,bad \xc3\x28\n"
)


@pytest.mark.parametrize(
    "data",
    [
        DAMAGED_UTF8,
        codecs.BOM_UTF8 + DAMAGED_UTF8,
        codecs.BOM_UTF8 + DAMAGED_UTF8.replace(b"caf\xc3\xa9", b"cafe"),  # the BOM says UTF-8
    ],
    ids=["utf-8", "utf-8 with a BOM", "only a BOM"],
)
def test_an_upload_of_damaged_utf8_is_422_naming_the_first_bad_line(manager_client, db, data):
    response = upload(manager_client, data)

    assert response.status_code == 422
    assert "line 3 is not valid UTF-8; save the file as UTF-8" in response.get_data(as_text=True)
    assert db["ticket_imports"].count == 0


def test_an_export_with_no_utf8_character_is_read_as_windows_1252():
    data = "Ticket ID,Closed at,Email,Name\nT-1,2026-01-05 10:00,a@example.com,Café Müller\n"

    table = imports.read_table(data.encode("cp1252"))

    assert table.header == ["Ticket ID", "Closed at", "Email", "Name"]
    assert table.rows == [["T-1", "2026-01-05 10:00", "a@example.com", "Café Müller"]]


@pytest.mark.parametrize("byte", [b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"])
def test_a_byte_neither_utf8_nor_windows_1252_refuses_the_file_naming_its_line(
    manager_client, db, byte
):
    data = (
        b"Ticket ID,Closed at,Email,Name\n"
        b"T-1,2026-01-05 10:00,a@example.com,Caf\xe9 M\xfcller\n"  # Windows-1252
        b"T-2,2026-01-05 11:00,b@example.com,Ku" + byte + b"niawan\n"
    )

    response = upload(manager_client, data)

    assert response.status_code == 422
    message = (
        f"line 3 holds a byte (0x{byte[0]:02X}) that is neither UTF-8 nor Windows-1252; "
        "save the file as UTF-8"
    )
    assert message in response.get_data(as_text=True)
    assert db["ticket_imports"].count == 0


def test_a_row_with_more_cells_than_the_header_is_refused_with_its_line(manager_client, db):
    export = (
        b"Ticket ID,Closed at,Email,Name,Team\n"
        b"T-1,2026-11-02 10:00,rina@example.com,Rina,Billing\n"
        b"T-2,2026-11-02 11:00,budi@example.com,Sastro, Budi,Billing,Sales\n"  # 7 cells
        b"T-3,2026-11-02 12:00,dewi@example.com\n"  # 3 cells: the missing ones are empty
    )
    location = upload(manager_client, export).headers["Location"]

    import_with(manager_client, location)

    result = manager_client.get(location).get_data(as_text=True)
    assert "2 new closures, 0 already stored" in result
    assert "Line 3: row has 7 cells; the header has 5" in result
    stored = db.execute(
        "SELECT ticket_ref, customer_email, customer_name, teams.name FROM tickets "
        "LEFT JOIN teams ON teams.id = tickets.team_id ORDER BY tickets.id"
    ).fetchall()
    assert stored == [
        ("T-1", "rina@example.com", "Rina", "Billing"),
        ("T-3", "dewi@example.com", None, None),
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Ticket ID,Closed at,Email,Email", "'Email' (column 3) and 'Email' (column 4)"),
        (
            "Ticket ID,Closed at,customer_email,Customer Email",
            "'customer_email' (column 3) and 'Customer Email' (column 4)",
        ),
    ],
)
def test_an_upload_whose_header_names_a_column_twice_is_422(manager_client, db, header, message):
    data = f"{header}\nT-1,2026-11-02 10:00,a@example.com,b@example.com\n".encode()

    response = upload(manager_client, data)

    assert response.status_code == 422
    assert (
        f"the header names the same column twice: {message}; rename or remove one"
        in html.unescape(response.get_data(as_text=True))
    )
    assert db["ticket_imports"].count == 0


def test_an_upload_with_an_unclosed_quote_is_422_naming_its_line(manager_client, db):
    data = (
        b"Ticket ID,Closed at,Email\nT-1,2026-11-02 10:00,a@example.com\n"
        b'T-2,"2026-11-02 10:00,b@example.com\n'
    )

    response = upload(manager_client, data)

    assert response.status_code == 422
    assert "the file is not valid CSV: unexpected end of data (line 3)" in response.get_data(
        as_text=True
    )
    assert db["ticket_imports"].count == 0


@pytest.mark.parametrize(
    ("closed_at", "errors", "stored_at"),
    [
        (
            "yesterday",
            {
                "closed_at": "must be an ISO 8601 date and time, such as 2026-11-20 16:30 (read "
                "in the business's time zone) or 2026-11-20T16:30:00+07:00"
            },
            None,
        ),
        # The years allowed are those of the instant in UTC, as it is stored.
        ("2000-01-01T00:00:00+14:00", {"closed_at": f"{YEARS} in UTC; {AS_1999}"}, None),
        ("2000-01-01 05:00", {"closed_at": f"{YEARS} in UTC; it is 1999-12-31 22:00 UTC"}, None),
        ("1999-12-31T20:00:00-05:00", {}, datetime(2000, 1, 1, 1, tzinfo=UTC)),
        ("2999-12-31T20:00:00-05:00", {"closed_at": f"{YEARS} in UTC; {AS_3000}"}, None),
        ("3001-01-01 00:00", {"closed_at": YEARS}, None),  # the year as written
    ],
)
def test_times_in_a_file_are_checked_by_the_file_rule(closed_at, errors, stored_at):
    table = imports.read_table(
        f"Ticket ID,Closed at,Email\nT-1,{closed_at},a@example.com\n".encode()
    )

    outcome = imports.preview(table, imports.guess_mapping(table.header), "Asia/Jakarta")

    [(line, closure, row_errors)] = outcome.previews
    assert (line, row_errors) == (2, errors)
    assert (closure and closure.closed_at) == stored_at


def claimed_minutes_ago(db, minutes):
    """The upload was claimed `minutes` ago and has no outcome: its import is running, or
    its process died (a deploy, a crash) before it finished."""
    db.execute(
        "UPDATE ticket_imports SET imported_at = ?, surveyed = 0, created = NULL",
        [clock.to_iso(clock.now() - timedelta(minutes=minutes))],
    )


def test_an_import_still_running_is_shown_as_such_and_not_run_twice(manager_client, db):
    location = upload(manager_client).headers["Location"]
    page = manager_client.get(location).get_data(as_text=True)
    claimed_minutes_ago(db, 1)

    shown = manager_client.get(location)
    assert shown.status_code == 200
    assert "export.csv is being imported" in shown.get_data(as_text=True)
    assert "None" not in shown.get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="(map_\w+)" value="(\d+)">', page))
    again = manager_client.post(location, data={"csrf_token": csrf_token(page), **fields})
    assert again.status_code == 303
    assert db["tickets"].count == 0  # the running import is left to finish alone
    assert "(not finished)" in manager_client.get("/imports/").get_data(as_text=True)


def test_an_import_interrupted_with_its_server_can_be_run_again_storing_nothing_twice(
    manager_client, db
):
    location = upload(manager_client).headers["Location"]
    import_with(manager_client, location)
    assert db["tickets"].count == 2
    # As if the process had died after storing the rows and before keeping the outcome.
    claimed_minutes_ago(db, imports.CLAIM_SECONDS // 60 + 1)

    page = manager_client.get(location)
    assert page.status_code == 200
    assert "has not finished 15 minutes later" in page.get_data(as_text=True)
    assert import_with(manager_client, location).status_code == 303

    assert "0 new closures, 2 already stored" in manager_client.get(location).get_data(as_text=True)
    assert db["tickets"].count == db["invitations"].count == 2
    [stored] = db.query("SELECT created, duplicates FROM ticket_imports")
    assert dict(stored) == {"created": 0, "duplicates": 2}


def test_an_upload_kept_from_before_a_format_rule_is_refused_with_the_rule(manager_client, db):
    imports.store_upload(db, "tickets", "old.csv", b"Ticket ID,Email,email\nT-1,a@x.com,\n")

    response = manager_client.get("/imports/1")

    assert response.status_code == 422
    assert "the header names the same column twice" in response.get_data(as_text=True)


def test_a_run_that_outlived_its_claim_leaves_the_next_run_s_outcome(db, fake_clock):
    import_id = imports.store_upload(db, "tickets", "slow.csv", EXPORT)
    again = []

    def slow_run():
        # So slow that its claim expired, and the file was imported again meanwhile.
        fake_clock.advance(seconds=imports.CLAIM_SECONDS + 60)
        again.append(imports.run_once(db, "tickets", import_id, lambda: imports.Outcome(created=2)))
        return imports.Outcome(created=0, duplicates=2)

    assert imports.run_once(db, "tickets", import_id, slow_run) == imports.Outcome(duplicates=2)

    assert again == [imports.Outcome(created=2)]
    [stored] = db.query("SELECT created, duplicates FROM ticket_imports")
    assert dict(stored) == {"created": 2, "duplicates": 0}  # the second run's, kept
