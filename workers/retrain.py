"""Fold a site's labelled comments into its classifier: `python -m workers.retrain --site NAME`.

Labelled comments are the moderators' decisions (approve = fine, reject or delete = bad, the latest per
comment) and the filters' decisions nobody overturned within the settling time (published and not taken
down = fine, rejected and not restored = bad; `service.learning.training_examples`). Moderators' decisions
alone are a biased sample, mostly the filters' mistakes: an adapter fitted on them learns that most
comments are bad. The examples are split in time: a trial adapter is fitted on the older 80% and judged
on the newest 20% against the shared model, as the site's policy would act on each (hold or reject
counts as flagged). It is switched on (`classifier_adapter` in the site's settings; running workers pick
it up within seconds) only if, there, it does at least as well (macro-F1) and flags no more of the fine
comments, and if the adapter refitted on every example would hold or reject no larger share of the
site's newest published comments than the shared model or the adapter in force does. The RQ cron
scheduler runs `retrain_sites` daily.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from service.config import Config
from service.learning import SETTLE_DAYS, SETTLED_CAP, recent_approved, training_examples
from service.models import Site
from workers.context import WorkerContext, worker_context
from workers.filters.base import Action, CommentInput, FilterContext
from workers.filters.classifier import ClassifierFilter, load_classifier
from workers.filters.normalise import normalise
from workers.site_model import SiteAdapter, fit_adapter
from workers.train import binary_figures

logger = logging.getLogger(__name__)

MIN_EXAMPLES = 40  # fewer labelled comments than this, or fewer than 5 of either kind, teach nothing reliable
MIN_DECISIONS = 10  # without moderators' decisions the adapter could only learn the filters' own habits
RECENT_APPROVED = 1000  # the newest published comments, on which no new adapter may flag more
MIN_RECENT_APPROVED = 20  # fewer than this cannot show whether an adapter raises false alarms
# A new adapter may flag at most this much larger a share of the newest published comments (and of the
# fine held-out ones) than the model in force: half a percentage point, rounding noise, not a trend.
FALSE_ALARM_TOLERANCE = 0.005


@dataclass(frozen=True)
class RetrainResult:
    """What one retraining did: the figures it was judged on and whether the adapter was switched on.

    `base` and `adapted` are the shared model's and the trial adapter's figures on the newest labelled
    comments, as the site's policy acts (hold or reject = flagged); `false_alarms` is the share of the
    site's newest published comments each model would hold or reject (`base`, `current` adapter if any,
    `adapted` = the adapter refitted on every example).
    """

    site: str
    examples: int
    heldout: int
    base: dict[str, float]
    adapted: dict[str, float]
    activated: bool
    path: str | None
    reason: str
    sources: dict[str, int] = field(default_factory=dict)  # examples by source: moderator, settled
    false_alarms: dict[str, float] = field(default_factory=dict)
    recent_approved: int = 0

    def to_dict(self) -> dict[str, object]:
        """Return the result as plain JSON-ready data."""
        return self.__dict__.copy()


def adapter_path(config: Config, site_id: int) -> Path:
    """Return where a site's adapter lives (under the data folder)."""
    return config.data_path / "models" / f"site-{site_id}.npz"


def flagged(options: dict[str, Any], adapter: str | None, texts: Sequence[str]) -> list[bool]:
    """Return, for each text, whether the site's classifier filter would hold or reject it with `adapter`."""
    classifier = ClassifierFilter.from_options({**options, "classifier_adapter": adapter})
    return [classifier.check(FilterContext(CommentInput(text=t))).action in (Action.HOLD, Action.REJECT)
            for t in texts]


def flag_figures(labels: Sequence[int], flags: Sequence[bool]) -> dict[str, float]:
    """Return precision, recall, F1, macro-F1 and accuracy of flagging the bad, and the share of fine flagged."""
    figures = binary_figures(labels, [1.0 if f else 0.0 for f in flags])
    fine = [f for f, y in zip(flags, labels) if not y]
    figures["false_alarms"] = sum(fine) / len(fine) if fine else 0.0
    return {k: round(v, 4) for k, v in figures.items()}


