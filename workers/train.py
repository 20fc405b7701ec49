"""Train the shipped classifier from shared/data: `python -m workers.train [--data DIR] [--out FILE]`.

Each head is an ensemble of two linear models over the same n-grams, logistic regression on sublinear
tf-idf and NB-SVM (logistic regression on presence scaled by log-count ratios), averaged in logit space
and calibrated by Platt scaling fitted on cross-validated predictions. Everything is fitted on training
data only: COLD's train.csv, and the training parts of the seeded Davidson and SMS splits (the SMS ham
also serves the English abuse head as everyday English, and Davidson's tweets, of every class, serve the
spam head as ham). The thresholds of workers.policy's defaults, one pair per abuse head and one for
spam, are chosen on the cross-validated predictions. COLD's dev.csv and the held-out splits are only
measured, by `python -m workers.evaluate`.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from workers.datasets import DATA_DIR, Labelled, cold, davidson, heldout_split, sms_spam
from workers.filters.classifier import (
    BUCKET_BITS, EN_FEATURES, MODEL_PATH, ZH_FEATURES, FeatureSpec, LinearClassifier, LinearHead, features,
)
from workers.filters.normalise import normalise

SEED = 0


@dataclass(frozen=True)
class HeadSettings:
    """Hyper-parameters of one head, chosen by cross-validation on training data."""

    spec: FeatureSpec
    c_lr: float = 4.0
    c_nb: float = 4.0
    min_df: int = 2


@dataclass(frozen=True)
class _RawModel:
    idf: np.ndarray  # 0 for buckets too rare to use
    w_tfidf: np.ndarray
    b_tfidf: float
    w_bin: np.ndarray  # NB-SVM weights with the log-count ratios folded in
    b_bin: float


def _counts(buckets: Sequence[np.ndarray]) -> Any:
    from scipy.sparse import csr_matrix

    indptr, indices, data = [0], [], []
    for row in buckets:
        ix, counts = np.unique(row, return_counts=True)
        indices.append(ix)
        data.append(counts)
        indptr.append(indptr[-1] + len(ix))
    return csr_matrix((np.concatenate(data).astype(np.float64), np.concatenate(indices), np.array(indptr)),
                      shape=(len(buckets), 1 << BUCKET_BITS))


def _fit_raw(buckets: Sequence[np.ndarray], labels: np.ndarray, settings: HeadSettings,
             weights: np.ndarray | None = None) -> _RawModel:
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    counts = _counts(buckets)
    keep = np.bincount(counts.indices, minlength=counts.shape[1]) >= settings.min_df
    counts.data[~keep[counts.indices]] = 0.0
    counts.eliminate_zeros()
    tfidf = TfidfTransformer(sublinear_tf=True)
    x = tfidf.fit_transform(counts)
    # lbfgs leaves the intercept unpenalised (liblinear shrinks it, which costs about a point here).
    lr = LogisticRegression(C=settings.c_lr, solver="lbfgs", max_iter=3000)
    lr.fit(x, labels, sample_weight=weights)
    present = (counts > 0).astype(np.float64)
    pos = np.asarray(present[labels == 1].sum(axis=0)).ravel() + keep
    neg = np.asarray(present[labels == 0].sum(axis=0)).ravel() + keep
    ratio = np.zeros(len(keep))
    ratio[keep] = np.log((pos[keep] / pos.sum()) / (neg[keep] / neg.sum()))
    nb = LogisticRegression(C=settings.c_nb, solver="lbfgs", max_iter=3000)
    nb.fit(present.multiply(ratio).tocsr(), labels, sample_weight=weights)
    idf = np.where(keep, tfidf.idf_, 0.0)
    return _RawModel(idf, lr.coef_.ravel().copy(), float(lr.intercept_[0]),
                     nb.coef_.ravel() * ratio, float(nb.intercept_[0]))


def _raw_logits(model: _RawModel, buckets: Sequence[np.ndarray], spec: FeatureSpec) -> np.ndarray:
    # Score through the runtime code path, so cross-validation measures exactly what ships.
    zero = np.zeros_like(model.idf)
    lr = LinearHead("lr", spec, model.idf, model.w_tfidf, zero, model.b_tfidf)
    nb = LinearHead("nb", spec, model.idf, zero, model.w_bin, model.b_bin)
    return np.array([[lr.logit_buckets(b), nb.logit_buckets(b)] for b in buckets])


def _platt(z: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000).fit(z.reshape(-1, 1), labels)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def train_head(name: str, texts: Sequence[str], labels: Sequence[int], settings: HeadSettings,
               folds: int = 5, weights: Sequence[float] | None = None,
               augmented: Sequence[tuple[int, str]] = (), log: Any = None) -> tuple[LinearHead, np.ndarray]:
    """Fit one calibrated head on normalised texts; return it and its cross-validated probabilities.

    `augmented` holds (row, rewritten text) pairs: extra training rows with the label of `row`, kept in
    the same fold as their original so that cross-validation never sees a rewrite of a training text.
    """
    n = len(texts)
    origin = np.array([row for row, _ in augmented], dtype=np.int64)
    texts = list(texts) + [text for _, text in augmented]
    y = np.asarray(list(labels) + [labels[row] for row in origin], dtype=np.int64)
    w = None if weights is None else np.asarray(list(weights) + [weights[row] for row in origin], dtype=np.float64)
    tokens = [features(t, settings.spec) for t in texts]
    rng = np.random.RandomState(SEED)
    fold_of = np.empty(len(y), dtype=np.int64)
    for value in (0, 1):
        rows = rng.permutation(np.flatnonzero(y[:n] == value))
        fold_of[rows] = np.arange(len(rows)) % folds
    fold_of[n:] = fold_of[origin]
    raw_cv = np.zeros((n, 2))
    for k in range(folds):
        tr, te = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of[:n] == k)
        model = _fit_raw([tokens[i] for i in tr], y[tr], settings, None if w is None else w[tr])
        raw_cv[te] = _raw_logits(model, [tokens[i] for i in te], settings.spec)
        if log:
            print(f"  {name}: fold {k + 1}/{folds}", file=log, flush=True)
    scale = raw_cv.std(axis=0)
    z = raw_cv[:, 0] / scale[0] + raw_cv[:, 1] / scale[1]
    a, b = _platt(z, y[:n])
    cv_probability = _sigmoid(a * z + b)
    model = _fit_raw(tokens, y, settings, w)
    head = LinearHead(
        name=name,
        spec=settings.spec,
        idf=model.idf,
        w_tfidf=model.w_tfidf * (a / scale[0]),
        w_bin=model.w_bin * (a / scale[1]),
        bias=a * (model.b_tfidf / scale[0] + model.b_bin / scale[1]) + b,
    )
    return head, cv_probability


def binary_figures(labels: Sequence[int], probabilities: Sequence[float], threshold: float = 0.5) -> dict[str, float]:
    """Return precision, recall and F1 of the positive class, macro-F1 and accuracy at `threshold`."""
    y = np.asarray(labels, dtype=bool)
    p = np.asarray(probabilities) >= threshold
    out: dict[str, float] = {}
    f1s = []
    for cls, pred in ((True, p), (False, ~p)):
        truth = y if cls else ~y
        tp = float(np.sum(pred & truth))
        precision = tp / max(1.0, float(pred.sum()))
        recall = tp / max(1.0, float(truth.sum()))
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        f1s.append(f1)
        if cls:
            out.update(precision=precision, recall=recall, f1=f1)
    out["macro_f1"] = float(np.mean(f1s))
    out["accuracy"] = float(np.mean(p == y))
    return out


def policy_figures(labels: Sequence[int], probabilities: Sequence[float], reject_at: float,
                   hold_at: float) -> dict[str, float]:
    """Return the held share, rejection precision and bad share among approved for two thresholds."""
    y = np.asarray(labels, dtype=bool)
    p = np.asarray(probabilities)
    reject = p >= reject_at
    hold = (p >= hold_at) & ~reject
    approve = ~reject & ~hold
    return {
        "held_share": float(hold.mean()),
        "rejected_share": float(reject.mean()),
        "reject_precision": float(y[reject].mean()) if reject.any() else 1.0,
        "approved_bad_share": float(y[approve].mean()) if approve.any() else 0.0,
    }


def choose_thresholds(labels: Sequence[int], probabilities: Sequence[float], reject_precision: float = 0.96,
                      approved_bad: float = 0.04, held: float = 0.25,
                      parts: Sequence[np.ndarray] = ()) -> tuple[float, float]:
    """Pick (reject_at, hold_at): the lowest reject_at and highest hold_at meeting the targets with a margin.

    With `parts` (arrays of row numbers), each target must be met within each part, not only over all
    rows; a part without bad comments counts for the held share only. Where the held share and the bad
    share among approved pull apart, the held share wins: hold_at is raised until at most `held` of
    every part is held, since a queue nobody can read protects nobody.
    A rejection is never decided below 0.5: the model must at least think the comment more likely bad.
    """
    y, p = np.asarray(labels), np.asarray(probabilities)
    rows = list(parts) or [np.arange(len(y))]
    with_bad = [r for r in rows if y[r].any()] or rows

    def worst(reject_at: float, hold_at: float, key: str) -> float:
        found = [policy_figures(y[r], p[r], reject_at, hold_at)[key]
                 for r in (rows if key == "held_share" else with_bad)]
        return min(found) if key == "reject_precision" else max(found)

    grid = np.round(np.arange(0.005, 0.995, 0.005), 3)
    reject_at = 0.995
    for t in grid[grid >= 0.5]:
        if worst(t, t, "reject_precision") >= reject_precision:
            reject_at = float(t)
            break
    hold_at = 0.005
    for t in grid[grid <= reject_at]:
        if worst(reject_at, t, "approved_bad_share") <= approved_bad:
            hold_at = float(t)
    for t in grid[(grid > hold_at) & (grid <= reject_at)]:
        if worst(reject_at, hold_at, "held_share") <= held:
            break
        hold_at = float(t)
    return reject_at, hold_at


def _norm(texts: Sequence[str]) -> list[str]:
    return [normalise(t).text for t in texts]


# Shares of the Chinese training texts added again in an evasive spelling, of either label, so that the
# spelling itself is not learnt as a sign of abuse. Normalisation undoes the other tricks.
AUGMENT = {"pinyin": 0.3, "separators": 0.1}


def _rewrites(texts: Sequence[str]) -> list[tuple[int, str]]:
    from workers.evasion import EVASIONS

    rng = np.random.RandomState(SEED + 1)
    out = []
    for name, share in AUGMENT.items():
        for row in rng.choice(len(texts), int(share * len(texts)), replace=False):
            rewritten = EVASIONS[name](texts[row], int(row))
            if rewritten != texts[row]:
                out.append((int(row), normalise(rewritten).text))
    return out


SETTINGS = {
    "abuse_zh": HeadSettings(ZH_FEATURES, c_lr=4.0, c_nb=4.0, min_df=2),
    "abuse_en": HeadSettings(EN_FEATURES, c_lr=4.0, c_nb=4.0, min_df=2),
    "spam": HeadSettings(EN_FEATURES, c_lr=4.0, c_nb=4.0, min_df=2),
}


# Weight of each Davidson tweet among the spam model's ham, against 1 for an SMS message. At full weight
# the tweets outnumber the SMS ham five to one, and the model learns what sets SMS apart from tweets as
# a sign of spam ("Glad to see your reply." scored 0.80); at 0.1 they weigh about half the SMS ham and
# no held-out tweet is rejected as spam either way (weights 1, 0.3, 0.2, 0.1 and 0.05 were measured).
TWEET_WEIGHT = 0.1


def train_spam(sms: Labelled, tweets: Labelled, cold_train: Labelled, folds: int = 5,
               tweet_weight: float = TWEET_WEIGHT,
               log: Any = None) -> tuple[LinearHead, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Fit the spam head; return it, its cross-validated probabilities and the (SMS, tweet) row numbers.

    The rows are the SMS training split, then the tweets (all ham), then Chinese ham.
    """
    # The SMS collection's ham is all the model would otherwise know of non-spam English, so tweets with
    # links, @mentions and hashtags looked like SMS spam to it. Davidson's tweets, of every class, are
    # ham here: hateful or offensive, none was collected as spam (a few are advertisements all the same).
    # Chinese comments as ham keep the English-only spam model quiet on Chinese text; Chinese spam is
    # left to the rule filters (contact details, links, flooding), since there is no labelled corpus.
    rng = np.random.RandomState(SEED)
    zh_ham = [cold_train.texts[i] for i in rng.choice(len(cold_train), min(3000, len(cold_train)), replace=False)]
    texts = _norm(sms.texts) + _norm(tweets.texts) + _norm(zh_ham)
    labels = list(sms.labels) + [0] * (len(tweets) + len(zh_ham))
    weights = None
    if tweet_weight != 1.0:
        weights = [1.0] * len(sms) + [tweet_weight] * len(tweets) + [1.0] * len(zh_ham)
    head, probability = train_head("spam", texts, labels, SETTINGS["spam"], folds, weights=weights, log=log)
    sms_rows = np.arange(len(sms))
    tweet_rows = np.arange(len(sms), len(sms) + len(tweets))
    return head, probability, (sms_rows, tweet_rows)


