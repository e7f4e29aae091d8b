"""Draw a playbook's states and transitions: Mermaid text and a self-contained SVG.

Pure Python, no Django. `mermaid(pb)` gives a `stateDiagram-v2` to paste into
documents; `svg(pb, counts)` a drawing with no script, no external font or link
(the UI inlines it, `opsdesk playbook draw` writes it). Both are deterministic:
the same playbook gives the same bytes.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from html import escape

from opsdesk.playbook.model import (
    Action,
    Branch,
    Duration,
    Playbook,
    SetTimer,
    StartCadence,
    Transition,
)

GUARD_MAX = 40

# --- shared: what a transition's label says ----------------------------------


def duration_text(d: Duration) -> str:
    """ "3 business days", "4 hours", "1.5 business hours" """
    for unit in ("business_days", "business_hours", "days", "hours", "minutes"):
        value = getattr(d, unit)
        if value is not None:
            name = unit.replace("_", " ")
            if value == 1:
                name = name[:-1]
            return f"{_num(float(value))} {name}"
    return "?"  # pragma: no cover - Duration has exactly one unit


def _num(v: float) -> str:
    text = f"{v:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _flatten(actions: list[Action]) -> list[Action]:
    out: list[Action] = []
    for action in actions:
        out.append(action)
        if isinstance(action, Branch):
            out.extend(_flatten(action.then))
            out.extend(_flatten(action.else_))
    return out


def timer_durations(pb: Playbook) -> dict[str, Duration]:
    """Timers every `set_timer` sets with the same duration (else the duration is unknown)."""
    seen: dict[str, set[Duration]] = {}
    for _, action in pb.actions():
        if isinstance(action, SetTimer):
            seen.setdefault(action.set_timer.name, set()).add(action.set_timer.after)
    return {name: next(iter(ds)) for name, ds in seen.items() if len(ds) == 1}


def event_text(tr: Transition, timers: dict[str, Duration]) -> str:
    """The short name of what a transition waits for ("" for an automatic one)."""
    if tr.on is None:
        return ""
    if tr.on == "manual":
        return tr.label or "manual"
    if tr.on.startswith("timer."):
        known = timers.get(tr.on.removeprefix("timer."))
        if known is not None:
            return f"after {duration_text(known)}"
    return tr.on


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _short(text: str, limit: int = GUARD_MAX) -> str:
    text = _one_line(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def state_notes(pb: Playbook, name: str) -> list[str]:
    """What entering the state starts or stops: SLAs and cadences."""
    notes = []
    for key, sla in pb.slas.items():
        if name in sla.starts:
            notes.append(f"starts SLA {key} ({duration_text(sla.target)})")
        if name in sla.stops:
            notes.append(f"stops SLA {key}")
    spec = pb.states[name]
    actions = _flatten(spec.on_enter)
    for tr in spec.transitions:
        actions.extend(_flatten(tr.do))
    started: list[str] = []
    for action in actions:
        if isinstance(action, StartCadence) and action.start_cadence not in started:
            started.append(action.start_cadence)
    notes.extend(f"starts cadence {c}" for c in started)
    return notes


# --- Mermaid ------------------------------------------------------------------

_MERMAID_ESCAPES = {
    ";": "#59;",
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
}


def _m(text: str) -> str:
    """One line, with the characters Mermaid reads as syntax written as entity codes."""
    return re.sub(r'[;#"<>&]', lambda m: _MERMAID_ESCAPES[m.group()], _one_line(text))


def mermaid(pb: Playbook) -> str:
    """The playbook as a Mermaid `stateDiagram-v2`."""
    timers = timer_durations(pb)
    lines = ["stateDiagram-v2"]
    for name, spec in pb.states.items():
        if spec.label:
            lines.append(f'    state "{_m(spec.label)}" as {name}')
    lines.append(f"    [*] --> {pb.initial_state}")
    for name, spec in pb.states.items():
        for tr in spec.transitions:
            parts = [event_text(tr, timers)]
            if tr.when is not None:
                parts.append(f"[{tr.when}]")
            text = _m(" ".join(p for p in parts if p))
            lines.append(f"    {name} --> {tr.to or name} : {text}")
    for name, spec in pb.states.items():
        if spec.final:
            lines.append(f"    {name} --> [*]")
    for name in pb.states:
        notes = state_notes(pb, name)
        if notes:
            lines.append(f"    note right of {name}")
            lines.extend(f"        {_m(n)}" for n in notes)
            lines.append("    end note")
    return "\n".join(lines) + "\n"


# --- SVG ----------------------------------------------------------------------

CHAR_W = 7.0  # an estimate of a 12px sans-serif character's width
BOX_H = 44.0
BOX_H_COUNTS = 60.0
LAYER_GAP = 150.0
LAYER_GAP_MAX = 330.0
ROW_GAP = 46.0
PAD = 24.0


def layers(pb: Playbook) -> list[list[str]]:
    """Breadth-first from the initial state; unreachable states in a last layer.
    Within a layer, states keep the playbook's order."""
    depth = {pb.initial_state: 0}
    queue = deque([pb.initial_state])
    while queue:
        name = queue.popleft()
        for tr in pb.states[name].transitions:
            if tr.to is not None and tr.to in pb.states and tr.to not in depth:
                depth[tr.to] = depth[name] + 1
                queue.append(tr.to)
    last = max(depth.values()) + 1
    out: list[list[str]] = [[] for _ in range(last + 1)]
    for name in pb.states:
        out[depth.get(name, last)].append(name)
    return [layer for layer in out if layer]


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def _a(value: str) -> str:
    return escape(value, quote=True)


