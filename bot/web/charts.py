"""Charts drawn on the server as SVG (issue 13 §3): no script, no library, readable by screen
readers (`role="img"` with `<title>` and `<desc>`; the page also shows each series as a data
table, the accessible alternative).

Colours come from classes in app.css (no inline style: the CSP forbids it); the bars' heights
are SVG attributes, which the CSP allows."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD, AXIS = 640, 240, 28, 40
_ids = count(1)


def bar_chart(
    title: str,
    desc: str,
    points: Sequence[tuple[str, float]],
    *,
    suffix: str = "",
    rtl: bool = False,
) -> Markup:
    """Vertical bars, one per (label, value) in time order, scaled to the largest value.
    `rtl`: the axis runs right to left, the first point on the right, as an Arabic reader
    reads a timeline (the SVG keeps its own left-to-right coordinates)."""
    ident = f"chart{next(_ids)}"
    top = max((v for _, v in points), default=0) or 1
    slot = (WIDTH - 2 * PAD) / max(len(points), 1)
    last = len(points) - 1
    bar = slot * 0.7
    plot = HEIGHT - AXIS - PAD
    parts = [_open(ident, title, desc)]
    parts.append(
        f'<line class="axis" x1="{PAD}" y1="{PAD + plot}" x2="{WIDTH - PAD}" y2="{PAD + plot}"/>'
    )
    for i, (label, value) in enumerate(points):
        h = plot * value / top
        x = PAD + (last - i if rtl else i) * slot + (slot - bar) / 2
        y = PAD + plot - h
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}"/>'
        )
        shown = f"{_num(value)}{suffix}"
        parts.append(
            f'<text class="value" x="{x + bar / 2:.1f}" y="{y - 4:.1f}">{escape(shown)}</text>'
        )
        parts.append(
            f'<text class="label" x="{x + bar / 2:.1f}" y="{HEIGHT - AXIS / 2:.1f}">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_chart(
    title: str,
    desc: str,
    rows: Sequence[tuple[str, Sequence[int]]],
    keys: Sequence[str],
    legend: Sequence[str],
) -> Markup:
    """One horizontal bar per row, split by `keys` (each with a class `part-<key>`), with a
    legend. Each bar is the row's whole (100 %), so rows of different sizes compare."""
    ident = f"chart{next(_ids)}"
    row_h, gap, label_w = 24, 12, 90
    height = PAD * 2 + len(rows) * (row_h + gap) + 24
    parts = [_open(ident, title, desc, height)]
    span = WIDTH - 2 * PAD - label_w
    for i, (label, values) in enumerate(rows):
        y = PAD + i * (row_h + gap)
        whole = sum(values) or 1
        parts.append(
            f'<text class="label start" x="{PAD}" y="{y + row_h * 0.7:.1f}">{escape(label)}</text>'
        )
        x: float = PAD + label_w
        for key, value in zip(keys, values, strict=True):
            w = span * value / whole
            if w > 0:
                parts.append(
                    f'<rect class="part-{key}" x="{x:.1f}" y="{y}" width="{w:.1f}" '
                    f'height="{row_h}"><title>{escape(label)}: {value}</title></rect>'
                )
            x += w
    y = PAD + len(rows) * (row_h + gap) + 8
    x = PAD
    for key, name in zip(keys, legend, strict=True):
        parts.append(f'<rect class="part-{key}" x="{x}" y="{y}" width="12" height="12"/>')
        parts.append(f'<text class="label start" x="{x + 16}" y="{y + 11}">{escape(name)}</text>')
        x += 16 + 9 * len(name) + 16
    parts.append("</svg>")
    return Markup("".join(parts))


def _open(ident: str, title: str, desc: str, height: int = HEIGHT) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
    )


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
