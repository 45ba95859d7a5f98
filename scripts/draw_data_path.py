"""Draw docs/data-path.svg, the picture of the data path in the README, from the text below.

Usage:
    python scripts/draw_data_path.py          # (re)write docs/data-path.svg
    python scripts/draw_data_path.py --check  # exit 1 when the committed picture drifted

The boxes and arrows are declared in :data:`BOXES` and :data:`ARROWS` (positions in pixels);
the SVG is plain text with no font or tool dependency, so a change to the data path is a
change to this file and a regenerated picture in the same commit (a test compares them).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "data-path.svg"
WIDTH, HEIGHT = 1010, 620
LINE = 17  # px between text lines
FILL = {"source": "#fdf2e9", "tap": "#e8f1fb", "meltano": "#eef7ee", "store": "#f4f4f4",
        "warehouse": "#fff8dc", "model": "#f3ecf9", "bi": "#fbeef0"}


@dataclass(frozen=True)
class Box:
    """A box: id, top-left corner, size, colour key, title and detail lines."""

    key: str
    x: int
    y: int
    w: int
    h: int
    kind: str
    title: str
    lines: tuple[str, ...] = ()

    def anchor(self, side: str) -> tuple[float, float]:
        """The middle of the ``n``/``s``/``e``/``w`` edge."""
        return {
            "n": (self.x + self.w / 2, self.y),
            "s": (self.x + self.w / 2, self.y + self.h),
            "e": (self.x + self.w, self.y + self.h / 2),
            "w": (self.x, self.y + self.h / 2),
        }[side]


BOXES = (
    Box("exact", 20, 40, 200, 120, "source", "Exact Online REST API",
        ("or the local sandbox", "(exactonline sandbox serve)", "OAuth, 60 calls/min,",
         "5,000 calls/day/division")),
    Box("tap", 300, 20, 250, 160, "tap", "tap-exactonline",
        ("per division, in parallel:", "sync endpoints by Timestamp,", "others by Modified,",
         "rate limiter, retries,", "Exact dates -> UTC,", "run summary at the end")),
    Box("meltano", 630, 40, 180, 120, "meltano", "Meltano",
        ("meltano run / schedules", "stream maps (audit", "columns, your own maps)",
         "STATE per environment")),
    Box("state", 840, 40, 160, 120, "store", "STATE",
        ("bookmarks per stream", "and division, in the", "Meltano system DB",
         "or a state backend")),
    Box("admin", 20, 255, 200, 100, "tap", "exactonline auth",
        ("login, status, refresh;", "exactonline check:", "the tap's settings")),
    Box("store", 300, 255, 250, 100, "store", "Token store",
        ("rotating refresh token, encrypted:", "file in .meltano/exactonline/",
         "or PostgreSQL for several hosts")),
    Box("targets", 635, 240, 170, 150, "warehouse", "Singer target",
        ("target-duckdb", "target-postgres", "target-bigquery", "target-snowflake",
         "(a table per stream)")),
    Box("dbt", 595, 450, 250, 150, "model", "dbt (transform/)",
        ("staging: typed, DECIMAL", "amounts, DATE dates;", "current state, history;",
         "marts: trial balance,", "aging, project margin")),
    Box("bi", 300, 465, 220, 120, "bi", "bi-refresh",
        ("Power BI, Tableau, Looker:", "refresh and wait; none", "configured: one INFO",
         "line, exit 0")),
)
ARROWS = (
    ("exact", "e", "tap", "w", "pages"),
    ("tap", "e", "meltano", "w", "messages"),
    ("meltano", "e", "state", "w", ""),
    ("meltano", "s", "targets", "n", "records"),
    ("targets", "s", "dbt", "n", "tables"),
    ("dbt", "w", "bi", "e", "models"),
    ("store", "n", "tap", "s", "tokens"),
    ("admin", "e", "store", "w", "login"),
)


def _box(box: Box) -> list[str]:
    out = [f'<rect x="{box.x}" y="{box.y}" width="{box.w}" height="{box.h}" rx="8" '
           f'fill="{FILL[box.kind]}" stroke="#555" stroke-width="1.2"/>',
           f'<text x="{box.x + box.w / 2:g}" y="{box.y + 24}" class="title">'
           f"{escape(box.title)}</text>"]
    for i, line in enumerate(box.lines):
        out.append(f'<text x="{box.x + box.w / 2:g}" y="{box.y + 46 + i * LINE}">'
                   f"{escape(line)}</text>")
    return out


def _arrow(start: tuple[float, float], end: tuple[float, float], label: str) -> list[str]:
    (x1, y1), (x2, y2) = start, end
    out = [f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" stroke="#333" '
           'stroke-width="1.6" marker-end="url(#head)"/>']
    if label:
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        dy = -7 if y1 == y2 else 4
        dx = 0 if y1 == y2 else 8
        anchor = "middle" if y1 == y2 else "start"
        out.append(f'<text x="{mx + dx:g}" y="{my + dy:g}" class="label" '
                   f'text-anchor="{anchor}">{escape(label)}</text>')
    return out


def render() -> str:
    """The SVG text (deterministic)."""
    boxes = {box.key: box for box in BOXES}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="13">',
        "<title>tap-exactonline: the data path</title>",
        "<!-- Generated by scripts/draw_data_path.py. Do not edit. -->",
        '<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#333"/></marker></defs>',
        "<style>text{text-anchor:middle;fill:#222}.title{font-weight:bold;font-size:14px}"
        ".label{font-size:12px;fill:#444}</style>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    for box in BOXES:
        parts += _box(box)
    for source, side_a, target, side_b, label in ARROWS:
        parts += _arrow(boxes[source].anchor(side_a), boxes[target].anchor(side_b), label)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write or check the picture; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the picture drifted")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT.relative_to(ROOT)} drifted from scripts/draw_data_path.py: run "
                  "python scripts/draw_data_path.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
