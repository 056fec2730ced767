"""What the browser tests share: Debian's Chromium, pages that record what they load, and
the checks every page visited must pass (axe-core, contrast of controls, nothing from
another host).

A test module imports this first: without Chromium or Playwright the module is skipped
on a developer's machine, and fails in CI.
"""

import os
import re
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
# The README shows two of the pages these tests drive. Each run draws them into
# test-artifacts/; with UPDATE_DOCS_SCREENSHOTS=1 into docs/ too, to be committed (not on
# every run: the demo's dates move with the calendar, and a test run should leave the tree clean).
DOCS = ROOT / "docs"
DOCS_IMAGE_MAX_BYTES = 300_000
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# axe-core's impacts are minor, moderate, serious and critical; these two fail a test.
FAILING_IMPACTS = ("serious", "critical")
# WCAG 1.4.11: the boundary and the focus ring of a control need 3:1 against what is beside them.
MIN_NON_TEXT_CONTRAST = 3.0


def _missing(reason):
    """Skip on a developer's machine, but fail in CI where the browser must be present."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so browser tests must run)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


if not CHROMIUM.exists():
    _missing(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright
except ImportError:
    _missing("playwright or axe-playwright-python is not installed; pip install -e '.[test]'")

AXE = Axe()


@contextmanager
def chromium():
    """Debian's Chromium, headless; never a downloaded one (the `browser` fixture's)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# A page that records what it does


def recorded_page(context):
    """A new page that records every request URL, every console error, and every document
    it shows, so a test can prove it checked each one (assert_every_page_checked)."""
    page = context.new_page()
    page.requests = []
    page.console_errors = []
    page.documents = []  # the URL of each document the page showed, in order
    page.checked = set()  # the positions in page.documents that were checked
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda message: record_console_error(page, message))
    page.on("framenavigated", lambda frame: record_document(page, frame))
    return page


def record_console_error(page, message):
    """Keep a console error: a CSP violation or a failed asset shows up as one."""
    if message.type == "error":
        page.console_errors.append((message.text, message.location.get("url", "")))


def unexpected_console_errors(page):
    """The console errors, less the status of a page itself (a 404 page the test opened on
    purpose logs one; visit() checks each page's status)."""
    return [
        f"{text} at {url}"
        for text, url in page.console_errors
        if not (url in page.documents and text.startswith("Failed to load resource"))
    ]


def record_document(page, frame):
    """Note each document the page's main frame shows."""
    if frame == page.main_frame and frame.url != "about:blank":
        page.documents.append(frame.url)


# The checks every page passes


def check_page(page):
    """The page as it stands passes axe-core (no serious or critical violation), its
    controls' borders reach 3:1, and it is no wider than the window (a wide table scrolls
    in its own box); call after every navigation."""
    results = AXE.run(page)
    failing = [
        violation
        for violation in results.response["violations"]
        if violation["impact"] in FAILING_IMPACTS
    ]
    assert failing == [], f"{page.url}\n{describe_violations(failing)}"
    faint = faint_control_borders(page)
    assert faint == [], f"{page.url}: control borders below 3:1: {faint}"
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], (
        f"{page.url} is {widths[0]} px wide in a {widths[1]} px window: "
        f"{page.evaluate(TOO_WIDE_JS)}"
    )
    page.checked.add(len(page.documents) - 1)


# What reaches past the window's right edge: elements outside any scrolling box, and
# positioned ones (which escape a scrolling box that is not positioned itself).
TOO_WIDE_JS = """() => Array.from(document.body.querySelectorAll('*'))
    .filter(element => element.getBoundingClientRect().right > window.innerWidth + 1)
    .filter(element => ['absolute', 'fixed'].includes(getComputedStyle(element).position)
        || !element.parentElement.closest('.scores'))
    .slice(0, 5)
    .map(element => element.outerHTML.slice(0, 100))
"""


