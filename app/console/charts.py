"""Server-side SVG charts of the dashboard (issue 24), as svg.py: no script, no network.
Every chart carries a <title> and a <desc> (its text alternative, read by screen readers
through aria-labelledby); the page puts the numbers in a table beside it."""
from itertools import count

from markupsafe import Markup, escape

COLOURS = ["#c8102e", "#2f81f7", "#1a7f37", "#9a6700", "#8250df", "#57606a"]
_ids = count(1)


def _open(width: int, height: int, title: str, desc: str, css: str) -> tuple[list, str]:
    n = next(_ids)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" class="chart {css}" '
             f'aria-labelledby="chart-t{n} chart-d{n}">',
             f'<title id="chart-t{n}">{escape(title)}</title><desc id="chart-d{n}">{escape(desc)}</desc>']
    return parts, f"chart-d{n}"


def columns(labels: list[str], series: list[tuple[str, list[float]]], title: str, desc: str,
            width: int = 640, height: int = 240) -> Markup:
    """Grouped vertical bars: one group per label (a week), one bar per series."""
    parts, _ = _open(width, height, title, desc, "columns")
    left, top, bottom = 36, 26, 34
    plot_h = height - top - bottom
    peak = max([v for _, values in series for v in values] + [1])
    group_w = (width - left - 10) / max(len(labels), 1)
    bar_w = max(min(group_w * 0.8 / max(len(series), 1), 22), 2)
    for i, (name, _values) in enumerate(series):
        parts.append(f'<rect x="{left + i * 130}" y="6" width="12" height="12" fill="{COLOURS[i % 6]}"/>'
                     f'<text x="{left + i * 130 + 16}" y="17" font-size="12">{escape(name)}</text>')
    for tick in (0, peak / 2, peak):
        y = top + plot_h - tick / peak * plot_h
        parts.append(f'<line x1="{left}" x2="{width - 6}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eaeef2"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{tick:g}</text>')
    for g, label in enumerate(labels):
        x0 = left + g * group_w + (group_w - bar_w * len(series)) / 2
        for i, (name, values) in enumerate(series):
            value = values[g]
            h = value / peak * plot_h
            parts.append(f'<rect x="{x0 + i * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" '
                         f'height="{h:.1f}" fill="{COLOURS[i % 6]}"><title>{escape(label)} '
                         f'{escape(name)}: {value:g}</title></rect>')
        parts.append(f'<text x="{left + g * group_w + group_w / 2:.1f}" y="{height - bottom + 16}" '
                     f'font-size="11" text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(rows: list[tuple[str, float, str | None]], title: str, desc: str, unit: str = "",
         width: int = 520) -> Markup:
    """Horizontal bars: (label, value, link or None); a linked bar drills down."""
    bar, gap, label_w = 16, 8, 170
    height = 12 + len(rows) * (bar + gap)
    parts, _ = _open(width, max(height, 30), title, desc, "bars")
    peak = max([v for _, v, _ in rows] + [1])
    scale = (width - label_w - 70) / peak
    y = 8
    for i, (label, value, href) in enumerate(rows):
        w = max(value * scale, 0)
        inner = (f'<text x="{label_w - 6}" y="{y + bar - 3}" font-size="13" text-anchor="end">{escape(label)}</text>'
                 f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar}" fill="{COLOURS[i % 6] if not href else COLOURS[1]}">'
                 f'<title>{escape(label)}: {value:g}{escape(unit)}</title></rect>'
                 f'<text x="{label_w + w + 4:.1f}" y="{y + bar - 3}" font-size="12">{value:g}{escape(unit)}</text>')
        parts.append(f'<a href="{escape(href)}">{inner}</a>' if href else inner)
        y += bar + gap
    parts.append("</svg>")
    return Markup("".join(parts))