def _share(flags: Sequence[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def retrain_site(ctx: WorkerContext, site_name: str, heldout_share: float = 0.2, force: bool = False,
                 settle_days: float | None = None, cap: int = SETTLED_CAP) -> RetrainResult:
    """Fit, judge and (if it helps without raising false alarms) switch on a site's adapter; return the figures."""
    with ctx.db.read() as session:
        site = session.scalars(select(Site).where(Site.name == site_name)).one()
        site_id, settings = site.id, dict(site.settings or {})
        days = settle_days if settle_days is not None else float(settings.get("learning_settle_days", SETTLE_DAYS))
        examples = training_examples(session, site_id, settle_days=days, cap=cap)
        recent = recent_approved(session, site_id, RECENT_APPROVED)
    # Built here rather than through ctx.site_options, whose cache would keep the old adapter for a while.
    options = {**ctx.base_options(), **settings}
    current = settings.get("classifier_adapter") or None
    if current and not Path(current).exists():
        current = None
    texts = [normalise(e.text).text for e in examples]
    labels = [1 if e.label == "bad" else 0 for e in examples]
    weights = [e.weight for e in examples]
    sources = {s: sum(e.source == s for e in examples) for s in ("moderator", "settled")}
    empty: dict[str, float] = {}

    def result(heldout: int, base: dict[str, float], adapted: dict[str, float], activated: bool,
               path: str | None, reason: str, false_alarms: dict[str, float] | None = None) -> RetrainResult:
        return RetrainResult(site_name, len(examples), heldout, base, adapted, activated, path, reason, sources,
                             false_alarms or {}, len(recent))

    if (len(examples) < MIN_EXAMPLES or min(sum(labels), len(labels) - sum(labels)) < 5
            or sources["moderator"] < MIN_DECISIONS):
        return result(0, empty, empty, False, None,
                      f"needs at least {MIN_EXAMPLES} labelled comments with 5 of each kind, "
                      f"{MIN_DECISIONS} of them moderators' decisions")
    classifier = load_classifier(options.get("classifier_model") or None)
    cut = int(len(examples) * (1 - heldout_share))
    held_raw, held_labels = [e.text for e in examples[cut:]], labels[cut:]
    with tempfile.TemporaryDirectory() as tmp:
        trial_path = str(Path(tmp) / "trial.npz")
        fit_adapter(texts[:cut], labels[:cut], classifier, weights=weights[:cut]).save(Path(trial_path))
        base = flag_figures(held_labels, flagged(options, None, held_raw))
        adapted = flag_figures(held_labels, flagged(options, trial_path, held_raw))
        final: SiteAdapter = fit_adapter(texts, labels, classifier, weights=weights)
        final_path = str(Path(tmp) / "final.npz")
        final.save(Path(final_path))
        false_alarms = {"base": _share(flagged(options, None, recent))}
        if current:
            false_alarms["current"] = _share(flagged(options, current, recent))
        false_alarms["adapted"] = _share(flagged(options, final_path, recent))
    heldout = len(held_labels)
    in_force = min(false_alarms["base"], false_alarms.get("current", 1.0))
    refusal = None
    if adapted["macro_f1"] < base["macro_f1"]:
        refusal = "the adapter did worse than the shared model on the newest labelled comments"
    elif adapted["false_alarms"] > base["false_alarms"] + FALSE_ALARM_TOLERANCE:
        refusal = (f"the adapter flagged {adapted['false_alarms']:.1%} of the newest fine comments, "
                   f"the shared model {base['false_alarms']:.1%}")
    elif len(recent) < MIN_RECENT_APPROVED:
        refusal = f"needs {MIN_RECENT_APPROVED} published comments to check for false alarms, has {len(recent)}"
    elif false_alarms["adapted"] > in_force + FALSE_ALARM_TOLERANCE:
        refusal = (f"the adapter would hold or reject {false_alarms['adapted']:.1%} of the {len(recent)} newest "
                   f"published comments, the model in force {in_force:.1%}")
    if refusal and not force:
        return result(heldout, base, adapted, False, None, refusal, false_alarms)
    path = adapter_path(ctx.config, site_id)
    final.save(path)
    with ctx.db.write() as session:
        site = session.get(Site, site_id)
        settings = dict(site.settings or {})
        settings["classifier_adapter"] = str(path)
        session.execute(update(Site).where(Site.id == site_id).values(settings=settings))
    return result(heldout, base, adapted, True, str(path),
                  f"switched on despite: {refusal}" if refusal else "switched on", false_alarms)


def retrain_sites() -> list[dict[str, object]]:
    """Retrain every site (the scheduled job); sites without enough labelled comments are left alone."""
    ctx = worker_context()
    with ctx.db.read() as session:
        names = list(session.scalars(select(Site.name)))
    results = [retrain_site(ctx, name).to_dict() for name in names]
    for result in results:
        logger.info("retrain %s", result)
    return results


def main(argv: list[str] | None = None) -> int:
    """Retrain one site and print the figures it was judged on."""
    parser = argparse.ArgumentParser(prog="python -m workers.retrain", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", required=True)
    parser.add_argument("--force", action="store_true",
                        help="switch the adapter on even if it did worse or raised false alarms")
    parser.add_argument("--settle-days", type=float, default=None,
                        help=f"days after which an unchallenged filter decision is a label "
                             f"(default: the site's learning_settle_days, else {SETTLE_DAYS:g})")
    parser.add_argument("--cap", type=int, default=SETTLED_CAP,
                        help="at most this many settled filter decisions are learnt from")
    args = parser.parse_args(argv)
    result = retrain_site(WorkerContext(Config.from_env()), args.site, force=args.force,
                          settle_days=args.settle_days, cap=args.cap)
    json.dump(result.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
