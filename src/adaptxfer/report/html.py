"""``report.html``: the report as one self-contained page — the same text and tables as
``report.md``, with the heatmap and the bar charts inline as data URIs — that opens in
any browser and can be mailed or archived as a single file."""

from __future__ import annotations

import base64
import html
from pathlib import Path

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
       max-width: 1200px; margin: 2em auto; padding: 0 1.5em; }
h1 { font-size: 1.7em; margin-bottom: .3em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
table { border-collapse: collapse; margin: 1em 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d0d0d7; padding: .3em .7em; }
th { background: #f0f1f5; }
tbody tr:nth-child(even) { background: #fafafc; }
img { max-width: 100%; height: auto; display: block; margin: 1em 0; }
code { background: #f0f1f5; padding: 0 .25em; border-radius: 3px; }
"""


def data_uri(png: Path) -> str:
    """A PNG file as a ``data:`` URI (the page needs no file beside it)."""
    return "data:image/png;base64," + base64.b64encode(Path(png).read_bytes()).decode("ascii")


def render_html(markdown_text: str, title: str = "adaptxfer report") -> str:
    """The page for ``markdown_text`` (CommonMark with tables; raw HTML is escaped, so a
    task or system name can never inject markup)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown_text)
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}</body>\n</html>\n"
    )
