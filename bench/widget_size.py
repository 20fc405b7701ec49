"""Print the widget's size: embed.js with its CSS inlined, as the service serves /embed.js, raw and gzipped.

    python bench/widget_size.py

The budget (issue 4: 30 KB; issue 13: under 20 KB) is 20 KB gzipped for JavaScript and CSS together; the exit status is 1 beyond it.
"""
from __future__ import annotations

import gzip
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.widget import STATIC, embed_script  # noqa: E402

BUDGET = 20 * 1024


def gzipped(data: bytes) -> int:
    """Return the size of `data` gzipped at level 9, as a web server would send it."""
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def main() -> int:
    """Print raw and gzipped sizes of the script, the CSS and the served bundle; fail beyond the budget."""
    js = (STATIC / "embed.js").read_bytes()
    css = (STATIC / "embed.css").read_bytes()
    bundle = embed_script()
    for name, data in (("embed.js (source)", js), ("embed.css", css), ("/embed.js as served (JS+CSS)", bundle)):
        print(f"{name:30} {len(data) / 1024:7.1f} KB raw {gzipped(data) / 1024:7.1f} KB gzipped")
    size = gzipped(bundle)
    print(f"budget: {size / 1024:.1f} KB of {BUDGET / 1024:.0f} KB gzipped ({'ok' if size <= BUDGET else 'OVER'})")
    return 0 if size <= BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
