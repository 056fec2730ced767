"""The shortcuts that keep a request's Python small change nothing a request sees."""

import pytest


def test_each_function_is_checked_for_a_coroutine_once_and_kept(app):
    def view():
        return "plain"

    made_sync = app.ensure_sync(view)
    assert made_sync is view  # a plain function runs as it is
    assert app.ensure_sync(view) is made_sync
    assert app.sync_functions[view] is view


def test_a_coroutine_is_still_refused_without_flasks_async_extra(app):
    # Flask wraps `async def` views only with asgiref installed; Puas has none, and the
    # refusal must not be cached away as a plain function.
    async def view():
        return "async"

    for _ in range(2):
        with pytest.raises(RuntimeError, match="async"):
            app.ensure_sync(view)
    assert view not in app.sync_functions