def describe_violations(violations):
    """axe's findings as lines a person can act on: rule, impact, what to do, where."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
    return "\n".join(lines)


def visit(page, url, status=200):
    """Open a URL, expect its status, and check the page."""
    response = page.goto(url)
    assert response.status == status, (url, response.status)
    check_page(page)
    return response


def assert_every_page_checked(page):
    """Every document the page showed was checked before the next one replaced it."""
    unchecked = [url for at, url in enumerate(page.documents) if at not in page.checked]
    assert unchecked == [], unchecked


def assert_only_local_requests(page, server):
    """Everything the page loaded came from the Puas server itself, nothing failed, and every
    page it showed was checked."""
    assert any(urlsplit(url).path == "/static/puas.css" for url in page.requests), page.requests
    foreign = [
        url
        for url in page.requests
        if urlsplit(url).scheme != "http"
        or urlsplit(url).hostname != "127.0.0.1"
        or urlsplit(url).port != server.port
    ]
    assert foreign == []
    # Elements that load something (scripts, images, styles, icons, frames) point home too;
    # favicons are not reported as requests.
    sources = page.evaluate("""Array.from(document.querySelectorAll('[src], link[href]'))
        .map(element => element.src || element.href)""")
    assert [url for url in sources if urlsplit(url).hostname != "127.0.0.1"] == []
    # A Content-Security-Policy violation or a failed asset shows up here.
    assert unexpected_console_errors(page) == []
    assert_every_page_checked(page)


# Contrast of what is not text (WCAG 1.4.11), computed from the colours Chromium resolved.

CONTRAST_JS = """
const rgba = (text) => {
  const [r, g, b, a = 1] = text.match(/[\\d.]+/g).map(Number);
  return [r, g, b, a];
};
const luminance = ([r, g, b]) => {
  const linear = (c) => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
};
const contrast = (one, two) => {
  const [high, low] = [luminance(one), luminance(two)].sort((a, b) => b - a);
  return Math.round(((high + 0.05) / (low + 0.05)) * 100) / 100;
};
// The first opaque background behind an element (the page's own background is white).
const behind = (element) => {
  for (let node = element.parentElement; node; node = node.parentElement) {
    const colour = rgba(getComputedStyle(node).backgroundColor);
    if (colour[3] > 0) return colour;
  }
  return [255, 255, 255, 1];
};
const describe = (element) =>
  element.outerHTML.slice(0, 120).replace(/\\s+/g, ' ');
"""

# Controls whose border is their boundary. Radios inside a .choice are invisible: the span
# beside them is the control people see; other radios and checkboxes are Chromium's own.
FAINT_BORDERS_JS = (
    "(minimum) => {"
    + CONTRAST_JS
    + """
  const controls = document.querySelectorAll(
    'input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, textarea, ' +
    'button, a.button, .choice > span');
  const faint = [];
  for (const control of controls) {
    const style = getComputedStyle(control);
    if (!control.getClientRects().length || style.visibility === 'hidden') continue;
    if (style.borderTopStyle === 'none' || parseFloat(style.borderTopWidth) === 0) continue;
    const around = behind(control);
    const ratio = contrast(rgba(style.borderTopColor), around);
    // A filled control (a primary button) is bounded by its fill instead.
    const fill = rgba(style.backgroundColor);
    if (ratio < minimum && !(fill[3] > 0 && contrast(fill, around) >= minimum)) {
      faint.push(`${ratio}:1 ${style.borderTopColor} on ${around}: ${describe(control)}`);
    }
  }
  return faint;
}"""
)

# The focused element's ring: the outline of the element, or of the span that shows a radio.
FOCUS_RING_JS = (
    "() => {"
    + CONTRAST_JS
    + """
  const focused = document.activeElement;
  if (!focused || focused === document.body) return null;
  const ring = focused.matches('.choice input') ? focused.nextElementSibling : focused;
  const style = getComputedStyle(ring);
  const around = behind(ring);
  return {
    element: describe(focused),
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    contrast: contrast(rgba(style.outlineColor), around),
  };
}"""
)


def faint_control_borders(page):
    """Every visible control whose border has less than 3:1 against the background."""
    return page.evaluate(FAINT_BORDERS_JS, MIN_NON_TEXT_CONTRAST)


def focus_rings(page, stops=40):
    """Tab through the page from the top: the focus ring of each stop, up to `stops`."""
    # A click on the page's top corner (no control there) moves the point Tab starts from.
    page.mouse.click(1, 1)
    rings = []
    for _ in range(stops):
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUS_RING_JS)
        if ring is None or ring in rings[:1]:  # back at the first stop: the page is done
            break
        rings.append(ring)
    return rings


def faint_focus_rings(rings):
    """The rings that are missing, thinner than 2 px, or below 3:1 against the background."""
    return [
        ring
        for ring in rings
        if ring["style"] == "none" or ring["width"] < 2 or ring["contrast"] < MIN_NON_TEXT_CONTRAST
    ]


# Signing in and pictures


def sign_in(page, server, email, password, lands_on=r"/"):
    """Sign in through the login form (checking it), landing on a page that is checked too."""
    visit(page, server.url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(lands_on))
    check_page(page)


def save_screenshot(page, name, full_page=True):
    """The page as test-artifacts/<name>, for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 0
    return path


def save_docs_screenshot(page, name):
    """The visible part of the page as test-artifacts/docs-<name> (and docs/<name> when
    asked), one image pixel per CSS pixel.

    The viewport, not the full page: the README needs the top of the page, and a small file.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    paths = [ARTIFACTS / f"docs-{name}"]
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        paths.append(DOCS / name)
    for path in paths:
        page.screenshot(path=str(path), scale="css")
        assert 0 < path.stat().st_size < DOCS_IMAGE_MAX_BYTES, path.stat().st_size
