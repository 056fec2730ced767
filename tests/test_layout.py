"""The package's shape (docs/internals.md): views handle requests; rules never import views.

A module that registers routes (a view module) holds request handling only: it calls
rules and renders. Rules and SQL live in modules without routes, and those never import a
view module, so a rule can be used by a command, the worker or a test without a request.
"""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "surveys"
SQL = re.compile(r"\b(SELECT|INSERT INTO|INSERT OR|UPDATE \w+ SET|DELETE FROM|CREATE TABLE)\b")


def module_name(path):
    """surveys/reports/views/api.py → surveys.reports.views.api (a package by its folder)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(), str(path)) for name, path in MODULES.items()}


def registers_routes(tree):
    """True when the module decorates a function with a blueprint's route."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                call = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(call, ast.Attribute) and call.attr in {"route", "get", "post"}:
                    return True
    return False


def imported_modules(tree):
    """The package's modules a module imports, at any depth (lazy imports included)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
    return {name for name in found if name in MODULES}


VIEWS = {name for name, tree in TREES.items() if registers_routes(tree)}


def is_registry(name):
    """A wing's views/__init__.py: it registers the wing's blueprints, and that is all."""
    return name.endswith(".views")


def test_views_are_found_in_every_wing():
    wings = {name.split(".")[1] for name in VIEWS}
    assert wings == {"actions", "customers", "helpdesk", "reports", "staff"}


def test_every_view_module_sits_in_its_wings_views_package():
    assert {name for name in VIEWS if ".views." not in name} == set()


# A wing's views/__init__.py imports its views to register them, and does nothing else.
RULES = sorted(name for name in set(MODULES) - VIEWS if not is_registry(name))


def test_the_walk_finds_rules_and_registries():
    assert "surveys.reports.scoring" in RULES and "surveys.store.db" in RULES
    assert sorted(name for name in MODULES if is_registry(name)) == [
        f"surveys.{wing}.views" for wing in ("actions", "customers", "helpdesk", "reports", "staff")
    ]


@pytest.mark.parametrize("name", RULES)
def test_rules_never_import_views(name):
    assert imported_modules(TREES[name]) & VIEWS == set()


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_views_hold_no_sql(name):
    statements = [
        node.value.strip().splitlines()[0]
        for node in ast.walk(TREES[name])
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value)
    ]
    assert statements == []
