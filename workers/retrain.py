"""Fold a site's moderator decisions into its classifier: `python -m workers.retrain --site NAME`.

The decisions (approve = fine, reject or delete = bad, the latest decision per comment) are split in time:
the adapter is fitted on the older 80% and judged on the newer 20%, against the shared model alone on the
same comments. Only when it does at least as well there is it refitted on every decision and switched on
for the site (`classifier_adapter` in the site's settings; running workers pick it up within seconds).
The RQ cron scheduler runs `retrain_sites` daily for sites with new decisions.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from service.config import Config
from service.learning import labelled_examples
from service.models import Site
from workers.context import WorkerContext, worker_context
from workers.filters.classifier import load_classifier, sigmoid
from workers.filters.normalise import normalise
from workers.site_model import SiteAdapter, base_logit, fit_adapter
from workers.train import binary_figures

logger = logging.getLogger(__name__)

MIN_EXAMPLES = 40  # fewer decisions than this, or fewer than 5 of either kind, teach nothing reliable


@dataclass(frozen=True)
class RetrainResult:
    """What one retraining did: the held-out figures of both models and whether the adapter was switched on."""

    site: str
    examples: int
    heldout: int
    base: dict[str, float]
    adapted: dict[str, float]
    activated: bool
    path: str | None
    reason: str

    def to_dict(self) -> dict[str, object]:
        """Return the result as plain JSON-ready data."""
        return self.__dict__.copy()


def adapter_path(config: Config, site_id: int) -> Path:
    """Return where a site's adapter lives (under the data folder)."""
    return config.data_path / "models" / f"site-{site_id}.npz"


def retrain_site(ctx: WorkerContext, site_name: str, heldout_share: float = 0.2, force: bool = False) -> RetrainResult:
    """Fit, judge and (if it helps) switch on a site's adapter; return the figures."""
    with ctx.db.read() as session:
        site = session.scalars(select(Site).where(Site.name == site_name)).one()
        site_id, classifier_path = site.id, (site.settings or {}).get("classifier_model") or None
        examples = list(labelled_examples(session, site_id))
    texts = [normalise(e.text).text for e in examples]
    labels = [1 if e.label == "bad" else 0 for e in examples]
    empty: dict[str, float] = {}
    if len(examples) < MIN_EXAMPLES or min(sum(labels), len(labels) - sum(labels)) < 5:
        return RetrainResult(site_name, len(examples), 0, empty, empty, False, None,
                             f"needs at least {MIN_EXAMPLES} decisions with 5 of each kind")
    classifier = load_classifier(classifier_path)
    cut = int(len(examples) * (1 - heldout_share))
    trial = fit_adapter(texts[:cut], labels[:cut], classifier)
    held_texts, held_labels = texts[cut:], labels[cut:]
    base_p = [sigmoid(base_logit(classifier, t)) for t in held_texts]
    adapted_p = [trial.probability(base_logit(classifier, t), t) for t in held_texts]
    base, adapted = binary_figures(held_labels, base_p), binary_figures(held_labels, adapted_p)
    if adapted["macro_f1"] < base["macro_f1"] and not force:
        return RetrainResult(site_name, len(examples), len(held_texts), base, adapted, False, None,
                             "the adapter did worse than the shared model on the newest decisions")
    final: SiteAdapter = fit_adapter(texts, labels, classifier)
    path = adapter_path(ctx.config, site_id)
    final.save(path)
    with ctx.db.write() as session:
        site = session.get(Site, site_id)
        settings = dict(site.settings or {})
        settings["classifier_adapter"] = str(path)
        session.execute(update(Site).where(Site.id == site_id).values(settings=settings))
    return RetrainResult(site_name, len(examples), len(held_texts), base, adapted, True, str(path),
                         "switched on")


def retrain_sites() -> list[dict[str, object]]:
    """Retrain every site that has moderator decisions (the scheduled job)."""
    ctx = worker_context()
    with ctx.db.read() as session:
        names = list(session.scalars(select(Site.name)))
    results = [retrain_site(ctx, name).to_dict() for name in names]
    for result in results:
        logger.info("retrain %s", result)
    return results


def main(argv: list[str] | None = None) -> int:
    """Retrain one site and print the held-out figures."""
    parser = argparse.ArgumentParser(prog="python -m workers.retrain", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", required=True)
    parser.add_argument("--force", action="store_true", help="switch the adapter on even if it did worse")
    args = parser.parse_args(argv)
    result = retrain_site(WorkerContext(Config.from_env()), args.site, force=args.force)
    json.dump(result.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
