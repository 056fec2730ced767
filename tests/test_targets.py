"""Targets: managers set them in the app; every report shows each score beside its target."""

import pytest
from conftest import csrf_token

from surveys.targets import TARGETS, current_targets


def form_values(**changes):
    values = {target.name: str(target.default) for target in TARGETS}
    values.update({name: str(value) for name, value in changes.items()})
    return values


def save(client, **changes):
    page = client.get("/targets").get_data(as_text=True)
    return client.post("/targets", data={"csrf_token": csrf_token(page),
                                         **form_values(**changes)})


def test_defaults_until_a_manager_sets_them(app, db):
    targets = current_targets(db, app.config)
    assert targets["csat_pct"] == 85 and targets["frt_hours"] == 24
    assert targets["nps"] == 30 and targets["escalation_pct"] == 10


def test_the_frt_default_comes_from_the_setting(make_app, db):
    app = make_app(FRT_TARGET_HOURS=8)
    assert current_targets(db, app.config)["frt_hours"] == 8


def test_a_manager_sets_targets(manager_client, app, db):
    response = save(manager_client, csat_pct=90, nps=-10, frt_hours=12.5)
    assert response.status_code == 302
    targets = current_targets(db, app.config)
    assert (targets["csat_pct"], targets["nps"], targets["frt_hours"]) == (90, -10, 12.5)
    assert db["targets"].count == len(TARGETS)
    body = manager_client.get("/api/v1/kpis").get_json()
    assert body["overall"]["frt_target_h"] == 12.5


@pytest.mark.parametrize(("name", "value"), [
    ("csat_pct", 101), ("csat_pct", -1), ("nps", 101), ("ces_mean", 0.5), ("frt_hours", 0),
    ("fcr_pct", "lots"), ("reopen_pct", ""),
])
def test_out_of_range_targets_are_refused_and_nothing_is_saved(manager_client, db, name,
                                                               value):
    response = save(manager_client, **{name: value})
    assert response.status_code == 422
    assert "Enter a number from" in response.get_data(as_text=True)
    assert db["targets"].count == 0


def test_dashboard_shows_scores_beside_targets(manager_client):
    save(manager_client, csat_pct=77)
    html = manager_client.get("/reports").get_data(as_text=True)
    assert "at least 77.0%" in html
    assert "at most 24.0 h" in html


def test_targets_are_for_managers_only(staff_client):
    assert staff_client.get("/targets").status_code == 403
