"""Server-side SVG: bar charts for the dashboard and a workflow's state diagram.
Drawn here so that charts render with no network and no script (strict CSP)."""
from markupsafe import Markup, escape

from app.core.i18n import pick
from app.core.words import action_label, role_label

TIER_ORDER = ["captain", "branch", "committee", "partner", "submitter", "none"]
TIER_COLOURS = {"captain": "#fde2e4", "branch": "#fff1c1", "committee": "#dbeafe",
                "partner": "#dcfce7", "submitter": "#ede9fe", "none": "#eeeeee"}


def bar_chart(rows: list[tuple[str, list[float]]], series: list[str], width: int = 640) -> Markup:
    """Grouped horizontal bars: rows of (label, [value per series])."""
    colours = ["#c8102e", "#2f81f7", "#1a7f37", "#9a6700"]
    bar, gap, label_w = 14, 10, 150
    top = 24
    height = top + len(rows) * (bar * len(series) + gap) + 10
    peak = max([v for _, values in rows for v in values] + [1])
    scale = (width - label_w - 60) / peak
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" class="chart">']
    for i, name in enumerate(series):
        parts.append(f'<rect x="{label_w + i * 140}" y="4" width="12" height="12" fill="{colours[i % 4]}"/>'
                     f'<text x="{label_w + i * 140 + 16}" y="15" font-size="12">{escape(name)}</text>')
    y = top
    for label, values in rows:
        parts.append(f'<text x="{label_w - 6}" y="{y + bar}" font-size="13" text-anchor="end">'
                     f'{escape(label)}</text>')
        for i, value in enumerate(values):
            w = max(value * scale, 0)
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar - 2}" '
                         f'fill="{colours[i % 4]}"><title>{escape(label)}: {value}</title></rect>'
                         f'<text x="{label_w + w + 4:.1f}" y="{y + bar - 4}" font-size="11">{value:g}</text>')
            y += bar
        y += gap
    parts.append("</svg>")
    return Markup("".join(parts))


def tier_words(tier: str) -> str:
    """A column of the diagram: who holds the states in it."""
    from flask_babel import gettext as _
    if tier == "none":
        return _("Nobody (done or waiting)")
    if tier == "submitter":
        return _("The submitter")
    return role_label(tier)


def workflow_diagram(workflow: dict) -> Markup:
    """States in columns by the tier that holds them; transitions as labelled arrows."""
    states = workflow["states"]
    columns: dict[str, list[str]] = {}
    for name, spec in states.items():
        columns.setdefault(spec.get("tier", "none"), []).append(name)
    tiers = [t for t in TIER_ORDER if t in columns]
    box_w, box_h, col_gap, row_gap = 150, 44, 70, 40
    pos = {}
    for c, tier in enumerate(tiers):
        for r, name in enumerate(columns[tier]):
            pos[name] = (20 + c * (box_w + col_gap), 40 + r * (box_h + row_gap))
    width = 40 + len(tiers) * (box_w + col_gap)
    height = 80 + max(len(v) for v in columns.values()) * (box_h + row_gap)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" class="diagram" role="img">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/>'
             '</marker></defs>']
    for c, tier in enumerate(tiers):
        parts.append(f'<text x="{20 + c * (box_w + col_gap)}" y="22" font-size="13" '
                     f'font-weight="bold">{escape(tier_words(tier))}</text>')
    initial = workflow.get("initial", {})
    starts = set(initial.get("route") or list((initial.get("capacity") or {}).values()))
    for n, t in enumerate(workflow["transitions"]):
        targets = t["to"] if isinstance(t["to"], list) else [t["to"]]
        if t["to"] == "@route":
            targets = list(initial.get("route") or [])[:1]
        for source in t["from"]:
            for target in targets[:1]:
                if source not in pos or target not in pos:
                    continue
                (x1, y1), (x2, y2) = pos[source], pos[target]
                sx, sy = x1 + box_w / 2, y1 + box_h / 2
                tx, ty = x2 + box_w / 2, y2 + box_h / 2
                bend = 30 + (n % 4) * 12
                mx, my = (sx + tx) / 2, (sy + ty) / 2 - bend
                parts.append(f'<path d="M{sx:.0f},{sy:.0f} Q{mx:.0f},{my:.0f} {tx:.0f},{ty:.0f}" '
                             f'fill="none" stroke="#8c959f" marker-end="url(#arrow)"/>'
                             f'<text x="{mx:.0f}" y="{my + 12:.0f}" font-size="11" fill="#57606a" '
                             f'text-anchor="middle">{escape(action_label(workflow, t["name"], source))}</text>')
    for name, (x, y) in pos.items():
        spec = states[name]
        stroke = "#c8102e" if name in starts else "#57606a"
        width_line = 3 if spec.get("final") else 1.5
        parts.append(f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="8" '
                     f'fill="{TIER_COLOURS.get(spec.get("tier"), "#eee")}" stroke="{stroke}" '
                     f'stroke-width="{width_line}"/>'
                     f'<text x="{x + box_w / 2}" y="{y + 27}" font-size="12" text-anchor="middle">'
                     f'{escape(pick(spec.get("label")) or name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