def _text_w(text: str) -> float:
    return len(text) * CHAR_W


def svg(pb: Playbook, counts: dict[str, int] | None = None) -> str:
    """A self-contained SVG of the playbook; `counts`: open cases per state, shown in the boxes."""
    timers = timer_durations(pb)
    box_h = BOX_H if counts is None else BOX_H_COUNTS
    titles = {name: spec.label or name for name, spec in pb.states.items()}

    # Short labels first: the gap after a layer fits the widest label leaving it.
    shorts: dict[tuple[str, int], str] = {}
    for name, spec in pb.states.items():
        for i, tr in enumerate(spec.transitions):
            short = event_text(tr, timers)
            if tr.when is not None:
                short = f"{short} [{_short(tr.when)}]".strip()
            shorts[(name, i)] = short
    boxes: dict[str, _Box] = {}
    x = 0.0
    for layer in layers(pb):
        w = max(120.0, *(_text_w(titles[n]) + 28 for n in layer))
        for row, name in enumerate(layer):
            boxes[name] = _Box(x, row * (box_h + ROW_GAP), w, box_h)
        widest = max(
            (_text_w(t) for (n, _), t in shorts.items() if n in layer),
            default=0.0,
        )
        x += w + min(max(LAYER_GAP, widest + 40), LAYER_GAP_MAX)

    # Points that must be inside the picture: (x, y) pairs, plus label extents.
    xs: list[float] = []
    ys: list[float] = []
    for b in boxes.values():
        xs += [b.x, b.x + b.w]
        ys += [b.y, b.y + b.h]

    edges_out: list[str] = []
    loops: dict[str, list[str]] = {}
    pair_seen: dict[tuple[str, str], int] = {}
    for name, spec in pb.states.items():
        for i, tr in enumerate(spec.transitions):
            event = event_text(tr, timers)
            full = event
            if tr.when is not None:
                full = f"{full} [{_one_line(tr.when)}]".strip()
            if tr.to is None or tr.to == name or tr.to not in boxes:
                loops.setdefault(name, []).append(full or "?")
                continue
            short = shorts[(name, i)]
            k = pair_seen.get((name, tr.to), 0)
            pair_seen[(name, tr.to)] = k + 1
            path, (lx, ly) = _route(boxes[name], boxes[tr.to], k)
            xs += [lx - _text_w(short) / 2 - 4, lx + _text_w(short) / 2 + 4]
            ys += [ly - 14, ly + 6]
            edges_out.append(
                f'<g class="edge"><title>{_a(f"{titles[name]} → {titles[tr.to]}: {full}")}'
                f"</title>"
                f'<path d="{path}" fill="none" stroke="#555" stroke-width="1.3" '
                f'marker-end="url(#arrow)"/>'
                f'<text x="{_num(lx)}" y="{_num(ly)}" text-anchor="middle" font-size="11" '
                f'fill="#333" stroke="#fff" stroke-width="3" paint-order="stroke">'
                f"{_a(short)}</text></g>"
            )

    nodes_out: list[str] = []
    initial = pb.initial_state
    for name, spec in pb.states.items():
        b = boxes[name]
        parts = [f'<g class="state" id="state-{_a(name)}"><title>{_a(name)}</title>']
        fill = "#eef4fb" if not spec.final else "#f1f1f1"
        parts.append(
            f'<rect x="{_num(b.x)}" y="{_num(b.y)}" width="{_num(b.w)}" height="{_num(b.h)}" '
            f'rx="10" ry="10" fill="{fill}" stroke="#2d5d8a" stroke-width="1.5"/>'
        )
        if spec.final:
            parts.append(
                f'<rect x="{_num(b.x + 4)}" y="{_num(b.y + 4)}" width="{_num(b.w - 8)}" '
                f'height="{_num(b.h - 8)}" rx="7" ry="7" fill="none" stroke="#2d5d8a" '
                f'stroke-width="1.2"/>'
            )
        label_y = b.y + 27 if counts is None else b.y + 25
        parts.append(
            f'<text x="{_num(b.cx)}" y="{_num(label_y)}" text-anchor="middle" font-size="12" '
            f'font-weight="bold" fill="#17324d">{_a(titles[name])}</text>'
        )
        if counts is not None:
            n = counts.get(name, 0)
            parts.append(
                f'<text class="count" x="{_num(b.cx)}" y="{_num(b.y + 44)}" '
                f'text-anchor="middle" font-size="11" fill="#333">{n} open</text>'
            )
        if name in loops:
            events = "; ".join(loops[name])
            mx, my = b.x + b.w - 4, b.y - 2
            xs.append(mx + 30)
            ys.append(my - 14)
            parts.append(
                f'<g class="loops"><title>{_a(f"stays in {titles[name]} on: {events}")}</title>'
                f'<text x="{_num(mx)}" y="{_num(my)}" text-anchor="end" font-size="11" '
                f'fill="#8a4b00">↻ {len(loops[name])}</text></g>'
            )
        if name == initial:
            sx, sy = b.x - 34, b.cy
            xs.append(sx - 8)
            parts.append(
                f'<g class="initial"><title>initial state</title>'
                f'<circle cx="{_num(sx)}" cy="{_num(sy)}" r="7" fill="#17324d"/>'
                f'<path d="M{_num(sx + 7)},{_num(sy)} L{_num(b.x - 1)},{_num(sy)}" '
                f'stroke="#17324d" stroke-width="1.5" marker-end="url(#arrow)"/></g>'
            )
        parts.append("</g>")
        nodes_out.append("".join(parts))

    min_x, max_x = min(xs) - PAD, max(xs) + PAD
    min_y, max_y = min(ys) - PAD, max(ys) + PAD
    w, h = max_x - min_x, max_y - min_y
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="playbook-diagram" '
        f'viewBox="{_num(min_x)} {_num(min_y)} {_num(w)} {_num(h)}" '
        f'width="{_num(w)}" height="{_num(h)}" role="img" '
        f'font-family="sans-serif" aria-label="{_a(f"States of {pb.title}")}">'
    )
    defs = (
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#555"/></marker></defs>'
    )
    title = f"<title>{_a(f'{pb.title} (v{pb.version})')}</title>"
    body = "\n".join([head, title, defs, *edges_out, *nodes_out, "</svg>"])
    return body + "\n"


