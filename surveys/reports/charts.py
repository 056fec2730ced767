"""Charts as SVG, drawn on the server with pygal: no JavaScript, nothing from another host.

Each chart is drawn in two sizes, `wide` (520 × 300) and `narrow` (340 × 280, for phones),
with every text TEXT_PX units high. A page shows a chart scaled to its box, so the page
picks the size whose box is never much narrower than the chart (templates/reports/
_charts.html, static/puas.css): that keeps the text at 11 px or more as rendered, on a
390 px phone as on a 1280 px screen.
"""

import math
from dataclasses import dataclass

import pygal
from pygal.etree import etree
from pygal.style import Style

from surveys.errors import RangeError
from surveys.reports.targets import BY_NAME as TARGETS

SIZES = {"wide": (520, 300), "narrow": (340, 280)}
TEXT_PX = 13
# An average digit or letter of a sans-serif face is about this wide, in ems; used to keep
# the x labels from running into each other.
GLYPH_EM = 0.62

INK, LINE, BRAND, BAD, GOOD, NEUTRAL = (
    "#1f2933",
    "#d9e2ec",
    "#2457a6",
    "#b42318",
    "#1e7b3c",
    "#7b8794",
)

# Puas's colours and sizes. Grid lines are thin, solid and pale, so the target (dashed,
# thick, red and labelled) can never be taken for one of them.
STYLE = Style(
    background="white",
    plot_background="white",
    foreground=INK,
    foreground_strong=INK,
    foreground_subtle=LINE,
    colors=(BRAND,),
    font_family="system-ui, sans-serif",
    label_font_size=TEXT_PX,
    major_label_font_size=TEXT_PX,
    legend_font_size=TEXT_PX,
    value_font_size=TEXT_PX,
    value_label_font_size=TEXT_PX,
    tooltip_font_size=TEXT_PX,
    title_font_size=TEXT_PX,
    no_data_font_size=16,
    guide_stroke_color=LINE,
    major_guide_stroke_color=LINE,
    guide_stroke_dasharray="none",
    major_guide_stroke_dasharray="none",
    stroke_width="2.5",
    opacity="1",
)
# What pygal's own classes do not cover: the band, the target and its label (a white halo
# keeps the label readable where it crosses the scores' line).
EXTRA_CSS = f"""
.band {{ fill: {BRAND}; fill-opacity: 0.18; stroke: none; }}
.target-line {{ stroke: {BAD}; stroke-width: 2.5; stroke-dasharray: 9 5; fill: none; }}
.target-label {{ fill: {BAD}; font-size: {TEXT_PX}px; font-weight: 600; text-anchor: end;
  paint-order: stroke; stroke: white; stroke-width: 4px; stroke-linejoin: round; }}
"""
COMMON = {
    # pygal's scripts and tooltips need JavaScript; a picture needs none.
    "js": [],
    "css": ("file://style.css", "file://graph.css", "inline:" + EXTRA_CSS),
    "disable_xml_declaration": True,
    "explicit_size": True,
    "style": STYLE,
    "show_legend": False,
    "margin": 10,
    # Labels are never cut short ("2…"): label_every thins them out instead.
    "truncate_label": -1,
    "no_data_text": "No answers in this range",
}


@dataclass(frozen=True)
class TrendChart:
    """One score over time: its ROW field, its interval's fields, its scale and labels."""

    field: str
    interval: tuple | None
    title: str
    lowest: float
    highest: float
    ticks: tuple
    unit: str = ""


TRENDS = {
    "csat": TrendChart(
        "csat_pct", ("csat_low", "csat_high"), "CSAT %", 0, 100, tuple(range(0, 101, 20)), "%"
    ),
    "ces": TrendChart(
        "ces_mean", ("ces_low", "ces_high"), "CES (mean, 1–7)", 1, 7, (1, 2, 3, 4, 5, 6, 7)
    ),
    "nps": TrendChart("nps", ("nps_low", "nps_high"), "NPS", -100, 100, (-100, -50, 0, 50, 100)),
    # The response rate has no interval among the scores: no band.
    "response_rate": TrendChart(
        "response_rate", None, "Response rate %", 0, 100, tuple(range(0, 101, 20)), "%"
    ),
}


