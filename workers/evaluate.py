"""Measure the pipeline on a labelled file: `python -m workers.evaluate FILE [--text-column C --label-column L]`.

COLD (BOM, `TEXT`/`label`), Davidson (`tweet`/`class`) and the SMS collection (`ham|spam<TAB>text`) are
recognised by their columns. The binary figures count a comment as bad when its calibrated probability for
the file's score (abuse or spam) is at least 0.5; the three-way figures use the pipeline and the policy.
`--heldout` keeps only the seeded held-out split that training never saw (for Davidson and SMS);
`--evasion` rewrites the bad comments with the usual tricks and compares recall.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from workers.datasets import Labelled, heldout_split, read_table
from workers.evasion import EVASIONS
from workers.filters.base import CommentInput
from workers.pipeline import Pipeline
from workers.policy import Outcome, PolicyDecision, SitePolicy
from workers.score import build_pipeline, parse_options, score_comments
from workers.train import binary_figures


def run(data: Labelled, pipeline: Pipeline, policy: SitePolicy) -> list[PolicyDecision]:
    """Return the policy decision for every text, in order."""
    return list(score_comments((CommentInput(text=t) for t in data.texts), pipeline, policy))


def figures(data: Labelled, decisions: Sequence[PolicyDecision]) -> dict[str, Any]:
    """Return the binary figures at 0.5 and the three-way policy figures for the decisions."""
    y = np.asarray(data.labels, dtype=bool)
    p = np.array([d.scores.get(data.score, 0.0) for d in decisions])
    out: dict[str, Any] = {"rows": len(y), "bad_share": float(y.mean()), **binary_figures(y, p)}
    outcome = np.array([d.outcome.value for d in decisions])
    reject, hold, approve = (outcome == Outcome.REJECT.value, outcome == Outcome.HOLD.value,
                             outcome == Outcome.APPROVE.value)
    out.update(
        held_share=float(hold.mean()),
        rejected_share=float(reject.mean()),
        reject_precision=float(y[reject].mean()) if reject.any() else 1.0,
        approved_bad_share=float(y[approve].mean()) if approve.any() else 0.0,
    )
    if data.groups:
        groups = np.asarray(data.groups)
        out["by_group_macro_f1"] = {g: binary_figures(y[groups == g], p[groups == g])["macro_f1"]
                                    for g in sorted(set(data.groups))}
    return out


def evasion_figures(data: Labelled, pipeline: Pipeline, policy: SitePolicy, seed: int = 0) -> dict[str, Any]:
    """Return recall on the bad comments as written and after each rewrite, and the ratio of the two."""
    bad = [t for t, label in zip(data.texts, data.labels) if label]

    def recall(texts: list[str]) -> float:
        decisions = run(Labelled(tuple(texts), (1,) * len(texts), data.score), pipeline, policy)
        return float(np.mean([d.scores.get(data.score, 0.0) >= 0.5 for d in decisions]))

    original = recall(bad)
    out: dict[str, Any] = {"original_recall": original}
    for name, rewrite in EVASIONS.items():
        rewritten = recall([rewrite(t, seed + i) for i, t in enumerate(bad)])
        out[name] = {"recall": rewritten, "ratio": rewritten / original if original else 0.0}
    return out


def _print(title: str, result: dict[str, Any], out: Any) -> None:
    print(f"== {title}", file=out)
    for key, value in result.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in value.items())
            print(f"{key:>20}: {inner}", file=out)
        elif isinstance(value, float):
            print(f"{key:>20}: {value:.4f}", file=out)
        else:
            print(f"{key:>20}: {value}", file=out)


def main(argv: list[str] | None = None) -> int:
    """Run the pipeline over a labelled file and print binary, policy and (optionally) evasion figures."""
    parser = argparse.ArgumentParser(prog="python -m workers.evaluate", description=main.__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--text-column")
    parser.add_argument("--label-column")
    parser.add_argument("--score", choices=("abuse", "spam"), help="which score the labels measure")
    parser.add_argument("--heldout", action="store_true", help="only the seeded held-out split (Davidson, SMS)")
    parser.add_argument("--evasion", action="store_true", help="also measure recall on rewritten bad comments")
    parser.add_argument("--filters", help="comma-separated filter names (default: all registered)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    data = read_table(args.file, args.text_column, args.label_column)
    if args.score:
        data = Labelled(data.texts, data.labels, args.score, data.groups)
    if args.heldout:
        data = data.subset(heldout_split(data)[1])
    options = parse_options(args.option)
    pipeline = build_pipeline(args.filters.split(",") if args.filters else None, options)
    policy = SitePolicy.from_options(options)
    started = time.process_time()
    result: dict[str, Any] = {"file": str(args.file), "score": data.score, **figures(data, run(data, pipeline, policy))}
    result["cpu_ms_per_comment"] = 1000 * (time.process_time() - started) / max(1, len(data))
    if args.evasion:
        result["evasion"] = evasion_figures(data, pipeline, policy)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print(f"{args.file} ({data.score}, {len(data)} rows)", {k: v for k, v in result.items() if k != "evasion"},
               sys.stdout)
        if "evasion" in result:
            _print("evasion: recall on bad comments, rewritten / original", result["evasion"], sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
