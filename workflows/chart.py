"""The dossier lifecycle drawn as SVG, from the one declaration in workflows/lifecycle.py.

One box per state, one arrow per (source, possible target) of each declared transition. Columns
follow the route: draft, then the route's waiting states in route order, each other state one
column after the first state that leads to it (breadth-first from draft), the terminal states
last. An arrow between neighbouring columns is a curve; a longer one runs through the gaps
between columns to a lane above the boxes (forward along the top row) or below them, which it
shares only with arrows it does not overlap.

With a dossier, the states it has been in are marked (its current one filled), and the rest of
its own route (the stages its form and level call for, dossiers/lifecycle.py `route`) is drawn
dashed, with a legend. Every word is a label through gettext (states, moves, legend), so the
chart is in the page's language.

The SVG uses presentation attributes only (no <style>, no style=, no script, no external
reference), so it renders under the site's CSP without 'unsafe-inline'; it has a pixel size of
its own, so an <img> shows it at that size (the dossier page scrolls it inside its box).
"""

from __future__ import annotations

import textwrap
from collections import deque
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dossiers import lifecycle as domain
from dossiers.lifecycle import ACTION_LABELS, STAGE_STATE, TERMINAL
from dossiers.models import Dossier, DossierState
from workflows.lifecycle import transitions

S = DossierState

# The moves a ballot or a decision makes have no button, hence no label in ACTION_LABELS.
LABELS: dict[str, Promise] = {
    **ACTION_LABELS,
    "record_bloc_vote": _("Close the bloc's ballot"),
    "record_council_vote": _("Close the council's ballot"),
    "decide": _("Sign the decision"),
    "propose_to_president": _("Propose to the President"),
}

TITLE = _("The lifecycle of a dossier")
LEGEND = {
    "current": _("Where the dossier is now"),
    "walked": _("The way it has come"),
    "ahead": _("The rest of its route"),
}
PATH_TEXT = _("%(path)s (now: %(now)s)")

W, H = 126, 50  # a state's box
GAP = 100  # between columns: curves, channels and labels
ROW = 96  # between rows of one column
LANE = 7  # between two lanes above or below the boxes
PAD = 24
GREY, INK, PATH, CURRENT, VISITED = "#9aa5b1", "#1f2933", "#1c64f2", "#1a56db", "#e1effe"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    action: str


def edges() -> list[Edge]:
    """One edge per (source, possible target) of each declared transition, in declaration
    order (a `State.GET_STATE` target contributes every state it may choose)."""
    return [
        Edge(source, str(target), action)
        for source, action, transition in transitions()
        for target in transition.declared_targets()
    ]


def columns(all_edges: list[Edge]) -> dict[str, int]:
    """Each state's column: its rank along the route, the terminal states last."""
    route = [DossierState.DRAFT.value, *STAGE_STATE.values()]
    rank = {state: i for i, state in enumerate(route)}
    queue = deque(route)
    while queue:  # breadth-first from the route: the side states one column after
        state = queue.popleft()
        for e in all_edges:
            if e.source == state and e.target not in rank:
                rank[e.target] = rank[state] + 1
                queue.append(e.target)
    last = 1 + max(r for s, r in rank.items() if s not in TERMINAL)
    return rank | {state: last for state in TERMINAL}


def _lines(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width) or [""]


def _text(x: float, y: float, text: str, *, size: int, width: int, **attrs: str) -> str:
    """Centred, wrapped and escaped text; `attrs` are presentation attributes."""
    lines = _lines(text, width)
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(v)}" for k, v in attrs.items())
    top = y - (len(lines) - 1) * size * 0.6
    spans = "".join(
        f'<tspan x="{x:.0f}" y="{top + i * size * 1.2:.0f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f'<text font-size="{size}" text-anchor="middle" dominant-baseline="middle"'
        f' font-family="sans-serif"{extra}>{spans}</text>'
    )


def route_states(dossier: Dossier) -> list[str]:
    """The waiting states of the dossier's own route, in order (its form's stages at its
    level, the bloc vote where it goes through one)."""
    return [STAGE_STATE[stage] for stage, _authority in domain.route(dossier)]


def path_text(path: list[str]) -> str:
    """The states a dossier has been in, in words: "Dự thảo → Tiếp nhận → Thẩm định (hiện tại:
    Thẩm định)"; the chart's text for those who do not see it."""
    labels = [str(DossierState(state).label) for state in path]
    return str(PATH_TEXT) % {"path": " → ".join(labels), "now": labels[-1]} if labels else ""


def _ahead(path: list[str], route: list[str] | None) -> set[tuple[str, str]]:
    """The moves of the dossier's route it has still to make (none once it has ended)."""
    if not path or not route or path[-1] in TERMINAL:
        return set()
    whole = [S.DRAFT.value, *route, S.DECIDED.value]
    return {(a, b) for a, b in zip(whole, whole[1:], strict=False) if a != b and b not in path}


