"""A small inline-SVG chart writer: lines, steps and markers over a time axis.

Charts are plain strings meant to sit inside an HTML page (no scripts, no external files).
Series longer than the plot is wide are reduced to the first, last, lowest and highest
point of each pixel column, so spikes survive and a million points cost a few kilobytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

import numpy as np

from falconet.backtest.metrics import F64

NS = 1e9
# candidate tick steps of the time axis, seconds
_TIME_STEPS = (
    *(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30),
    *(60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200),
    *(86400, 172800, 604800, 1209600, 2592000, 7776000, 31536000),
)


@dataclass(frozen=True, slots=True)
class Series:
    """One thing to draw. `x` is seconds from the chart's time origin.

    style: "line", "step" (holds each value until the next x), "buy" / "sell" (triangle
    markers pointing up / down)."""

    x: F64
    y: F64
    label: str
    color: str
    style: str = "line"
    dashed: bool = False


def downsample_minmax(x: F64, y: F64, buckets: int) -> tuple[F64, F64]:
    """At most four points per bucket of equal x width (first, last, min, max), in x order.

    `x` must be non-decreasing; non-finite points are dropped. Short series come back whole."""
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.all():
        x, y = x[ok], y[ok]
    n = x.shape[0]
    if buckets < 1 or n <= 4 * buckets:
        return x, y
    lo, hi = float(x[0]), float(x[-1])
    if hi > lo:
        b = np.minimum(((x - lo) * (buckets / (hi - lo))).astype(np.int64), buckets - 1)
    else:
        b = np.zeros(n, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], b[1:] != b[:-1])))
    ends = np.concatenate((starts[1:], [n])) - 1
    by_value = np.lexsort((y, b))  # each bucket keeps its index range, sorted by y inside
    keep = np.unique(np.concatenate((starts, ends, by_value[starts], by_value[ends])))
    return x[keep], y[keep]


def nice_step(span: float, target: int) -> float:
    """A 1-2-5 step giving about `target` intervals over `span`."""
    if not span > 0:
        return 1.0
    raw = span / target
    mag = 10.0 ** math.floor(math.log10(raw))
    return next(s * mag for s in (1, 2, 5, 10) if s * mag >= raw)


def _num_label(v: float, step: float) -> str:
    decimals = min(max(0, -math.floor(math.log10(step))), 10) if step > 0 else 0
    text = f"{v:,.{decimals}f}"
    return "0" if text.lstrip("-").strip("0.,") == "" else text


def _time_label(t: float, step: float, span: float) -> str:
    d = datetime.fromtimestamp(round(t, 3), UTC)
    if step >= 86400:
        return f"{d:%Y-%m-%d}"
    day = f"{d:%m-%d} " if span > 86400 else ""
    if step >= 60:
        return f"{day}{d:%H:%M}"
    if step >= 1:
        return f"{day}{d:%H:%M:%S}"
    return f"{day}{d:%H:%M:%S}.{d.microsecond // 1000:03d}"


@dataclass(frozen=True, slots=True)
class _Frame:
    """Maps data to pixels."""

    left: float
    top: float
    width: float
    height: float
    x0: float
    x1: float
    y0: float
    y1: float

    def px(self, x: F64) -> F64:
        return self.left + (x - self.x0) * (self.width / (self.x1 - self.x0))

    def py(self, y: F64) -> F64:
        return self.top + self.height - (y - self.y0) * (self.height / (self.y1 - self.y0))


def _path(xs: F64, ys: F64, step: bool) -> str:
    if xs.shape[0] == 0:
        return ""
    pts = [(f"{a:.1f}", f"{b:.1f}") for a, b in zip(xs.tolist(), ys.tolist(), strict=True)]
    out = [f"M{pts[0][0]},{pts[0][1]}"]
    last = pts[0]
    for p in pts[1:]:
        if p == last:  # same pixel: nothing to draw
            continue
        if step:
            out.append(f"H{p[0]}V{p[1]}" if p[0] != last[0] else f"V{p[1]}")
        else:
            out.append(f"L{p[0]},{p[1]}")
        last = p
    return "".join(out)


def _markers(xs: F64, ys: F64, up: bool) -> str:
    # a few markers can be large; thousands must stay small or they hide the price
    h = 8.0 if xs.shape[0] <= 200 else 5.0
    tri = f"l{h * 0.6:g},{h:g}h{-h * 1.2:g}z" if up else f"l{h * 0.6:g},{-h:g}h{-h * 1.2:g}z"
    off = -h / 2 if up else h / 2  # centre the triangle on the point
    seen = {(f"{a:.1f}", f"{b + off:.1f}") for a, b in zip(xs.tolist(), ys.tolist(), strict=True)}
    return "".join(f"M{a},{b}{tri}" for a, b in sorted(seen))


def chart(
    series: list[Series],
    *,
    origin_ns: int,
    title: str = "",
    unit: str = "",
    width: int = 960,
    height: int = 260,
    zero_line: bool = False,
) -> str:
    """An SVG chart of `series` over a UTC time axis starting at `origin_ns`."""
    left, right, top, bottom = 78.0, 12.0, 26.0, 26.0
    plot_w, plot_h = width - left - right, height - top - bottom
    cols = max(int(plot_w), 1)
    drawn: list[tuple[Series, F64, F64]] = []
    for s in series:
        buckets = cols // 2 if s.style in ("buy", "sell") else cols
        x, y = downsample_minmax(s.x.astype(np.float64), s.y.astype(np.float64), buckets)
        drawn.append((s, x, y))
    xs = [x for _, x, _ in drawn if x.shape[0]]
    ys = [y for _, _, y in drawn if y.shape[0]]
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">'
    )
    legend = _legend(series, left, title)
    if not xs:
        return (
            f'{head}{legend}<text x="{width / 2:.0f}" y="{height / 2:.0f}" '
            f'text-anchor="middle" fill="#888">no data</text></svg>'
        )
    x0 = min(float(x[0]) for x in xs)
    x1 = max(float(x[-1]) for x in xs)
    y0 = min(float(y.min()) for y in ys)
    y1 = max(float(y.max()) for y in ys)
    if zero_line:
        y0, y1 = min(y0, 0.0), max(y1, 0.0)
    pad = (y1 - y0) * 0.05 or max(abs(y1) * 0.01, 1.0)
    if x1 <= x0:
        x0, x1 = x0 - 1.0, x1 + 1.0
    f = _Frame(left, top, plot_w, plot_h, x0, x1, y0 - pad, y1 + pad)
    parts = [head, _axes(f, origin_ns, unit)]
    if zero_line and f.y0 < 0.0 < f.y1:
        zy = float(f.py(np.array([0.0]))[0])
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{zy:.1f}" y2="{zy:.1f}" '
            'stroke="#999" stroke-width="1"/>'
        )
    # markers under the lines, so a dense cloud of fills does not hide the price
    for s, x, y in sorted(drawn, key=lambda d: d[0].style not in ("buy", "sell")):
        px, py = f.px(x), f.py(y)
        color = escape(s.color)
        if s.style in ("buy", "sell"):
            marks = _markers(px, py, s.style == "buy")
            parts.append(f'<path d="{marks}" fill="{color}" fill-opacity="0.75"/>')
        else:
            dash = ' stroke-dasharray="4 3"' if s.dashed else ""
            parts.append(
                f'<path d="{_path(px, py, s.style == "step")}" fill="none" stroke="{color}" '
                f'stroke-width="1.2" stroke-linejoin="round"{dash}/>'
            )
    parts.append(legend)
    parts.append("</svg>")
    return "".join(parts)


def _axes(f: _Frame, origin_ns: int, unit: str) -> str:
    out = [
        f'<rect x="{f.left}" y="{f.top}" width="{f.width}" height="{f.height}" '
        'fill="#fff" stroke="#bbb"/>'
    ]
    ystep = nice_step(f.y1 - f.y0, 5)
    # integer multiples of the step: no drift from repeated float addition
    for k in range(math.ceil(f.y0 / ystep), math.floor(f.y1 / ystep) + 1):
        v = k * ystep
        y = float(f.py(np.array([v]))[0])
        out.append(
            f'<line x1="{f.left}" x2="{f.left + f.width}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#eee"/><text x="{f.left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_num_label(v, ystep))}</text>"
        )
    origin = origin_ns / NS
    span = f.x1 - f.x0
    tstep = next((s for s in _TIME_STEPS if s >= span / 7), float(_TIME_STEPS[-1]))
    for k in range(math.ceil((origin + f.x0) / tstep), math.floor((origin + f.x1) / tstep) + 1):
        t = k * tstep
        x = float(f.px(np.array([t - origin]))[0])
        # labels at the plot's ends grow inwards, so they are not cut off
        near_end = x > f.left + f.width - 40
        anchor = "start" if x < f.left + 40 else "end" if near_end else "middle"
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{f.top}" y2="{f.top + f.height}" '
            f'stroke="#eee"/><text x="{x:.1f}" y="{f.top + f.height + 16}" '
            f'text-anchor="{anchor}">{escape(_time_label(t, tstep, span))}</text>'
        )
    if unit:
        out.append(f'<text x="4" y="{f.top - 8}">{escape(unit)}</text>')
    return "".join(out)


def _legend(series: list[Series], left: float, title: str) -> str:
    out = []
    x = left + 4
    if title:
        out.append(f'<text x="{x:.0f}" y="16" font-weight="bold">{escape(title)}</text>')
        x += 8 + 7 * len(title)
    for s in series:
        color = escape(s.color)
        out.append(
            f'<rect x="{x:.0f}" y="8" width="10" height="10" fill="{color}"/>'
            f'<text x="{x + 14:.0f}" y="17">{escape(s.label)}</text>'
        )
        x += 24 + 6.5 * len(s.label)
    return "".join(out)
