"""Charts for the statistics pages, drawn on the server as inline SVG: no CDN, no script.

``bar_chart`` (horizontal bars, room for Chinese labels) and ``line_chart`` (one line
per series over days, weeks or months) return ``Markup`` to put straight into a
template.  Every chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>``
(and ``aria-labelledby`` pointing at them), every bar and point has its own
``<title>`` with the number, and every text is escaped.  Colours and fonts are SVG
presentation attributes, not ``style``: the pages' Content-Security-Policy allows
no inline styles.  The pages show the same numbers in a table next to each chart.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
#: Series colours, distinguishable for the common colour blindnesses (Okabe–Ito).
COLOURS = ("#c43d00", "#0072b2", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")
INK = "#1f2328"
MUTED = "#5b6270"
GRID = "#e5e7eb"
EMPTY = "这段时间还没有记录"

_ids = itertools.count(1)


def _fmt(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) and not value.is_integer() else f"{int(value)}"


def _text_width(text: str, size: float) -> float:
    """About how wide ``text`` is drawn: a CJK character is one em, a Latin one about half."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.58 for ch in text)


def _clip(text: str, size: float, room: float) -> str:
    if _text_width(text, size) <= room:
        return text
    while text and _text_width(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


def _open(width: float, height: float, title: str, desc: str, kind: str) -> tuple[list[str], str]:
    n = next(_ids)
    tid, did = f"chart{n}-title", f"chart{n}-desc"
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
        f'viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}" '
        f'aria-label="{escape(title)}" aria-labelledby="{tid} {did}" font-family="{escape(FONT)}" font-size="13" fill="{INK}">',
        f'<title id="{tid}">{escape(title)}</title>',
        f'<desc id="{did}">{escape(desc)}</desc>',
    ]
    return head, tid


def _empty(width: float, title: str, desc: str, kind: str) -> Markup:
    parts, _ = _open(width, 60, title, desc or EMPTY, kind)
    parts.append(f'<text class="empty" x="{width / 2:g}" y="34" text-anchor="middle" fill="{MUTED}">{EMPTY}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def nice_max(value: float) -> float:
    """The axis end above ``value``: 1, 2, 2.5 or 5 times a power of ten (at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    desc: str = "",
    width: int = 560,
    bar_height: int = 22,
    value_format: Callable[[float], str] = _fmt,
    scale_max: float | None = None,
) -> Markup:
    """Horizontal bars, one per ``(label, value)``, longest value the full width (or ``scale_max``).

    A bar's length is proportional to its value; its label is on the left (clipped with …
    when too long, the whole label in the bar's ``<title>``), the value on its right.
    """
    if not items or all(v <= 0 for _, v in items):
        return _empty(width, title, desc, "bar")
    size = 13
    label_room = min(max(_text_width(label, size) for label, _ in items) + 8, width * 0.38)
    value_room = max(_text_width(value_format(v), size) for _, v in items) + 10
    left = label_room + 4
    plot = max(width - left - value_room, 40)
    top = 6
    gap = 8
    height = top + len(items) * (bar_height + gap) + 4
    top_value = scale_max if scale_max else max(v for _, v in items)
    parts, _ = _open(width, height, title, desc, "bar")
    for n, (label, value) in enumerate(items):
        y = top + n * (bar_height + gap)
        length = plot * max(value, 0) / top_value if top_value > 0 else 0
        colour = COLOURS[0]
        shown = value_format(value)
        parts.append(
            f'<g class="bar-row"><title>{escape(label)}：{escape(shown)}</title>'
            f'<text class="label" x="{label_room:g}" y="{y + bar_height * 0.72:.1f}" text-anchor="end">'
            f"{escape(_clip(label, size, label_room))}</text>"
            f'<rect class="bar" x="{left:g}" y="{y}" width="{length:.2f}" height="{bar_height}" rx="3" '
            f'fill="{colour}" data-value="{escape(_fmt(float(value)))}"/>'
            f'<text class="value" x="{left + length + 6:.2f}" y="{y + bar_height * 0.72:.1f}">{escape(shown)}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    desc: str = "",
    width: int = 640,
    height: int = 220,
) -> Markup:
    """One line per ``(name, values)`` over ``x_labels`` (days, weeks, months), with a legend.

    The y axis starts at 0 and ends at a round number; at most about eight x labels are written.
    """
    if not x_labels or not series or all(v <= 0 for _, values in series for v in values):
        return _empty(width, title, desc, "line")
    left, right, top, legend = 44, 14, 10, 24
    bottom = 30
    plot_w = width - left - right
    plot_h = height - top - bottom - legend
    top_value = nice_max(max(v for _, values in series for v in values))
    n = len(x_labels)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / top_value

    parts, _ = _open(width, height, title, desc, "line")
    steps = 5 if top_value > 4 and (top_value / 4) % 1 else 4  # 0, 10, … 50 rather than 0, 12.5, … 50
    for k in range(steps + 1):
        v = top_value * k / steps
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="{GRID}"/>'
            f'<text class="tick" x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" fill="{MUTED}" font-size="11">'
            f"{escape(_fmt(v))}</text>"
        )
    step = max(1, math.ceil(n / 8))
    for i in range(0, n, step):
        parts.append(
            f'<text class="tick" x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="{MUTED}" '
            f'font-size="11">{escape(x_labels[i])}</text>'
        )
    for s, (name, values) in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values[:n]))
        parts.append(f'<g class="series series-{s}"><title>{escape(name)}</title>')
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(values[:n]):
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="{2.5 if n > 40 else 3.5}" fill="{colour}" '
                f'data-value="{escape(_fmt(float(v)))}"><title>{escape(x_labels[i])} {escape(name)}：'
                f"{escape(_fmt(float(v)))}</title></circle>"
            )
        parts.append("</g>")
    lx = left
    ly = height - 8
    for s, (name, _values) in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        parts.append(
            f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" rx="2" fill="{colour}"/>'
            f'<text class="legend" x="{lx + 16}" y="{ly}">{escape(name)}</text>'
        )
        lx += 16 + _text_width(name, 13) + 18
    parts.append("</svg>")
    return Markup("".join(parts))


def percent(value: float) -> str:
    """``0.125`` → ``12.5%`` (the value formatter for rates)."""
    return f"{value * 100:.1f}%".replace(".0%", "%")
