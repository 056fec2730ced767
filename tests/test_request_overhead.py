"""Puas asks once per function whether it is a coroutine, and forgets what it no longer
needs; coroutines are still refused as Flask refuses them."""

import gc

import flask.app
import pytest


def test_each_hook_and_view_is_checked_for_a_coroutine_on_the_first_request_only(
    client, monkeypatch
):
    checked = []
    real_check = flask.app.iscoroutinefunction

    def counting_check(func):
        checked.append(func)
        return real_check(func)

    monkeypatch.setattr(flask.app, "iscoroutinefunction", counting_check)
    assert client.get("/login").status_code == 200
    first_request = len(checked)
    assert client.get("/login").status_code == 200
    assert first_request > 0 and len(checked) == first_request


def test_a_function_made_for_one_request_is_not_kept(app):
    def make_view():
        def view():
            return "plain"

        return view

    known_before = len(app.plain_functions)
    for _ in range(100):
        view = make_view()
        assert app.ensure_sync(view) is view
    del view
    gc.collect()
    assert len(app.plain_functions) == known_before


def test_a_coroutine_is_still_refused_without_flasks_async_extra(app):
    # Flask wraps `async def` views only with asgiref installed; Puas has none, and the
    # refusal must not be remembered as a plain function.
    async def view():
        return "async"

    for _ in range(2):
        with pytest.raises(RuntimeError, match="async"):
            app.ensure_sync(view)
    assert view not in app.plain_functions
