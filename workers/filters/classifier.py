"""The trained classifier: abuse and spam probabilities from linear n-gram models, no network needed.

The models are trained by `python -m workers.train` with scikit-learn, then compiled to weight vectors
over hashed character n-grams in one `.npz` file (workers/models/classifier.npz), so scoring a comment
needs only numpy: a few array operations per comment, no scikit-learn and no vocabulary in memory.
The file is loaded once per process and kept (`load_classifier`).
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from service.reason_text import reason
from workers.filters import register
from workers.filters.base import Action, FilterContext, Verdict
from workers.filters.normalise import NormalisedText
from workers.filters.targets import named_groups
from workers.policy import SitePolicy

MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "classifier.npz"
FORMAT_VERSION = 2

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[a-z]+", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)\S+")
_MENTION = re.compile(r"@\w+")


@dataclass(frozen=True)
class FeatureSpec:
    """Which features a model reads: character n-grams whose lengths lie in [low, high]."""

    kind: str  # "zh": the text as it is; "en": links and @mentions replaced by placeholders first
    low: int
    high: int

    def to_dict(self) -> dict[str, Any]:
        """Return the spec as plain JSON-ready data."""
        return {"kind": self.kind, "low": self.low, "high": self.high}


ZH_FEATURES = FeatureSpec("zh", 1, 4)
EN_FEATURES = FeatureSpec("en", 1, 5)
BUCKET_BITS = 20  # 2**20 hashed features per model: collisions are rare at a few hundred thousand n-grams
_MASK = np.uint64((1 << BUCKET_BITS) - 1)
_PRIME = np.uint64(0x100000001B3)
_MIX = np.uint64(0xFF51AFD7ED558CCD)
_EMPTY = np.zeros(0, dtype=np.intp)


def _prepare(text: str, spec: FeatureSpec) -> str:
    if spec.kind == "en":
        # Mentions and links carry no meaning of their own in tweets and SMS; their presence does.
        text = _MENTION.sub(" @user ", _URL.sub(" httpurl ", text))
    return " ".join(text.split())


def features(text: str, spec: FeatureSpec) -> np.ndarray:
    """Return the hashed character n-grams of an already normalised text, one bucket per n-gram."""
    text = _prepare(text, spec)
    if not text:
        return _EMPTY
    # Hashing in numpy instead of looking n-grams up in a dict: a dict of 300k strings costs ~100 MB and
    # a cache miss per n-gram, which alone broke the 1 ms budget for a 200-character comment.
    chars = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    size = len(chars)
    rolling = np.zeros(size, dtype=np.uint64)
    parts = []
    for n in range(1, min(spec.high, size) + 1):
        rolling = rolling[:size - n + 1] * _PRIME + chars[n - 1:]
        if n >= spec.low:
            parts.append(rolling + np.uint64(n))
    hashed = np.concatenate(parts) if len(parts) > 1 else parts[0].copy()
    hashed ^= hashed >> np.uint64(31)
    hashed *= _MIX
    hashed ^= hashed >> np.uint64(29)
    return (hashed & _MASK).astype(np.intp)


# Links and domains, left out when telling the language: their Latin parts are not English words.
_LINKISH = re.compile(r"(?:https?://|www\.)\S+|[\w.-]+\.(?:com|cn|net|org|gov|edu|io|html?)\b\S*", re.ASCII)


def is_chinese(text: str) -> bool:
    """Tell whether a text is mostly Chinese, so the Chinese model should judge it."""
    cjk = len(_CJK.findall(text))
    # A Chinese character carries about as much as an English word, so compare characters with words.
    return cjk >= 2 and cjk >= len(_LATIN_WORD.findall(text))


def language_of(text: str) -> str:
    """Return "zh" or "en": the language whose abuse model, and thresholds, judge a normalised text."""
    return "zh" if is_chinese(text) else "en"


def sigmoid(z: float) -> float:
    """Return the probability of log-odds `z`."""
    # Written this way so that large |z| never overflows math.exp.
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


@dataclass(frozen=True)
class LinearHead:
    """One compiled binary model: idf and weights over hashed n-grams that give a calibrated probability.

    The logit is `w_tfidf · x + w_bin · b + bias`, where x is the sublinear, L2-normalised tf-idf vector
    of the text's n-grams (logistic regression) and b their presence (NB-SVM); the calibration (Platt
    scaling fitted on cross-validated predictions) is folded into the weights. Buckets whose idf is 0
    were too rare in training and are ignored, as a vocabulary would ignore unknown n-grams.
    """

    name: str
    spec: FeatureSpec
    idf: np.ndarray  # dense, 2**BUCKET_BITS entries
    w_tfidf: np.ndarray
    w_bin: np.ndarray
    bias: float

    def logit(self, text: str) -> float:
        """Return the calibrated log-odds that a normalised text is positive."""
        return self.logit_buckets(features(text, self.spec))

    def logit_buckets(self, buckets: np.ndarray) -> float:
        """Return the calibrated log-odds for a text's hashed n-grams, as given by `features`."""
        if not buckets.size:
            return self.bias
        ix, counts = np.unique(buckets, return_counts=True)
        idf = self.idf[ix]
        known = idf > 0
        if not known.any():
            return self.bias
        ix, idf = ix[known], idf[known]
        tfidf = (1.0 + np.log(counts[known])) * idf
        norm = math.sqrt(float(tfidf @ tfidf))
        return float(self.w_tfidf[ix] @ tfidf) / norm + float(self.w_bin[ix].sum()) + self.bias

    def probability(self, text: str) -> float:
        """Return the calibrated probability that a normalised text is positive."""
        return sigmoid(self.logit(text))


