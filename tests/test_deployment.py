"""Installing and serving Puas leave nothing behind that nobody asked for.

A clean build of the package prints no packaging warnings (they read like failures to whoever
installs Puas), and gunicorn, started with the repository's gunicorn.conf.py as `make run` and
the tests start it, writes nothing into the home directory of the person running it.
"""

import shutil
import subprocess
import sys
import zipfile

import pytest
import requests

from tests.helpers import ROOT


def tracked_files():
    """The repository's files as a clean clone has them (no venv, no build output)."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return [name for name in listing.stdout.decode().split("\0") if (ROOT / name).is_file()]


def clean_copy(folder):
    """The repository's tracked files copied into folder, as a clean clone has them."""
    for name in tracked_files():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, folder / name)
    return folder


@pytest.mark.slow
def test_an_editable_install_as_make_does_it_prints_no_warning(tmp_path):
    source = clean_copy(tmp_path / "source")
    pip = str(tmp_path / "venv" / "bin" / "pip")
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True, timeout=120)
    # The Makefile's steps: a current pip (it shows the build backend's warnings), then the
    # project, editable, from its own folder.
    subprocess.run([pip, "install", "--quiet", "--upgrade", "pip"], check=True, timeout=300)
    install = subprocess.run(
        [pip, "install", "--quiet", "--no-deps", "-e", "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    output = install.stdout + install.stderr
    assert [line for line in output.splitlines() if "Warning" in line or "!!" in line] == []


@pytest.mark.slow
def test_a_clean_build_prints_no_packaging_warnings(tmp_path):
    source = clean_copy(tmp_path / "source")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp_path), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    output = build.stdout + build.stderr
    warnings = [line for line in output.splitlines() if "Warning" in line]
    assert warnings == []
    (wheel,) = tmp_path.glob("puas-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {str(path.relative_to(source)) for path in (source / "surveys").rglob("__init__.py")}
    assert packages and packages <= names  # every wing is installed, not only the top
    assert "surveys/translations/id/LC_MESSAGES/messages.po" in names


@pytest.mark.slow
def test_gunicorn_writes_nothing_into_the_home_directory(
    tmp_path, monkeypatch, live_server_factory
):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    server = live_server_factory(workers=1)
    assert requests.get(server.url + "/login", timeout=10).status_code == 200
    assert sorted(home.iterdir()) == []
