"""axe-core, from the npm registry (tests/browser/package.json), injected into pages by Playwright.

`npm ci` runs the first time a test asks for it on a fresh clone (CI has node and npm, not node_modules).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_script() -> Path:
    """Return the path of axe.min.js, installing the locked axe-core with `npm ci` when it is missing."""
    if not AXE.exists():
        npm = shutil.which("npm")
        if npm is None:
            message = "npm is missing: the accessibility scans need node and npm to install axe-core"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True, timeout=300)
    return AXE


def scan(page, context: str | None = None, target_size: bool = True) -> list[dict]:  # type: ignore[no-untyped-def]
    """Run axe-core on the page (shadow roots included) and return its serious and critical violations.

    WCAG 2.2's target size (24 px, or spacing that leaves a 24 px circle free) is off in axe by default; it is
    checked here too.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(axe_script()))
    results = page.evaluate(
        """async ([context, targetSize]) => {
            const r = await axe.run(context ? document.querySelector(context) : document,
                                    {resultTypes: ['violations'], rules: {'target-size': {enabled: targetSize}}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))}));
        }""",
        [context, target_size],
    )
    return [v for v in results if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    """Return the violations as lines a failing assertion can show."""
    lines = []
    for v in violations:
        lines.append(f"{v['impact']} {v['id']}: {v['help']}")
        lines.extend(f"    {n['target']}: {(n['summary'] or '').splitlines()[-1] if n['summary'] else ''}"
                     for n in v["nodes"][:6])
    return "\n".join(lines)
