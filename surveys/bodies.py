"""Request bodies for the JSON API and webhooks: a size limit, then strict JSON."""

import json

from flask import current_app, request

from surveys.errors import error_response


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
        return strict_json(body), None
    except RepeatedKey as error:
        return None, error_response(
            422, "the body could not be accepted", errors={"body": str(error)}
        )
    except (ValueError, UnicodeDecodeError):
        return None, error_response(415, "the body is not valid JSON")
    except RecursionError:
        return None, error_response(
            422, "the body could not be accepted", errors={"body": "is nested too deeply"}
        )


class RepeatedKey(ValueError):
    """A JSON object names one key twice: which of its values was meant is anyone's guess."""

    def __init__(self, key):
        super().__init__(f"repeats the key {key[:100]!r} in one object")


def strict_json(body):
    """The JSON value of a body; RepeatedKey when an object repeats a key (json.loads would
    keep the last one silently), ValueError when it is not JSON."""
    return json.loads(body, object_pairs_hook=_refuse_repeated_keys)


def _refuse_repeated_keys(pairs):
    """An object's pairs as a dict, unless a key comes twice."""
    members = {}
    for key, value in pairs:
        if key in members:
            raise RepeatedKey(key)
        members[key] = value
    return members