def lifecycle_svg(path: list[str] | None = None, route: list[str] | None = None) -> str:
    """The lifecycle as SVG; `path` (the states a dossier has been in, in order) is marked,
    its last state as the current one, and the rest of its `route` (its waiting states in
    order, `route_states`) dashed."""
    path = path or []
    all_edges = edges()
    col = columns(all_edges)
    # Rows within a column: the way most dossiers go (top row) first, then a state reached only
    # from another terminal one (revoked, below decided), then in the order states are declared.
    order = [s.value for s in DossierState]
    main = {S.DRAFT, *STAGE_STATE.values(), S.AWAITING_PRESIDENT, S.DECIDED}
    after = {s for s in TERMINAL if all(e.source in TERMINAL for e in all_edges if e.target == s)}
    row: dict[str, int] = {}
    for state in sorted(order, key=lambda s: (s not in main, s not in after, order.index(s))):
        row[state] = sum(1 for other in row if col[other] == col[state])
    rows = 1 + max(row.values())

    walked = {(a, b) for a, b in zip(path, path[1:], strict=False) if a != b}
    declared = {(e.source, e.target) for e in all_edges}
    ahead = _ahead(path, route) & declared
    ahead_states = {b for _a, b in ahead}
    ahead_edges = {e for e in all_edges if (e.source, e.target) in ahead}
    x0 = {s: PAD + col[s] * (W + GAP) for s in order}

    def span(e: Edge) -> int:
        return abs(col[e.target] - col[e.source])

    def forward(e: Edge) -> bool:
        s, t = e.source, e.target
        return col[t] > col[s] or (col[t] == col[s] and row[t] < row[s])

    long = [e for e in all_edges if span(e) > 1]
    above = {e for e in long if row[e.source] == row[e.target] == 0 and forward(e)}
    # A long edge leaves its box into the gap beside it and runs up (or down) a trunk shared
    # with the box's other edges that way, along a lane, and down (or up) the target's trunk.
    slots: dict[tuple[int, str], list[tuple[str, ...]]] = {}

    def trunk(state: str, side: str, *key: str) -> float:
        gap = slots.setdefault((col[state], side), [])
        if (state, *key) not in gap:
            gap.append((state, *key))
        step = 10 + 6 * gap.index((state, *key))
        return x0[state] + W + step if side == "right" else x0[state] - step

    ends: dict[Edge, tuple[float, float]] = {}
    for e in sorted(long, key=span):
        way = "above" if e in above else "below"
        out, into = ("right", "left") if forward(e) else ("left", "right")
        ends[e] = trunk(e.source, out, way, "out"), trunk(e.target, into, way, "in")
    # Lanes: the shortest edges nearest the boxes; edges that do not overlap share a lane.
    lanes: dict[Edge, int] = {}
    for group in (above, set(long) - above):
        packed: list[list[tuple[float, float]]] = []
        for e in sorted(group, key=lambda e: (span(e), min(ends[e]))):
            lo, hi = sorted(ends[e])
            fits = (
                i for i, lane in enumerate(packed) if all(hi + 8 < a or b + 8 < lo for a, b in lane)
            )
            lanes[e] = next(fits, len(packed))
            if lanes[e] == len(packed):
                packed.append([])
            packed[lanes[e]].append((lo, hi))
    count = {
        way: 1 + max((lanes[e] for e in long if (e in above) == (way == "above")), default=-1)
        for way in ("above", "below")
    }
    top = PAD + 18 + LANE * count["above"]
    cy = {s: top + H / 2 + row[s] * ROW for s in order}
    bottom = top + (rows - 1) * ROW + H
    width = PAD * 2 + (max(col.values()) + 1) * (W + GAP) - GAP
    legend_y = bottom + 18 + LANE * count["below"] + PAD
    height = legend_y + (LEGEND_H if path else 0)

    def draw(e: Edge) -> tuple[str, float, float]:
        """The edge's path data and a point on it for its label."""
        s, t = e.source, e.target
        if s == t:  # a self-loop over the box's top right corner
            x, y = x0[s] + W - 26, cy[s] - H / 2
            return f"M{x},{y} c0,-16 18,-16 18,0", x + 9, y - 14
        if e not in lanes:  # a neighbouring column (or the same one): one curve
            if col[t] == col[s]:
                up = H / 2 if row[t] < row[s] else -H / 2
                x, ya, yb = x0[s] + W / 2, cy[s] - up, cy[t] + up
                return f"M{x},{ya} L{x},{yb}", x, (ya + yb) / 2 + 9
            if forward(e):
                xa, xb, ya, yb = x0[s] + W, x0[t], cy[s], cy[t]
                label = (xa + xb) / 2, (ya + yb) / 2
            else:  # a move back runs beside the move forward, labelled below where it starts
                xa, xb, ya, yb = x0[s], x0[t] + W, cy[s] - 10, cy[t] - 10
                label = xa - GAP / 4, ya + 28
            mx = (xa + xb) / 2
            return f"M{xa},{ya} C{mx},{ya} {mx},{yb} {xb},{yb}", *label
        if e in above:
            y = top - 18 - LANE * lanes[e]
        else:
            y = bottom + 18 + LANE * lanes[e]
        xa, xb = ends[e]
        sx = x0[s] + W if forward(e) else x0[s]
        tx = x0[t] if forward(e) else x0[t] + W
        d = f"M{sx},{cy[s]} L{xa},{cy[s]} L{xa},{y} L{xb},{y} L{xb},{cy[t]} L{tx},{cy[t]}"
        return d, (xa + xb) / 2, y

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" font-family="sans-serif" role="img">'
        f"<title>{escape(str(TITLE))}</title>",
        "<defs>"
        + "".join(
            f'<marker id="arrow-{name}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9"'
            f' markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
            for name, colour in (("plain", GREY), ("path", PATH))
        )
        + "</defs>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    labels: list[str] = []
    labelled: set[tuple[str, ...]] = set()
    drawn: list[str] = []
    # The edges on the path go last, so nothing covers them; the route ahead just before.
    for e in sorted(all_edges, key=lambda e: ((e.source, e.target) in walked, e in ahead_edges)):
        d, lx, ly = draw(e)
        on_path = (e.source, e.target) in walked
        colour, stroke, marker = (PATH, 3, "path") if on_path else (GREY, 1.2, "plain")
        dash = ""
        if not on_path and (e.source, e.target) in ahead:
            colour, stroke, marker, dash = PATH, 2, "path", DASH
        drawn.append(
            f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{stroke}"{dash}'
            f' stroke-linejoin="round" marker-end="url(#arrow-{marker})"'
            f" data-source={quoteattr(e.source)} data-target={quoteattr(e.target)}"
            f" data-action={quoteattr(e.action)}/>"
        )
        # One label per action and source when it chooses among targets, else per action; on
        # the group's shortest edge (a neighbouring column where there is one).
        fan_out = len({x.target for x in all_edges if x.action == e.action}) > 1
        group = (e.action, e.source) if fan_out else (e.action,)
        shortest = min(
            (x for x in all_edges if (x.action, x.source)[: len(group)] == group),
            key=lambda x: (x in lanes or x.source == x.target, not forward(x), span(x)),
        )
        if e == shortest and group not in labelled and e.action in LABELS:
            labelled.add(group)
            labels.append(
                _text(
                    lx,
                    ly - 9,
                    str(LABELS[e.action]),
                    size=11,
                    width=16,
                    fill=INK,
                    stroke="white",
                    stroke_width="4",
                    paint_order="stroke",
                )  # fmt: skip
            )
    parts += drawn
    current = path[-1] if path else None
    for state in order:
        visited = state in path
        fill = CURRENT if state == current else VISITED if visited else "#f5f7fa"
        edge = PATH if visited else GREY
        marks = (' data-current="true"' if state == current else "") + (
            ' data-visited="true"' if visited else ""
        )
        dash = ""
        if not visited and state in ahead_states:
            edge, fill, dash = PATH, "white", DASH
            marks += ' data-route="true"'
        parts.append(
            f'<g data-state="{state}"{marks}>'
            f'<rect x="{x0[state]}" y="{cy[state] - H / 2}" width="{W}" height="{H}" rx="8"'
            f' fill="{fill}" stroke="{edge}" stroke-width="{3 if visited else 1.5}"{dash}/>'
            + _text(
                x0[state] + W / 2,
                cy[state],
                str(DossierState(state).label),
                size=12,
                width=18,
                fill="white" if state == current else INK,
                font_weight="bold" if visited else "normal",
            )  # fmt: skip
            + "</g>"
        )
    parts += labels
    if path:
        parts.append(_legend(PAD, legend_y, with_route=bool(ahead)))
    parts.append("</svg>")
    return "".join(parts)


LEGEND_H = 30
DASH = ' stroke-dasharray="7 5"'


def _legend(x: float, y: float, *, with_route: bool) -> str:
    """The marks a dossier's chart uses, each with its words, left to right from `x`."""

    def mark(kind: str, left: float) -> str:
        if kind == "current":
            return f'<rect x="{left}" y="{y}" width="28" height="16" rx="4" fill="{CURRENT}"/>'
        width, dash = ("3", "") if kind == "walked" else ("2", DASH)
        return f'<path d="M{left},{y + 8} l28,0" stroke="{PATH}" stroke-width="{width}"{dash}/>'

    parts, left = [], x
    for kind in ("current", "walked", "ahead") if with_route else ("current", "walked"):
        text = str(LEGEND[kind])
        parts.append(
            mark(kind, left) + f'<text x="{left + 36}" y="{y + 12}" font-size="12"'
            f' fill="{INK}">{escape(text)}</text>'
        )
        left += 36 + 7 * len(text) + 28
    return '<g data-legend="true">' + "".join(parts) + "</g>"