@dataclass(frozen=True)
class DistributionChart:
    """One scale's answers per score, coloured as the scores read them."""

    kind: str
    title: str
    good: range
    bad: range


# Green: the answers a score counts in its favour (CSAT 4–5 satisfied, CES 5–7 agree, NPS
# 9–10 promoters); red: the low ratings (docs/definitions.md); grey: the rest.
DISTRIBUTIONS = {
    "csat_distribution": DistributionChart("csat", "CSAT answers (1–5)", range(4, 6), range(1, 3)),
    "ces_distribution": DistributionChart("ces", "CES answers (1–7)", range(5, 8), range(1, 4)),
    "nps_distribution": DistributionChart("nps", "NPS answers (0–10)", range(9, 11), range(0, 7)),
}
CHART_NAMES = (*TRENDS, *DISTRIBUTIONS)


def parse_size(args):
    """The `size` parameter: wide (the default) or narrow; RangeError naming it otherwise."""
    size = args.get("size") or "wide"
    if size not in SIZES:
        raise RangeError({"size": f"must be one of {', '.join(SIZES)}"})
    return size


class TrendLine(pygal.Line):
    """pygal's line chart with a 95 % band behind the points and a labelled target line.

    pygal has neither (its confidence intervals are whiskers, and a target drawn as a series
    is an unlabelled line). Every pygal chart draws its data in `_plot`, with `view` mapping
    values to the plot's pixels; the band and the target are drawn there too.
    """

    band = ()  # (low, high) for each point, None where the point has no interval
    target = None
    target_label = ""

    def _plot(self):
        """Draw the band, the target line, the scores, then the target's label on top."""
        self._draw_band()
        self._draw_target_line()
        super()._plot()
        self._draw_target_label()

    def _band_point(self, index, bound):
        """A bound of a point's interval in the plot's pixels, kept inside the scale."""
        clipped = min(max(bound, self._box.ymin), self._box.ymax)
        return self.view((self._x_pos[index], clipped))

    def _draw_band(self):
        # One shape per run of points with an interval; a lone point gets a short bar.
        for run in runs(self.band):
            upper = [self._band_point(index, self.band[index][1]) for index in run]
            lower = [self._band_point(index, self.band[index][0]) for index in reversed(run)]
            if len(run) == 1:
                half = 6
                (x, top), (_, bottom) = upper[0], lower[0]
                upper, lower = (
                    [(x - half, top), (x + half, top)],
                    [(x + half, bottom), (x - half, bottom)],
                )
            outline = " L".join(f"{x:.1f} {y:.1f}" for x, y in upper + lower)
            self.svg.node(self.nodes["plot"], "path", d=f"M{outline} Z", class_="band")

    def _draw_target_line(self):
        if self.target is None:
            return
        y = self.view.y(self.target)
        self.svg.node(
            self.nodes["plot"], "path", d=f"M0 {y:.1f} H{self.view.width:.1f}", class_="target-line"
        )

    def _draw_target_label(self):
        if self.target is None:
            return
        y = self.view.y(self.target)
        # The label sits at the right end of the line, on the side away from the latest
        # score, so the two do not cover each other; never outside the plot.
        latest = next(
            (value for value in reversed(self.series[0].values) if value is not None), None
        )
        above = latest is None or latest < self.target
        if above and y - TEXT_PX - 6 < 0 or not above and y + TEXT_PX + 4 > self.view.height:
            above = not above
        baseline = y - 6 if above else y + TEXT_PX + 4
        label = self.svg.node(
            self.nodes["text_overlay"],
            "text",
            x=f"{self.view.width - 4:.1f}",
            y=f"{baseline:.1f}",
            class_="target-label",
        )
        label.text = self.target_label