def train_all(data_dir: Path = DATA_DIR, folds: int = 5, log: Any = sys.stderr) -> tuple[LinearClassifier, dict]:
    """Train the three heads on the training data; return the classifier and a report of CV figures."""
    report: dict[str, Any] = {"folds": folds}
    heads = {}
    cold_train = cold("train", data_dir)
    t0 = time.time()
    heads["abuse_zh"], p_zh = train_head("abuse_zh", _norm(cold_train.texts), cold_train.labels,
                                         SETTINGS["abuse_zh"], folds, augmented=_rewrites(cold_train.texts),
                                         log=log)
    report["abuse_zh"] = {"cv": binary_figures(cold_train.labels, p_zh), "rows": len(cold_train),
                          "seconds": round(time.time() - t0, 1)}
    english = davidson(data_dir)
    en_train, _ = heldout_split(english)
    en = english.subset(en_train)
    sms = sms_spam(data_dir)
    sms_train, _ = heldout_split(sms)
    sp = sms.subset(sms_train)
    # Davidson's tweets are 83% offensive and its 'neither' class is tweets too, so a head trained on it
    # alone finds everyday English ("K tell me anything about you.") suspicious. The ham of the SMS
    # training split is added as more non-abusive English: it is what a news site's readers write.
    ham = [t for t, label in zip(sp.texts, sp.labels) if label == 0]
    en_texts = _norm(en.texts) + _norm(ham)
    en_labels = list(en.labels) + [0] * len(ham)
    heads["abuse_en"], p_en = train_head("abuse_en", en_texts, en_labels, SETTINGS["abuse_en"], folds, log=log)
    # Re-calibrated to an even prior (Bayes' rule: shift the intercept by the log prior odds), as COLD is:
    # the training mix is 70% abusive, far more than English comments are, and a rejection is never
    # decided below 0.5.
    prior = float(np.mean(en_labels))
    shift = float(np.log(prior / (1.0 - prior)))
    heads["abuse_en"] = replace(heads["abuse_en"], bias=heads["abuse_en"].bias - shift)
    p_en = 1.0 / (1.0 + (1.0 / p_en - 1.0) * np.exp(shift))
    dav_rows, ham_rows = np.arange(len(en)), np.arange(len(en), len(en_labels))
    report["abuse_en"] = {"cv": binary_figures(en.labels, p_en[dav_rows]), "rows": len(en_labels),
                          "sms_ham_rows": len(ham), "prior_shift": shift}
    heads["spam"], p_spam, spam_parts = train_spam(sp, en, cold_train, folds, log=log)
    sms_rows, tweet_rows = spam_parts
    spam_y = np.asarray(list(sp.labels) + [0] * len(en))
    report["spam"] = {"cv_sms": binary_figures(sp.labels, p_spam[sms_rows]), "rows": len(p_spam),
                      "tweet_rows": len(en), "tweet_weight": TWEET_WEIGHT}
    # Each language's abuse head has thresholds of its own, since each carries its training set's habits.
    # English ones must meet the targets on Davidson and on all English rows, and hold at most a quarter
    # of the everyday SMS ham, which stands for the English comments of a news site. The spam pair must
    # meet them on the SMS split and on SMS and tweets together (tweets rejected as spam are wrong), and
    # hold at most a quarter of the tweets.
    policy = {
        "abuse_zh": choose_thresholds(cold_train.labels, p_zh),
        "abuse_en": choose_thresholds(en_labels, p_en, parts=(dav_rows, np.arange(len(en_labels)), ham_rows)),
        "spam": choose_thresholds(spam_y, p_spam[:len(spam_y)], parts=(*spam_parts, np.arange(len(spam_y)))),
    }
    report["policy"] = {name: list(pair) for name, pair in policy.items()}
    y_en = np.asarray(en_labels)
    report["policy_cv"] = {
        "abuse_zh": policy_figures(cold_train.labels, p_zh, *policy["abuse_zh"]),
        "abuse_en_davidson": policy_figures(y_en[dav_rows], p_en[dav_rows], *policy["abuse_en"]),
        "abuse_en_sms_ham": policy_figures(y_en[ham_rows], p_en[ham_rows], *policy["abuse_en"]),
        "spam": policy_figures(sp.labels, p_spam[sms_rows], *policy["spam"]),
        "spam_davidson": policy_figures(spam_y[tweet_rows], p_spam[tweet_rows], *policy["spam"]),
    }
    meta = {"trained": time.strftime("%Y-%m-%d"), "settings": {k: {**v.__dict__, "spec": v.spec.to_dict()}
                                                               for k, v in SETTINGS.items()},
            "report": report}
    return LinearClassifier(heads, meta), report


def main(argv: list[str] | None = None) -> int:
    """Train the classifier and write it to workers/models/classifier.npz (or --out)."""
    parser = argparse.ArgumentParser(prog="python -m workers.train", description=main.__doc__)
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="the shared/data folder")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="where to write the model file")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds for calibration")
    args = parser.parse_args(argv)
    classifier, report = train_all(args.data, args.folds)
    classifier.save(args.out)
    print(json.dumps(report, indent=2))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