def _route(a: _Box, b: _Box, k: int) -> tuple[str, tuple[float, float]]:
    """A cubic path from box a to box b (the k-th between them) and its label's anchor."""
    spread = 16.0 * k
    if b.x > a.x:  # forward: right side to left side
        off = min(10.0 * ((k + 1) // 2), a.h / 2 - 6) * (1 if k % 2 else -1)
        x0, y0 = a.x + a.w, a.cy + off
        x1, y1 = b.x, b.cy
        dx = (x1 - x0) / 2
        c0, c1 = (x0 + dx, y0), (x1 - dx, y1)
    elif b.x == a.x:  # the same layer: out of the right side and back
        x0, y0 = a.x + a.w, a.cy
        x1, y1 = b.x + b.w, b.cy
        bulge = 60.0 + spread
        c0, c1 = (x0 + bulge, y0), (x1 + bulge, y1)
    elif b.y == 0:  # backward to the top row: over the top
        x0, y0 = a.cx, a.y
        x1, y1 = b.cx, b.y
        lift = 60.0 + 28.0 * k + abs(x1 - x0) * 0.12
        top = min(y0, y1) - lift
        c0, c1 = (x0, top), (x1, top)
    else:  # backward to a lower row: under the bottom
        x0, y0 = a.cx, a.y + a.h
        x1, y1 = b.cx, b.y + b.h
        drop = 60.0 + 28.0 * k + abs(x1 - x0) * 0.12
        bottom = max(y0, y1) + drop
        c0, c1 = (x0, bottom), (x1, bottom)
    # The curve's midpoint (t = 0.5) anchors the label.
    mx = (x0 + 3 * c0[0] + 3 * c1[0] + x1) / 8
    my = (y0 + 3 * c0[1] + 3 * c1[1] + y1) / 8 - 4 + 13.0 * k
    d = (
        f"M{_num(x0)},{_num(y0)} C{_num(c0[0])},{_num(c0[1])} "
        f"{_num(c1[0])},{_num(c1[1])} {_num(x1)},{_num(y1)}"
    )
    return d, (mx, my)
