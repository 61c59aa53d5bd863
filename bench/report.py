"""The table on the terminal, latest.json and latest.png (drawn with Pillow, which fpdf2 brings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

# CPU per request relative to a plain Starlette+aiosqlite endpoint, for a 20-row read,
# measured earlier on the same kind of machine (the anchors).
ANCHORS = [
    ("naive strawberry+SQLModel", 17.0),
    ("strawberry, raw rows", 9.5),
    ("+ parser/validation caches", 4.9),
    ("ariadne, memoised parsing", 3.9),
]


def _fmt_us(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 10_000:
        return f"{value / 1000:,.0f} ms"
    return f"{value:,.0f} µs"


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


HEAD = [
    "scenario",
    "CPU/req",
    "raw",
    "× raw",
    "engine",
    "× engine",
    "bare",
    "× bare",
    "req/s",
    "raw req/s",
    "× raw",
    "p50 ms",
    "p99 ms",
]


def _cpu(inproc: dict[str, Any], side: str) -> float | None:
    return ((inproc.get(side) or {}).get("cpu_us") or {}).get("median")


def rows(results: dict[str, Any]) -> list[list[str]]:
    """In process (CPU µs per request beside the raw driver, the engine and bare strawberry)
    and over HTTP (req/s beside the raw driver's, latency)."""
    out = []
    for s in results["scenarios"]:
        inproc = s.get("in_process") or {}
        http = s.get("http") or {}
        g, r = http.get("graphql") or {}, http.get("raw") or {}
        out.append(
            [
                s["title"],
                _fmt_us(_cpu(inproc, "graphql")),
                _fmt_us(_cpu(inproc, "raw")),
                _fmt(inproc.get("ratio_raw"), ".2f"),
                _fmt_us(_cpu(inproc, "ceiling")),
                _fmt(inproc.get("ratio_ceiling"), ".2f"),
                _fmt_us(_cpu(inproc, "bare")),
                _fmt(inproc.get("ratio_bare"), ".2f"),
                _fmt(g.get("rps"), ",.0f"),
                _fmt(r.get("rps"), ",.0f"),
                _fmt(http.get("ratio_raw"), ".2f"),
                _fmt(g.get("p50_ms"), ".1f"),
                _fmt(g.get("p99_ms"), ".1f"),
            ]
        )
    return out


def table(results: dict[str, Any]) -> str:
    """The terminal table."""
    body = rows(results)
    widths = [max(len(r[i]) for r in [HEAD, *body]) for i in range(len(HEAD))]
    lines = []
    for row in [HEAD, ["-" * w for w in widths], *body]:
        cells = [row[0].ljust(widths[0])] + [c.rjust(widths[i]) for i, c in enumerate(row) if i]
        lines.append("  ".join(cells))
    return "\n".join(lines)


def markdown_table(results: dict[str, Any]) -> str:
    """The same figures as a Markdown table, for bench/README.md."""
    lines = [
        "| " + " | ".join(HEAD) + " |",
        "|" + "|".join(["---", *["---:"] * (len(HEAD) - 1)]) + "|",
    ]
    lines += ["| " + " | ".join(c.replace("_", "\\_") for c in row) + " |" for row in rows(results)]
    return "\n".join(lines)


# ---- the chart ---------------------------------------------------------------------------

WIDTH, ROW, LEFT, RIGHT, TOP = 1200, 66, 290, 40, 150
CPU_BAR, HTTP_BAR, GRID, INK, MUTED = (
    (214, 93, 14),
    (52, 101, 164),
    (228, 228, 228),
    (30, 30, 30),
    (110, 110, 110),
)
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if FONT.exists():
        return ImageFont.truetype(str(FONT), size)
    return ImageFont.load_default(size=size)


def chart(results: dict[str, Any], path: Path) -> None:
    """Cost relative to the ceiling per scenario (log scale): CPU in process, req/s over HTTP."""
    import math

    scenarios = results["scenarios"]
    plot_h = ROW * len(scenarios)
    height = TOP + plot_h + 80
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    font, small, title = _font(14), _font(12), _font(18)
    machine = results["machine"]
    draw.text(
        (20, 12),
        "Toegang GraphQL cost relative to the same SQL on the raw driver (= 1x)",
        font=title,
        fill=INK,
    )
    draw.text(
        (20, 38),
        f"{machine['cpu']}, {machine['nproc']} CPUs, Python {machine['python']}, "
        f"{results.get('backend', 'sqlite')}; "
        f"{results['finished_at'][:16].replace('T', ' ')} UTC; log scale",
        font=small,
        fill=MUTED,
    )
    ratios = [
        r
        for s in scenarios
        for r in (
            (s.get("in_process") or {}).get("ratio_raw"),
            (s.get("http") or {}).get("ratio_raw"),
        )
        if r
    ]
    top = max([20.0, *ratios]) * 1.25
    low = 0.8
    plot_w = WIDTH - LEFT - RIGHT

    def x(value: float) -> float:
        value = min(max(value, low), top)
        return LEFT + plot_w * math.log(value / low) / math.log(top / low)

    y_end = TOP + plot_h
    for tick in (1, 1.5, 2, 3, 5, 10, 20, 50, 100, 200, 500):
        if tick > top:
            break
        draw.line([(x(tick), TOP - 6), (x(tick), y_end)], fill=GRID)
        draw.text((x(tick) - 8, y_end + 4), f"{tick:g}x", font=small, fill=INK)
    for k, (label, value) in enumerate(ANCHORS):
        ax = x(value)
        for y in range(TOP - 6 - 16 * (len(ANCHORS) - k), y_end, 7):
            draw.line([(ax, y), (ax, y + 3)], fill=(160, 160, 160))
        text = f"{label}: {value:g}x"
        width = draw.textlength(text, font=small)
        tx = ax + 4 if ax + 4 + width <= WIDTH - 4 else ax - 4 - width
        draw.text((tx, TOP - 20 - 16 * (len(ANCHORS) - 1 - k)), text, font=small, fill=MUTED)
    draw.text(
        (20, TOP - 20 - 16 * (len(ANCHORS) - 1)),
        "anchors (20-row read, CPU):",
        font=small,
        fill=MUTED,
    )
    draw.line([(x(1), TOP - 6), (x(1), y_end)], fill=INK, width=2)
    for i, s in enumerate(scenarios):
        y0 = TOP + i * ROW + 10
        draw.text((20, y0 + 10), s["title"], font=font, fill=INK)
        inproc = s.get("in_process") or {}
        http = s.get("http") or {}
        if inproc.get("ratio_raw"):
            g, c = inproc["graphql"]["cpu_us"]["median"], inproc["raw"]["cpu_us"]["median"]
            note = f"{inproc['ratio_raw']:.2f}x CPU ({_ascii(_fmt_us(g))} vs {_ascii(_fmt_us(c))})"
            draw.rectangle([x(low), y0, x(inproc["ratio_raw"]), y0 + 18], fill=CPU_BAR)
            _label(draw, x(inproc["ratio_raw"]), y0 + 2, note, small)
        if http.get("ratio_raw"):
            g, c = http["graphql"]["rps"], http["raw"]["rps"]
            note = f"{http['ratio_raw']:.2f}x req/s ({g:,.0f} vs {c:,.0f} req/s)"
            draw.rectangle([x(low), y0 + 22, x(http["ratio_raw"]), y0 + 40], fill=HTTP_BAR)
            _label(draw, x(http["ratio_raw"]), y0 + 24, note, small)
    ly = y_end + 30
    draw.rectangle([LEFT, ly, LEFT + 14, ly + 14], fill=CPU_BAR)
    draw.text(
        (LEFT + 20, ly),
        "CPU per request in process, median of interleaved blocks",
        font=small,
        fill=INK,
    )
    draw.rectangle([LEFT + 430, ly, LEFT + 444, ly + 14], fill=HTTP_BAR)
    draw.text(
        (LEFT + 450, ly),
        "raw req/s / GraphQL req/s: uvicorn, 1 worker, wrk 32 connections",
        font=small,
        fill=INK,
    )
    image.save(path, optimize=True)


def _label(draw: ImageDraw.ImageDraw, end: float, y: float, text: str, font: Any) -> None:
    """After the bar's end, or inside it (white) when it would run off the image."""
    width = draw.textlength(text, font=font)
    if end + 6 + width <= WIDTH - 4:
        draw.text((end + 6, y), text, font=font, fill=INK)
    else:
        draw.text((end - 6 - width, y), text, font=font, fill="white")


def _ascii(text: str) -> str:
    return text.replace("µs", "us")


if __name__ == "__main__":
    import sys

    import orjson

    # python -m bench.report [results.json]: the Markdown table and the machine, for the README.
    source = Path(
        sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "results" / "latest.json"
    )
    data = orjson.loads(source.read_bytes())
    m = data["machine"]
    print(markdown_table(data))
    print()
    print(
        f"Measured {data['finished_at']} on {m['cpu']}, nproc {m['nproc']}, Python {m['python']}."
    )
