"""The JSON API for machines: help desks report closed tickets, reports read scores."""

import json

from flask import Blueprint, current_app, jsonify, request

from surveys.auth import api_key_or_manager_required, api_key_required
from surveys.db import get_db
from surveys.errors import error_response
from surveys.kpi_report import kpi_groups
from surveys.scorecards import period_from, period_rows
from surveys.scores import parse_range, score_groups
from surveys.security import csrf
from surveys.targets import frt_standards, report_targets
from surveys.tickets import parse_closure, record_closure

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class BodyTooLarge(Exception):
    """The request body is over the API's limit."""


def read_body(limit):
    """The raw request body, at most `limit` bytes; BodyTooLarge beyond that."""
    if request.content_length is not None:
        if request.content_length > limit:
            raise BodyTooLarge()
        return request.get_data(cache=False)
    # A chunked body has no length: read one byte past the limit to know it is too big.
    # The server only promises the stream ends when it sets wsgi.input_terminated.
    if request.environ.get("wsgi.input_terminated"):
        body = request.environ["wsgi.input"].read(limit + 1)
        if len(body) > limit:
            raise BodyTooLarge()
        return body
    return b""


def read_json_body():
    """The request's JSON value, or an error response (413 too big, 415 not JSON)."""
    limit = current_app.config["API_MAX_BODY_BYTES"]
    try:
        body = read_body(limit)
    except BodyTooLarge:
        return None, error_response(413, f"the body must be at most {limit // 1024} KB")
    except Exception:  # each server raises its own errors for a broken chunked body
        current_app.logger.info("unreadable request body", exc_info=True)
        return None, error_response(400, "the body could not be read")
    if not request.is_json:
        return None, error_response(
            415, "send the body as JSON with Content-Type: application/json"
        )
    try:
        return json.loads(body), None
    except (ValueError, UnicodeDecodeError):
        return None, error_response(415, "the body is not valid JSON")
    except RecursionError:
        return None, error_response(
            422, "the body could not be accepted", errors={"body": "is nested too deeply"}
        )


@bp.route("/tickets/closed", methods=["POST"])
@csrf.exempt  # machines authenticate with a Bearer key, not a session
@api_key_required
def ticket_closed():
    """A help desk reports a closed ticket; Puas schedules its invitation (SPEC.md)."""
    payload, failure = read_json_body()
    if failure:
        return failure
    closure, errors = parse_closure(payload)
    if errors:
        return error_response(422, "the ticket could not be accepted", errors=errors)
    result, created = record_closure(get_db(), closure, current_app.config)
    return jsonify(result), 201 if created else 200


@bp.route("/scores")
@api_key_or_manager_required
def scores():
    """Survey scores for a range of closing days, as JSON."""
    report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    groups, overall, _ = score_groups(get_db(), report_range)
    return range_body(report_range, groups, overall)


@bp.route("/admin-scores")
@api_key_or_manager_required
def admin_scores():
    """Every admin's scorecard for a month (?period=YYYY-MM), as JSON."""
    period = period_from(request.args, current_app.config)
    return jsonify({"period": period, "admins": period_rows(get_db(), period, current_app.config)})


@bp.route("/kpis")
@api_key_or_manager_required
def kpis():
    """Ticket KPIs for a range of closing days, as JSON (same range rule as /scores)."""
    report_range = parse_range(request.args, current_app.config["TIMEZONE"])
    db = get_db()
    groups, overall, _ = kpi_groups(
        db, report_range, *frt_standards(*report_targets(db, current_app.config, report_range))
    )
    return range_body(report_range, groups, overall)


def range_body(report_range, groups, overall):
    """The JSON answer of a report over a range (SPEC.md): its range, groups and overall."""
    return jsonify(
        {
            "from": report_range.from_day.isoformat(),
            "to": report_range.to_day.isoformat(),
            "group_by": report_range.group_by,
            "groups": groups,
            "overall": overall,
        }
    )