class Classifier(Protocol):
    """Anything that turns a normalised comment text into named probabilities."""

    def scores(self, text: str) -> dict[str, float]:
        """Return probabilities by name ("abuse", "spam") for a normalised text."""
        ...


class LinearClassifier:
    """The shipped classifier: a Chinese and an English abuse model, and a spam model."""

    def __init__(self, heads: dict[str, LinearHead], meta: dict[str, Any] | None = None) -> None:
        self.heads = heads
        self.meta = meta or {}

    def scores(self, text: str) -> dict[str, float]:
        """Return the abuse and spam probabilities of a normalised text."""
        abuse = self.heads[f"abuse_{language_of(text)}"]
        return {"abuse": abuse.probability(text), "spam": self.heads["spam"].probability(text)}

    def save(self, path: Path) -> None:
        """Write the model to one compressed `.npz` file that loads without pickle."""
        arrays: dict[str, np.ndarray] = {}
        heads_meta = {}
        for name, head in self.heads.items():
            known = np.flatnonzero(head.idf > 0)
            # Sorted bucket numbers stored as gaps compress to about a byte each; float16 weights change
            # probabilities by about 1e-3, far below what the thresholds can resolve.
            arrays[f"{name}.gaps"] = np.diff(known, prepend=0).astype(np.uint32)
            arrays[f"{name}.idf"] = head.idf[known].astype(np.float16)
            arrays[f"{name}.w_tfidf"] = head.w_tfidf[known].astype(np.float16)
            arrays[f"{name}.w_bin"] = head.w_bin[known].astype(np.float16)
            heads_meta[name] = {"spec": head.spec.to_dict(), "bias": head.bias}
        meta = {"format": FORMAT_VERSION, "bucket_bits": BUCKET_BITS, "heads": heads_meta,
                **{k: v for k, v in self.meta.items() if k not in ("heads", "format", "bucket_bits")}}
        arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), np.uint8)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    @classmethod
    def load(cls, path: Path) -> LinearClassifier:
        """Read a model written by `save`."""
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(data["meta"].tobytes().decode("utf-8"))
            if meta.get("format") != FORMAT_VERSION or meta.get("bucket_bits") != BUCKET_BITS:
                raise ValueError(f"{path}: model format {meta.get('format')}/{meta.get('bucket_bits')} bits, "
                                 f"expected {FORMAT_VERSION}/{BUCKET_BITS}")
            heads = {}
            for name, info in meta["heads"].items():
                known = np.cumsum(data[f"{name}.gaps"].astype(np.int64))
                dense = []
                for part in ("idf", "w_tfidf", "w_bin"):
                    values = np.zeros(1 << BUCKET_BITS, dtype=np.float32)
                    values[known] = data[f"{name}.{part}"]
                    dense.append(values)
                heads[name] = LinearHead(name, FeatureSpec(**info["spec"]), *dense, bias=float(info["bias"]))
        return cls(heads, meta)


@lru_cache(maxsize=4)
def load_classifier(path: str | None = None) -> LinearClassifier:
    """Return the classifier stored at `path` (the shipped one by default), loading it once per process."""
    return LinearClassifier.load(Path(path) if path else MODEL_PATH)


@dataclass(frozen=True)
class ScoredVerdict(Verdict):
    """A verdict that also carries the classifier's named probabilities."""

    scores: tuple[tuple[str, float], ...] = ()
    unjudged: tuple[str, ...] = ()  # scores outside the model's training domain, not acted on
    language: str = ""  # "zh" or "en": whose model gave the abuse score, and whose thresholds judge it
    named_groups: tuple[str, ...] = ()  # words naming a group of people (targets.py): the lower hold applies

    def score_map(self) -> dict[str, float]:
        """Return the named probabilities as a dict."""
        return dict(self.scores)

    def to_dict(self) -> dict[str, Any]:
        """Return the verdict, with its named probabilities, as plain JSON-ready data."""
        return {**super().to_dict(), "scores": {k: round(v, 4) for k, v in self.scores}}


