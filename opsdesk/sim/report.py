"""Self-contained HTML reports of a simulation or a comparison.

No scripts, no external assets: inline CSS and hand-drawn SVG charts. Every piece
of text that comes from a playbook, a scenario or the caller goes through
`html.escape`.
"""

from __future__ import annotations

from html import escape

from opsdesk.sim.compare import Comparison
from opsdesk.sim.runner import Result

_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 60em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; } td, th { padding: 0.2em 0.8em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr:nth-child(even) { background: #f4f4f4; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; }
.figure { border: 1px solid #ddd; padding: 0.6em 1em; min-width: 8em; }
.figure b { display: block; font-size: 1.4em; }
.sig { font-weight: bold; }
svg text { font-size: 12px; font-family: sans-serif; }
pre { white-space: pre-wrap; }
"""


def _page(title: str, body: list[str]) -> str:
    t = escape(title)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{t}</title>",
            f"<style>{_STYLE}</style>",
            "</head>",
            "<body>",
            f"<h1>{t}</h1>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


def _fmt(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}g}"


def _bars(items: list[tuple[str, float]], maximum: float = 1.0, percent: bool = True) -> str:
    """A horizontal bar chart: one labelled bar per item, scaled to `maximum`."""
    if not items:
        return "<p>none</p>"
    label_w, bar_w, row_h = 180, 360, 22
    height = row_h * len(items) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 80}" '
        f'height="{height}" role="img">'
    ]
    top = maximum if maximum > 0 else 1.0
    for i, (label, value) in enumerate(items):
        y = i * row_h + 3
        w = max(0.0, min(1.0, value / top)) * bar_w
        shown = f"{value:.1%}" if percent else f"{value:.4g}"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="{row_h - 6}" fill="#eee"/>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row_h - 6}" fill="#4a7ab5"/>'
            f'<text x="{label_w + bar_w + 6}" y="{y + 15}">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _line(series: list[int] | list[float], x_label: str = "hour") -> str:
    """A line chart of an hourly (or daily) series, its maximum marked on the y axis."""
    if not series:
        return "<p>no samples</p>"
    width, height, left, bottom = 640, 200, 40, 24
    plot_w, plot_h = width - left - 10, height - bottom - 10
    top = max(series) or 1
    step = plot_w / max(len(series) - 1, 1)
    points = " ".join(
        f"{left + i * step:.1f},{10 + plot_h - v / top * plot_h:.1f}" for i, v in enumerate(series)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">'
        f'<line x1="{left}" y1="10" x2="{left}" y2="{10 + plot_h}" stroke="#888"/>'
        f'<line x1="{left}" y1="{10 + plot_h}" x2="{left + plot_w}" y2="{10 + plot_h}" '
        'stroke="#888"/>'
        f'<text x="{left - 4}" y="16" text-anchor="end">{top:g}</text>'
        f'<text x="{left - 4}" y="{10 + plot_h}" text-anchor="end">0</text>'
        f'<text x="{left + plot_w}" y="{height - 6}" text-anchor="end">'
        f"{escape(x_label)} {len(series) - 1}</text>"
        f'<polyline fill="none" stroke="#4a7ab5" stroke-width="1.5" points="{points}"/>'
        "</svg>"
    )


def _table(head: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    out = ["<table>", "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def html_report(result: Result, title: str) -> str:
    """One run: headline figures, SLA attainment, the hourly queue, utilisation."""
    c, t, q = result.cases, result.tasks, result.queue
    util = list(result.utilisation.values())
    mean_util = sum(util) / len(util) if util else 0.0
    figures = [
        ("simulated days", f"{result.days:g}"),
        ("seed", str(result.seed)),
        ("cases arrived", str(c["arrived"])),
        ("cases closed", str(c["closed"])),
        ("tasks completed", str(t["completed"])),
        ("waiting mean (min)", f"{t['waiting_mean']:.1f}"),
        ("waiting p95 (min)", f"{t['waiting_p95']:.1f}"),
        ("queue max", f"{q['max']:g}"),
        ("queue mean", f"{q['mean']:.2f}"),
        ("mean utilisation", f"{mean_util:.1%}"),
    ]
    body = [
        "<h2>Headline figures</h2>",
        '<div class="figures">'
        + "".join(
            f'<div class="figure">{escape(label)}<b>{escape(value)}</b></div>'
            for label, value in figures
        )
        + "</div>",
        "<h2>SLA attainment</h2>",
        _bars(
            [
                (name, s["attainment"])
                for name, s in result.slas.items()
                if s["attainment"] is not None
            ]
        ),
        _table(
            ["SLA", "started", "met", "breached", "attainment"],
            [
                [
                    name,
                    str(s["started"]),
                    str(s["met"]),
                    str(s["breached"]),
                    "n/a" if s["attainment"] is None else f"{s['attainment']:.1%}",
                ]
                for name, s in result.slas.items()
            ],
        )
        if result.slas
        else "",
        "<h2>Waiting tasks, hourly</h2>",
        _line(result.queue_hourly),
        "<h2>Task waiting time per day (mean minutes from opening to pick-up)</h2>",
        _line(result.waiting_daily, x_label="day"),
        "<h2>Utilisation per agent</h2>",
        _bars(list(result.utilisation.items())),
        "<h2>Milestones (cases that reached each)</h2>",
        _bars(
            [(name, float(n)) for name, n in result.milestones.items()],
            maximum=float(c["opened"] or 1),
            percent=False,
        ),
        "<h2>Summary</h2>",
        f"<pre>{escape(result.summary())}</pre>",
    ]
    return _page(title, body)


def html_comparison(comparison: Comparison, title: str = "Playbook comparison") -> str:
    """A comparison: the metric table (significant rows bold) and attainment side by side."""
    cmp = comparison
    rows, classes = [], []
    for m in cmp.metrics.values():
        ci = "n/a" if m.low is None else f"[{_fmt(m.low)}, {_fmt(m.high)}]"
        diff = "n/a" if m.diff is None else f"{m.diff:+.4g}"
        rows.append(
            [m.name, _fmt(m.mean_a), _fmt(m.mean_b), diff, ci, "yes" if m.significant else ""]
        )
        classes.append("sig" if m.significant else "")
    attainment: list[tuple[str, float]] = []
    for m in cmp.metrics.values():
        if m.name.startswith("sla."):
            sla = m.name.removeprefix("sla.").removesuffix(".attainment")
            if m.mean_a is not None:
                attainment.append((f"{sla} (A)", m.mean_a))
            if m.mean_b is not None:
                attainment.append((f"{sla} (B)", m.mean_b))
    milestones: list[tuple[str, float]] = []
    for m in cmp.metrics.values():
        if m.name.startswith("milestone."):
            name = m.name.removeprefix("milestone.")
            milestones += [(f"{name} (A)", m.mean_a or 0.0), (f"{name} (B)", m.mean_b or 0.0)]
    body = [
        f"<p>A: <b>{escape(cmp.a)}</b>, B: <b>{escape(cmp.b)}</b>; "
        f"{cmp.runs} paired run(s), seeds {cmp.seeds[0]} to {cmp.seeds[-1]}. "
        "Both playbooks see the same arrivals in each run.</p>",
        "<h2>Metrics</h2>",
        _table(["metric", "A", "B", "B-A", "95% CI", "significant"], rows, classes),
        "<h2>SLA attainment (mean over runs)</h2>",
        _bars(attainment),
        "<h2>Milestones (mean cases per run)</h2>",
        _bars(milestones, maximum=max((v for _, v in milestones), default=1.0), percent=False),
    ]
    return _page(title, body)
