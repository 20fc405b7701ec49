"""A site's own correction of the shared classifier, learnt from its moderators' decisions.

The shipped model knows COLD, Davidson and the SMS collection, not a site's readers: a news portal's
moderators reject things (a local slur, a recurring scam) the model has never seen, and approve things it
distrusts. The adapter is a logistic regression over the base model's abuse log-odds and the presence of
the comment's character 1–3-grams (hashed into 2**16 buckets), fitted on the site's decisions. It is
small (a few hundred KB), loads without pickle, and costs one extra dot product per comment.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from workers.filters.classifier import FeatureSpec, LinearClassifier, features, language_of, sigmoid

ADAPTER_BITS = 16
_ADAPTER_MASK = (1 << ADAPTER_BITS) - 1
_SPEC = FeatureSpec("zh", 1, 3)
FORMAT_VERSION = 1


def adapter_buckets(text: str) -> np.ndarray:
    """Return the distinct hashed character 1–3-grams of a normalised text, in the adapter's buckets."""
    return np.unique(features(text, _SPEC) & _ADAPTER_MASK)


def base_logit(classifier: LinearClassifier, text: str) -> float:
    """Return the shared model's abuse log-odds for a normalised text (the head for its language)."""
    return classifier.heads[f"abuse_{language_of(text)}"].logit(text)


@dataclass(frozen=True)
class SiteAdapter:
    """Weights that turn the base log-odds and the text's n-grams into the site's probability of "bad"."""

    base_weight: float
    bias: float
    weights: np.ndarray  # 2**ADAPTER_BITS float32 entries

    def probability(self, base: float, text: str) -> float:
        """Return the site's probability that a normalised text is one its moderators would reject."""
        return sigmoid(self.base_weight * base + self.bias + float(self.weights[adapter_buckets(text)].sum()))

    def save(self, path: Path) -> None:
        """Write the adapter to a compressed `.npz` file (sparse: only non-zero weights)."""
        nonzero = np.flatnonzero(self.weights)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            np.savez_compressed(handle, format=np.array([FORMAT_VERSION, ADAPTER_BITS]),
                                scalars=np.array([self.base_weight, self.bias]),
                                index=nonzero.astype(np.uint32), values=self.weights[nonzero].astype(np.float32))

    @classmethod
    def load(cls, path: Path) -> SiteAdapter:
        """Read an adapter written by `save`."""
        with np.load(path, allow_pickle=False) as data:
            version, bits = (int(v) for v in data["format"])
            if (version, bits) != (FORMAT_VERSION, ADAPTER_BITS):
                raise ValueError(f"{path}: adapter format {version}/{bits}, expected {FORMAT_VERSION}/{ADAPTER_BITS}")
            weights = np.zeros(1 << ADAPTER_BITS, dtype=np.float32)
            weights[data["index"].astype(np.int64)] = data["values"]
            base_weight, bias = (float(v) for v in data["scalars"])
        return cls(base_weight, bias, weights)


@lru_cache(maxsize=32)
def load_adapter(path: str, mtime_ns: int) -> SiteAdapter:
    """Return the adapter at `path`, loaded once per file version (the mtime is part of the cache key)."""
    return SiteAdapter.load(Path(path))


def fit_adapter(texts: Sequence[str], labels: Sequence[int], classifier: LinearClassifier,
                strength: float = 1.0, weights: Sequence[float] | None = None) -> SiteAdapter:
    """Fit an adapter on normalised texts and labels (1 = the site rejects it), each example weighted."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    rows, cols = [], []
    for row, text in enumerate(texts):
        buckets = adapter_buckets(text)
        rows.extend([row] * len(buckets))
        cols.extend(buckets.tolist())
    grams = csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(len(texts), 1 << ADAPTER_BITS))
    base = csr_matrix(np.array([[base_logit(classifier, t)] for t in texts]))
    model = LogisticRegression(C=strength, solver="liblinear", max_iter=1000)
    model.fit(hstack([base, grams]).tocsr(), np.asarray(labels, dtype=int),
              sample_weight=None if weights is None else np.asarray(weights, dtype=np.float64))
    coef = model.coef_[0]
    return SiteAdapter(float(coef[0]), float(model.intercept_[0]), coef[1:].astype(np.float32))
