"""The quality report: `python -m workers.quality [--no-cross-topic] [--limit N] [--json]`.

One command for the figures a news desk asks about, per language, on data the filters were not built on,
through the whole pipeline (every filter, the default policy) as the workers run it:

- Chinese: false alarms on the held-out everyday texts (held and rejected shares); on COLD's dev file
  abuse caught (held or rejected), the precision of rejections and macro-F1; and cross-topic validation:
  for each of COLD's topics, the shipped recipe retrained without that topic (everyday text kept) judges
  that topic's training comments, with the shipped calibration and thresholds.
- English: the seeded held-out splits of Davidson (abuse caught, precision of rejections, tweets that are
  neither held) and of the SMS collection (ordinary messages held or rejected, spam caught).
- The CPU time per comment over all of it.

Cross-topic validation trains three models (about a minute each); `--no-cross-topic` skips it.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from workers.datasets import DATA_DIR, Labelled, cold, davidson, everyday_zh, heldout_split, sms_spam
from workers.evaluate import run
from workers.filters.classifier import LinearClassifier, load_classifier
from workers.pipeline import Pipeline
from workers.policy import Outcome, PolicyDecision, SitePolicy
from workers.score import build_pipeline
from workers.train import ChineseTrainingSet, binary_figures


def outcome_figures(labels: Sequence[int], decisions: Sequence[PolicyDecision], score: str) -> dict[str, float]:
    """Return what the pipeline did with labelled comments: caught, rejection precision, fine ones flagged."""
    y = np.asarray(labels, dtype=bool)
    outcome = np.array([d.outcome.value for d in decisions])
    reject = outcome == Outcome.REJECT.value
    flagged = reject | (outcome == Outcome.HOLD.value)
    p = np.array([d.scores.get(score, 0.0) for d in decisions])
    return {
        "rows": int(len(y)),
        "caught": float(flagged[y].mean()) if y.any() else 0.0,
        "reject_precision": float(y[reject].mean()) if reject.any() else 1.0,
        "fine_held": float((flagged & ~reject)[~y].mean()) if (~y).any() else 0.0,
        "fine_rejected": float(reject[~y].mean()) if (~y).any() else 0.0,
        "macro_f1": binary_figures(y, p)["macro_f1"],
    }


def fine_figures(decisions: Sequence[PolicyDecision]) -> dict[str, float]:
    """Return the held and rejected shares of texts that are all fine."""
    outcome = np.array([d.outcome.value for d in decisions])
    return {"rows": int(len(outcome)), "held": float((outcome == Outcome.HOLD.value).mean()),
            "rejected": float((outcome == Outcome.REJECT.value).mean()),
            "held_or_rejected": float((outcome != Outcome.APPROVE.value).mean())}


def _limit(data: Labelled, limit: int | None) -> Labelled:
    if not limit or len(data) <= limit:
        return data
    rows = np.sort(np.random.RandomState(0).choice(len(data), limit, replace=False))
    return data.subset(rows)


def _with_classifier(pipeline: Pipeline, classifier: LinearClassifier) -> Pipeline:
    from workers.filters.classifier import ClassifierFilter

    filters = [ClassifierFilter(classifier=classifier, policy=f.policy) if isinstance(f, ClassifierFilter) else f
               for f in pipeline.filters]
    return Pipeline(filters)


def cross_topic(pipeline: Pipeline, policy: SitePolicy, data_dir: Path, limit: int | None,
                log: Any = sys.stderr) -> dict[str, Any]:
    """Retrain the Chinese head without each COLD topic and judge that topic through the pipeline."""
    shipped = load_classifier()
    calibration = shipped.meta.get("report", {}).get("abuse_zh", {}).get("calibration")
    if not calibration:
        raise SystemExit("the shipped model has no abuse_zh calibration: retrain it with python -m workers.train")
    train = cold("train", data_dir)
    training = ChineseTrainingSet(train, everyday_zh("train", data_dir))
    topics = np.asarray(train.groups)
    out: dict[str, Any] = {}
    labels: list[int] = []
    decisions: list[PolicyDecision] = []
    for name in sorted(set(topics)):
        head = training.fit_head(np.flatnonzero(topics != name), calibration)
        fold = LinearClassifier({**shipped.heads, "abuse_zh": head}, shipped.meta)
        held = _limit(train.subset(np.flatnonzero(topics == name)), limit)
        judged = run(held, _with_classifier(pipeline, fold), policy)
        out[name] = outcome_figures(held.labels, judged, "abuse")
        labels.extend(held.labels)
        decisions.extend(judged)
        print(f"  cross-topic: {name} done", file=log, flush=True)
    out["all"] = outcome_figures(labels, decisions, "abuse")
    return out


def report(data_dir: Path = DATA_DIR, with_cross_topic: bool = True, limit: int | None = None,
           log: Any = sys.stderr) -> dict[str, Any]:
    """Return the quality figures of the shipped filters and default policy."""
    pipeline, policy = build_pipeline(), SitePolicy()
    started = time.process_time()
    comments = 0

    def judge(data: Labelled) -> list[PolicyDecision]:
        nonlocal comments
        comments += len(data)
        return run(data, pipeline, policy)

    everyday = everyday_zh("heldout", data_dir)
    everyday_data = _limit(Labelled(everyday, (0,) * len(everyday), "abuse"), limit)
    cold_dev = _limit(cold("dev", data_dir), limit)
    english = davidson(data_dir)
    sms = sms_spam(data_dir)
    english_held = _limit(english.subset(heldout_split(english)[1]), limit)
    sms_held = _limit(sms.subset(heldout_split(sms)[1]), limit)
    zh: dict[str, Any] = {
        "everyday_heldout": fine_figures(judge(everyday_data)),
        "cold_dev": outcome_figures(cold_dev.labels, judge(cold_dev), "abuse"),
    }
    print("  Chinese held-out sets done", file=log, flush=True)
    en: dict[str, Any] = {
        "davidson_heldout": outcome_figures(english_held.labels, judge(english_held), "abuse"),
        "sms_heldout": outcome_figures(sms_held.labels, judge(sms_held), "spam"),
    }
    cpu_ms = 1000 * (time.process_time() - started) / max(1, comments)
    if with_cross_topic:
        zh["cross_topic"] = cross_topic(pipeline, policy, data_dir, limit, log)
    return {"zh": zh, "en": en, "cpu_ms_per_comment": cpu_ms, "comments_timed": comments}


_LABELS = {
    "everyday_heldout": "everyday text, held out (all fine)",
    "cold_dev": "COLD dev (50% offensive)",
    "cross_topic": "cross-topic validation (COLD train, each topic judged by a model that never saw it)",
    "davidson_heldout": "Davidson held out (abuse; 83% offensive)",
    "sms_heldout": "SMS held out (spam; 13% spam)",
}


def _format(figures: dict[str, Any]) -> str:
    parts = []
    for key, value in figures.items():
        if isinstance(value, float):
            parts.append(f"{key} {value:.4f}" if key == "macro_f1" else f"{key} {100 * value:.1f}%")
        else:
            parts.append(f"{key} {value}")
    return ", ".join(parts)


def print_report(result: dict[str, Any], out: Any = sys.stdout) -> None:
    """Print the report for people: one line a data set, shares in per cent."""
    for language, title in (("zh", "Chinese"), ("en", "English")):
        print(f"== {title}", file=out)
        for name, figures in result[language].items():
            print(f"{_LABELS.get(name, name)}:", file=out)
            if name == "cross_topic":
                for topic, inner in figures.items():
                    print(f"  {topic:>7}: {_format(inner)}", file=out)
            else:
                print(f"  {_format(figures)}", file=out)
    print(f"== CPU per comment (whole pipeline, one at a time, held-out sets): "
          f"{result['cpu_ms_per_comment']:.3f} ms over {result['comments_timed']} comments", file=out)
    print("caught = held or rejected among the bad; fine_held/fine_rejected = shares of the fine ones; "
          "macro_f1 at probability 0.5", file=out)


def main(argv: list[str] | None = None) -> int:
    """Print the quality report."""
    parser = argparse.ArgumentParser(prog="python -m workers.quality", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="the shared/data folder")
    parser.add_argument("--no-cross-topic", action="store_true", help="skip the three cross-topic trainings")
    parser.add_argument("--limit", type=int, help="judge at most N comments of each set (a quick look)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    result = report(args.data, not args.no_cross_topic, args.limit)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print_report(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
