"""Batch scoring: `python -m workers.score < comments.txt` prints one JSON decision per input line.

Input is one comment per line (UTF-8), or with `--format jsonl` one `{"text", "author", "email"}` object
per line. Each output line is `{"action": "approve|hold|reject", "scores": {...}, "reasons": [...]}`;
a jsonl line that is not a comment (not JSON, not an object, a `text` that is not a string, a lone
surrogate) gets `{"line": N, "error": "..."}` in its place, and the batch goes on.
The comments go through the same pipeline the workers run, with every registered filter; filters that
need Redis (flooding) skip themselves, since a batch has none.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, replace
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


@dataclass(frozen=True)
class BadLine:
    """An input line that is not a comment: its number and why, reported in its place."""

    line: int
    error: str

    def to_dict(self) -> dict[str, Any]:
        """Return the output line that stands for it."""
        return {"line": self.line, "error": self.error}


_FIELDS = ("text", "author", "email", "url")


def _read(stream: TextIO, fmt: str) -> Iterator[tuple[int, CommentInput | BadLine]]:
    for number, line in enumerate(stream, 1):
        line = line.rstrip("\r\n")
        if fmt == "lines":
            yield number, CommentInput(text=line)
            continue
        if not line.strip():
            continue
        yield number, _parse_jsonl(number, line)


def _parse_jsonl(number: int, line: str) -> CommentInput | BadLine:
    """Return the comment of one jsonl line, or why it is not one."""
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as err:
        return BadLine(number, f"not JSON ({getattr(err, 'msg', 'nested too deep')})")
    if not isinstance(obj, dict):
        return BadLine(number, "not a JSON object")
    if not isinstance(obj.get("text"), str):
        return BadLine(number, "'text' must be a string")
    values: dict[str, str] = {}
    for name in _FIELDS:
        value = obj.get(name)
        if value is None:
            values[name] = ""
            continue
        if not isinstance(value, str):
            return BadLine(number, f"'{name}' must be a string")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (\\ud800): no text a reader could have typed
            return BadLine(number, f"'{name}' holds a lone surrogate")
        values[name] = value
    return CommentInput(**values)


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
    refused = 0
    for number, item in _read(stdin, args.format):
        # One bad line gets an error line in its place; the rest of the batch is still scored.
        if isinstance(item, BadLine):
            result: PolicyDecision | BadLine = item
        else:
            try:
                result = score_comment(item, pipeline, policy)
            except Exception as err:  # noqa: BLE001 - one comment's failure must not lose the batch
                result = BadLine(number, f"scoring failed: {type(err).__name__}")
        if isinstance(result, BadLine):
            refused += 1
        out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
    out.flush()
    if refused:
        print(f"{refused} input line(s) were not comments; each got an error line in its place", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
