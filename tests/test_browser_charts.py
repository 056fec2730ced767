"""The dashboard's charts as a manager sees them in real Chromium, at 1280 and 390 px wide.

Each chart is an SVG picture scaled into its box. Its text is measured as rendered: the SVG
the picture loaded is opened at the size the dashboard gives it, and each text's font size
is multiplied by the scale Chromium draws it at.
"""

import re

import pytest

from tests.browser_helpers import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    assert_only_local_requests,
    check_page,
    recorded_page,
    sign_in,
    visit,
)

pytestmark = pytest.mark.browser

MIN_TEXT_PX = 11
CHARTS = 7  # four trends, three scales' answers

# Every chart picture on the page: which drawing it loaded, and the box it is shown in.
PICTURES_JS = """() => Array.from(document.querySelectorAll('.charts img')).map(image => {
  const box = image.getBoundingClientRect();
  return {alt: image.alt, src: image.currentSrc, loaded: image.naturalWidth > 0,
          left: box.left, right: box.right, width: box.width, height: box.height};
})"""

# In the SVG opened on its own, sized as on the dashboard: each visible text's rendered size
# (its font size times the scale it is drawn at, rotation aside), how many of the time axis's
# labels run into the next, and the target's and the grid's strokes as Chromium resolved them.
RENDERED_JS = """([width, height]) => {
  const svg = document.documentElement;
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  const texts = Array.from(svg.querySelectorAll('text'))
    .filter(text => text.textContent.trim() && text.getBBox().width > 0)
    .map(text => {
      const matrix = text.getScreenCTM();
      const scale = Math.hypot(matrix.a, matrix.b);
      return {text: text.textContent, px: parseFloat(getComputedStyle(text).fontSize) * scale};
    });
  const stroke = (selector) => {
    const element = svg.querySelector(selector);
    if (!element) return null;
    const style = getComputedStyle(element);
    return {colour: style.stroke, dashes: style.strokeDasharray, width: style.strokeWidth};
  };
  const boxes = Array.from(svg.querySelectorAll('.axis.x text'))
    .map(text => text.getBoundingClientRect()).sort((one, two) => one.left - two.left);
  const overlaps = boxes.slice(1).filter((box, index) => box.left < boxes[index].right).length;
  return {texts, overlaps, target: stroke('.target-line'), grid: stroke('.axis.y .guide.line')};
}"""


@pytest.fixture
def demo_server(db, app, live_server_factory):
    """gunicorn serving the demo data (a year of answers up to today)."""
    from surveys.demo import seed

    seed(db, app.config)
    return live_server_factory()


def signed_in_manager(browser, server, viewport, **device):
    """A page signed in as the demo's manager, at this viewport."""
    from surveys.demo import DEMO_MANAGER_EMAIL, DEMO_MANAGER_PASSWORD

    context = browser.new_context(viewport=viewport, **device)
    page = recorded_page(context)
    sign_in(page, server, DEMO_MANAGER_EMAIL, DEMO_MANAGER_PASSWORD, lands_on=r"/reports$")
    return context, page


def rendered_charts(context, pictures):
    """What each picture's SVG renders at the size the page shows it."""
    viewer = context.new_page()
    measured = []
    for picture in pictures:
        response = viewer.goto(picture["src"])
        assert response.status == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
        measured.append(viewer.evaluate(RENDERED_JS, [picture["width"], picture["height"]]))
    viewer.close()
    return measured


def small_texts(pictures, measured):
    """Every text drawn under MIN_TEXT_PX, with its chart and size."""
    return [
        (picture["alt"].split(";")[0], text["text"], round(text["px"], 2))
        for picture, chart in zip(pictures, measured, strict=True)
        for text in chart["texts"]
        if text["px"] < MIN_TEXT_PX
    ]


def screenshot_charts(page, name):
    """Both chart sections of the page, one image each and one pixel per CSS pixel, in
    test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    for index, part in enumerate(("trend", "answers")):
        path = ARTIFACTS / f"charts-{name}-{part}.png"
        page.locator("section.chart-section").nth(index).screenshot(path=str(path), scale="css")
        assert path.stat().st_size > 0


@pytest.mark.parametrize(
    ("name", "viewport", "device", "drawing"),
    [
        ("1280", DESKTOP, {}, "wide"),
        ("390", PHONE, {"device_scale_factor": 3, "is_mobile": True, "has_touch": True}, "narrow"),
    ],
)
@pytest.mark.parametrize(("query", "period"), [("", "month"), ("?period=last_90_days", "week")])
def test_chart_text_is_11_px_or_more_as_rendered(
    browser, demo_server, name, viewport, device, drawing, query, period
):
    context, page = signed_in_manager(browser, demo_server, viewport, **device)
    if query:
        visit(page, demo_server.url + "/reports" + query)
    page.wait_for_load_state("load")

    pictures = page.evaluate(PICTURES_JS)

    assert len(pictures) == CHARTS
    assert all(picture["loaded"] for picture in pictures), pictures
    # The phone gets the narrow drawing, the screen the wide one.
    assert all(("size=narrow" in picture["src"]) == (drawing == "narrow") for picture in pictures)
    # No chart spills out of the page.
    assert all(
        0 <= picture["left"] and picture["right"] <= viewport["width"] for picture in pictures
    )
    measured = rendered_charts(context, pictures)
    assert all(chart["texts"] for chart in measured)  # every chart has labels to read
    assert small_texts(pictures, measured) == []
    assert [chart["overlaps"] for chart in measured] == [0] * CHARTS  # no label covers the next
    smallest = min(text["px"] for chart in measured for text in chart["texts"])
    print(f"{name} px, by {period}: smallest chart text {smallest:.2f} px")  # noqa: T201
    # The trends say what they are compared with: a target line, unlike the grid's lines.
    for chart in measured[:4]:
        labels = [text["text"] for text in chart["texts"]]
        assert any(re.fullmatch(r"Target: at least -?[0-9.]+%?", label) for label in labels)
        assert chart["target"]["colour"] != chart["grid"]["colour"]
        assert chart["target"]["dashes"] != chart["grid"]["dashes"] == "none"
        assert float(chart["target"]["width"].rstrip("px")) > float(
            chart["grid"]["width"].rstrip("px")
        )
    assert page.get_by_role("heading", name=f"Trend by {period}").is_visible()
    check_page(page)
    screenshot_charts(page, f"{name}-{period}")
    assert_only_local_requests(page, demo_server)
    context.close()