def spaced_out_share(norm: NormalisedText) -> float:
    """Return the share of characters that stand alone between separators, as in 黑*人 or s b."""
    length = len(norm.compact)
    if length < 4 or length == len(norm.text):
        return 0.0  # too short, or nothing was removed between characters
    # Vectorised: a Python loop over the characters cost a tenth of the pipeline's budget.
    offsets = np.fromiter(norm.compact_offsets, dtype=np.int64, count=length)
    gap = np.diff(offsets) > 1  # gap[i]: a separator was removed between characters i and i + 1
    before = np.concatenate(([True], gap))
    after = np.concatenate((gap, [True]))
    return float(np.count_nonzero(before & after)) / length


_NOT_SPACE_SEPARATORS = re.compile(r"[^\w\s]+|_+")


def despaced(norm: NormalisedText) -> str:
    """Return spaced-out text without its separators: Chinese wholly joined (it has no spaces between
    words), Latin text joined within words but kept apart at whitespace when the separators were not
    whitespace themselves ("s*t*u*p*i*d b*i*t*c*h" -> "stupid bitch"), since the English model learnt
    words with spaces between them."""
    if is_chinese(norm.compact):
        return norm.compact
    words = _NOT_SPACE_SEPARATORS.sub("", norm.text).split()
    if sum(len(w) == 1 for w in words) > len(words) / 2:
        return norm.compact  # the separators were spaces: word boundaries are lost, join it all
    return " ".join(words)


@register
class ClassifierFilter:
    """Hold or reject comments whose abuse or spam probability passes the site's thresholds."""

    name = "classifier"

    def __init__(self, classifier: Classifier | None = None, policy: SitePolicy | None = None,
                 model_path: str | None = None, adapter_path: str | None = None) -> None:
        self.model_path = model_path
        self.adapter_path = adapter_path
        self._classifier = classifier
        self.policy = policy or SitePolicy()

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> ClassifierFilter:
        """Build the filter from the pipeline options (`classifier_model`, `classifier_adapter`, thresholds)."""
        return cls(policy=SitePolicy.from_options(options), model_path=options.get("classifier_model") or None,
                   adapter_path=options.get("classifier_adapter") or None)

    def _scores(self, text: str) -> dict[str, float]:
        classifier = self.classifier
        if self.adapter_path and isinstance(classifier, LinearClassifier):
            import os

            from workers.site_model import base_logit, load_adapter

            try:
                adapter = load_adapter(self.adapter_path, os.stat(self.adapter_path).st_mtime_ns)
            except (OSError, ValueError):
                return classifier.scores(text)  # a missing or damaged adapter leaves the shared model in charge
            # The site's adapter, learnt from its moderators' decisions, gives the abuse probability.
            return {"abuse": adapter.probability(base_logit(classifier, text), text),
                    "spam": classifier.heads["spam"].probability(text)}
        return classifier.scores(text)

    @property
    def classifier(self) -> Classifier:
        """Return the classifier, loading the model file on first use rather than at start-up."""
        if self._classifier is None:
            self._classifier = load_classifier(self.model_path)
        return self._classifier

    def check(self, ctx: FilterContext) -> Verdict:
        """Score the normalised text and act on the policy's thresholds."""
        norm = ctx.normalised("text")
        # Spaced-out text (傻*逼, 黑 人, s*t*u*p*i*d) is scored without its separators: the model learnt
        # words whole.
        text = despaced(norm) if spaced_out_share(norm) >= 0.6 else norm.text
        scores = self._scores(text)
        # The same routing that picked the abuse model picks its thresholds: each model's probabilities
        # carry its own training set's habits (Davidson's tweets are 83% offensive, COLD is balanced).
        language = language_of(text)
        # The spam model learnt English SMS only: on Chinese text it reacts to links and numbers, not to
        # spam, so there it is reported but not acted on; the contact and link rules judge Chinese spam.
        unjudged = ("spam",) if is_chinese(_LINKISH.sub(" ", text)) else ()
        groups = named_groups(norm)
        # The filter alone cannot see the word list's verdict; workers.policy.decide judges again with it.
        action, reasons = self.policy.judge({k: v for k, v in scores.items() if k not in unjudged}, language,
                                            plain=not groups)
        names = tuple(dict.fromkeys(span.label.removeprefix("group:") for span in groups))
        if names and action.rank >= Action.HOLD.rank:
            reasons.append(reason("classifier.names_group", groups=list(names)))
        return ScoredVerdict(
            filter=self.name,
            action=action,
            score=max(v for k, v in scores.items() if k not in unjudged),
            reasons=tuple(reasons),
            spans=groups if action.rank >= Action.HOLD.rank else (),
            scores=tuple(sorted(scores.items())),
            unjudged=unjudged,
            language=language,
            named_groups=names,
        )


__all__ = [
    "Action", "Classifier", "ClassifierFilter", "FeatureSpec", "LinearClassifier", "LinearHead", "MODEL_PATH",
    "ScoredVerdict", "features", "is_chinese", "language_of", "load_classifier",
]
