"""Batch scoring: `python -m workers.score < comments.txt` prints one JSON decision per input line.

Input is one comment per line (UTF-8), or with `--format jsonl` one `{"text", "author", "email"}` object
per line. Each output line is `{"action": "approve|hold|reject", "scores": {...}, "reasons": [...]}`.
The comments go through the same pipeline the workers run, with every registered filter; filters that
need Redis (flooding) skip themselves, since a batch has none.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import Any, Iterable, Iterator, TextIO

from workers.filters import REGISTRY, build_filters
from workers.filters.base import CommentInput, FilterContext
from workers.pipeline import Pipeline
from workers.policy import PolicyDecision, SitePolicy, decide

# The order the workers use; filters registered later (new modules) run before the classifier.
PREFERRED_ORDER = ("length", "repetition", "links", "contact", "wordlist", "flood", "classifier")


def all_filter_names() -> tuple[str, ...]:
    """Return every registered filter's name, cheap rule filters first and the classifier last."""
    build_filters([], {})  # loads the built-in filter modules into the registry
    known = [n for n in PREFERRED_ORDER if n in REGISTRY]
    others = sorted(n for n in REGISTRY if n not in PREFERRED_ORDER)
    if "classifier" in known:
        known.remove("classifier")
        return tuple(known + others + ["classifier"])
    return tuple(known + others)


def build_pipeline(names: Iterable[str] | None = None, options: dict[str, Any] | None = None) -> Pipeline:
    """Build the pipeline over the named filters (all registered ones by default)."""
    return Pipeline.from_options(list(names) if names is not None else list(all_filter_names()), options or {})


def score_comment(comment: CommentInput, pipeline: Pipeline, policy: SitePolicy) -> PolicyDecision:
    """Run one comment through the pipeline and the policy, with the classifier's scores always present."""
    ran = pipeline.run(comment)
    decision = decide(ran, policy)
    if decision.scores:
        return decision
    # A rule filter rejected before the classifier ran; the scores are still wanted for the record and for
    # measuring the model, so score the comment without changing the outcome.
    for flt in pipeline.filters:
        if flt.name == "classifier":
            verdict = flt.check(FilterContext(comment=comment))
            scored = decide(replace(ran, verdicts=ran.verdicts + (verdict,)), policy)
            return replace(decision, scores=scored.scores)
    return decision


def score_comments(comments: Iterable[CommentInput], pipeline: Pipeline,
                   policy: SitePolicy) -> Iterator[PolicyDecision]:
    """Run each comment through the pipeline and the policy, one at a time."""
    for comment in comments:
        yield score_comment(comment, pipeline, policy)


def _read(stream: TextIO, fmt: str) -> Iterator[CommentInput]:
    for number, line in enumerate(stream, 1):
        line = line.rstrip("\r\n")
        if fmt == "lines":
            yield CommentInput(text=line)
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise SystemExit(f"line {number}: not JSON ({err.msg})") from err
        yield CommentInput(text=str(obj.get("text", "")), author=str(obj.get("author", "") or ""),
                           email=str(obj.get("email", "") or ""), url=str(obj.get("url", "") or ""))


def parse_options(pairs: list[str]) -> dict[str, Any]:
    """Turn `key=value` pairs into pipeline options, reading numbers and JSON lists as such."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--option wants key=value, got {pair!r}")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


def main(argv: list[str] | None = None) -> int:
    """Score comments from stdin and print one JSON decision per line."""
    parser = argparse.ArgumentParser(prog="python -m workers.score", description=main.__doc__)
    parser.add_argument("--format", choices=("lines", "jsonl"), default="lines",
                        help="lines: one comment text per line; jsonl: {text, author, email} objects")
    parser.add_argument("--filters", help="comma-separated filter names (default: all registered)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="a pipeline option, e.g. abuse_reject_at=0.97 (repeatable)")
    args = parser.parse_args(argv)
    options = parse_options(args.option)
    pipeline = build_pipeline(args.filters.split(",") if args.filters else None, options)
    policy = SitePolicy.from_options(options)
    stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="replace", closefd=False)
    out = open(sys.stdout.fileno(), "w", encoding="utf-8", closefd=False)
    for result in score_comments(_read(stdin, args.format), pipeline, policy):
        out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