def runs(band):
    """The indices of each run of consecutive points that have an interval."""
    current = []
    for index, bounds in enumerate(band):
        if bounds is None:
            if current:
                yield current
            current = []
        else:
            current.append(index)
    if current:
        yield current


def number(value, unit=""):
    """A chart's number: whole when it is whole, else one decimal; then its unit."""
    return f"{value:.0f}{unit}" if float(value).is_integer() else f"{value:.1f}{unit}"


def x_label(period, row):
    """A point's label: the month (YYYY-MM), or the first day of the week in the range."""
    if period == "month":
        return row["group"]
    return f"{row['first_day'].day} {row['first_day']:%b}"


def label_every(labels, width):
    """Show every n-th x label, so that the shown ones do not overlap."""
    if not labels:
        return 1
    plot_width = width - 2 * COMMON["margin"] - 4 * TEXT_PX  # less the y labels
    label_width = max(len(label) for label in labels) * GLYPH_EM * TEXT_PX + TEXT_PX
    return max(1, math.ceil(len(labels) * label_width / plot_width))


def target_label(name, target):
    """What the target line says: its direction and value, e.g. "Target: at least 85%"."""
    target_spec = TARGETS[name]
    direction = "at least" if target_spec.higher_is_better else "at most"
    return f"Target: {direction} {number(target, target_spec.unit)}"


def trend_svg(name, trend, target=None, size="wide"):
    """One score across the trend's weeks or months, with its 95 % band and its target."""
    spec = TRENDS[name]
    width, height = SIZES[size]
    labels = [x_label(trend.period, row) for row in trend.rows]
    chart = TrendLine(
        width=width,
        height=height,
        range=(spec.lowest, spec.highest),
        y_labels=spec.ticks,
        value_formatter=lambda value: number(value, spec.unit),
        allow_interruptions=True,
        show_minor_x_labels=False,
        x_labels_major_every=label_every(labels, width),
        dots_size=3.5,
        **COMMON,
    )
    chart.x_labels = labels
    chart.add(spec.title, [row[spec.field] for row in trend.rows])
    if spec.interval:
        low, high = spec.interval
        chart.band = [
            None if row[low] is None or row[high] is None else (row[low], row[high])
            for row in trend.rows
        ]
    if target is not None:
        chart.target, chart.target_label = target, target_label(spec.field, target)
    return finished(chart, f"{spec.title} per {trend.period}")


def count_ticks(highest):
    """Whole-number ticks from 0 past the highest count, 1, 2 or 5 × 10ⁿ apart."""
    if highest <= 0:
        return (0, 1)
    rough = highest / 5
    magnitude = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(factor * magnitude for factor in (1, 2, 5, 10) if factor * magnitude >= rough)
    return tuple(range(0, math.ceil(highest / step) * step + 1, step))


def bar_colour(spec, score):
    """Green for the answers a score counts in its favour, red for low ratings, else grey."""
    if score in spec.good:
        return GOOD
    if score in spec.bad:
        return BAD
    return NEUTRAL


def distribution_svg(name, counts, size="wide"):
    """How many answers each score of one scale got ({score: n}, every score listed)."""
    spec = DISTRIBUTIONS[name]
    width, height = SIZES[size]
    ticks = count_ticks(max(counts.values(), default=0))
    chart = pygal.Bar(
        width=width,
        height=height,
        range=(0, ticks[-1]),
        y_labels=ticks,
        value_formatter=lambda value: f"{value:.0f}",
        **COMMON,
    )
    chart.x_labels = [str(score) for score in counts]
    chart.add(
        spec.title,
        [{"value": n, "color": bar_colour(spec, score)} for score, n in counts.items()],
    )
    return finished(chart, spec.title)


def finished(chart, title):
    """The chart's SVG, titled (for a reader opening it alone), with pygal's script removed."""
    root = chart.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            if str(child.tag).endswith("script"):
                parent.remove(child)
    # The SVG's own title (pygal's says "Pygal"); the axes' titles are left as they are.
    for element in root:
        if str(element.tag).endswith("title"):
            element.text = title
    return etree.tostring(root, encoding="unicode")
