"""Charts as SVG, drawn on the server with pygal: no JavaScript, nothing from another host."""

import pygal
from pygal.etree import etree
from pygal.style import Style

# Puas's colours; pygal's own defaults pull no fonts or scripts once js=[] is set.
STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#d9e2ec",
    colors=("#2457a6", "#b42318", "#1e7b3c", "#8a4b00"),
    font_family="system-ui, sans-serif",
)
COMMON = {
    "js": [],
    "disable_xml_declaration": True,
    "style": STYLE,
    "width": 640,
    "height": 300,
    "show_legend": False,
    "margin": 12,
}

# What each monthly trend chart shows: (ROW field, title, lowest, highest).
TRENDS = {
    "csat": ("csat_pct", "CSAT % per month", 0, 100),
    "ces": ("ces_mean", "CES (mean) per month", 1, 7),
    "nps": ("nps", "NPS per month", -100, 100),
    "response_rate": ("response_rate", "Response rate % per month", 0, 100),
}


def trend_svg(name, months, target=None):
    """A line of one score across months (None where a month has no answers)."""
    field, title, lowest, highest = TRENDS[name]
    chart = pygal.Line(
        title=title,
        range=(lowest, highest),
        x_label_rotation=30,
        allow_interruptions=True,
        **COMMON,
    )
    chart.x_labels = [row["group"] for row in months]
    chart.add(title, [row[field] for row in months])
    if target is not None:
        chart.add(
            "Target",
            [target] * len(months),
            show_dots=False,
            stroke_style={"dasharray": "6, 4", "width": 1.5},
        )
    return without_scripts(chart)


def distribution_svg(counts):
    """How many answers each score got, per question (counts: kind → {score: n})."""
    chart = pygal.Bar(
        title="Answers per score", legend_at_bottom=True, **dict(COMMON, show_legend=True)
    )
    chart.x_labels = [str(score) for score in range(0, 11)]
    for kind, title in (("csat", "CSAT 1–5"), ("ces", "CES 1–7"), ("nps", "NPS 0–10")):
        chart.add(title, [counts[kind].get(score) for score in range(0, 11)])
    return without_scripts(chart)


def without_scripts(chart):
    """The chart's SVG without pygal's configuration script: a picture needs none."""
    root = chart.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            if str(child.tag).endswith("script"):
                parent.remove(child)
    return etree.tostring(root, encoding="unicode")
