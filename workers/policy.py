"""The decision policy: per-site thresholds that turn the filters' verdicts into approve, hold or reject.

Default thresholds (service/site_settings.py, so the console can show them) were chosen by
`python -m workers.train` for a real stream, which is mostly fine comments (STREAM_TARGETS there): the
Chinese ones on cross-topic predictions (trained on two of COLD's topics, judged on the third) and on
everyday text no model saw; the English ones on cross-validated predictions over Davidson's tweets and
the SMS ham. Each abuse model has its own pair, since each carries its training set's habits, and the
Chinese one a third threshold: a comment that names no group of people and that no word list flagged
(an ordinary comment) is held only from `plain_hold_at`, where the model is sure. Sites override them
with flat options: `abuse_zh_hold_at` / `abuse_en_reject_at` for one language, `abuse_hold_at` /
`abuse_reject_at` for both, `abuse_zh_plain_hold_at` for ordinary comments. The figures are in the
README's "Measured quality" (`python -m workers.quality`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from service.reason_text import reason, render
from service.site_settings import DEFAULT_THRESHOLDS
from workers.filters.base import Action

if TYPE_CHECKING:
    from workers.pipeline import Decision


class Outcome(str, Enum):
    """What happens to a comment: published, queued for a moderator, or refused."""

    APPROVE = "approve"
    HOLD = "hold"
    REJECT = "reject"


@dataclass(frozen=True)
class Policy:
    """Thresholds for one probability: at or above `reject_at` reject, at or above `hold_at` hold.

    `plain_hold_at` (at least `hold_at`) is the hold threshold for an ordinary comment: one that names no
    group of people and that no word list flagged (workers.filters.targets). The model reads negative
    sentiment as abuse, so a complaint scores like an insult; holding it only when the model is sure, and
    letting reports catch the rest, keeps everyday comments out of the queue. None means `hold_at`.
    """

    reject_at: float
    hold_at: float
    plain_hold_at: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.hold_at <= self.reject_at <= 1.0001:
            raise ValueError(f"need 0 <= hold_at <= reject_at <= 1, got hold_at={self.hold_at}, "
                             f"reject_at={self.reject_at}")
        if self.plain_hold_at is not None and not self.hold_at <= self.plain_hold_at <= self.reject_at:
            raise ValueError(f"need hold_at <= plain_hold_at <= reject_at, got hold_at={self.hold_at}, "
                             f"plain_hold_at={self.plain_hold_at}, reject_at={self.reject_at}")

    def hold_threshold(self, plain: bool = False) -> float:
        """Return the hold threshold for an ordinary comment (`plain`) or for one that names a group."""
        return self.plain_hold_at if plain and self.plain_hold_at is not None else self.hold_at

    def action(self, score: float, plain: bool = False) -> Action:
        """Return the action this policy asks for at `score`, for an ordinary comment if `plain`."""
        if score >= self.reject_at:
            return Action.REJECT
        if score >= self.hold_threshold(plain):
            return Action.HOLD
        return Action.ALLOW


# Chosen by workers.train; see the module docstring. Keys are score names, or a
# score name and a language ("abuse_zh") where each language's model has thresholds of its own.
DEFAULT_POLICIES: dict[str, Policy] = {
    key: Policy(reject_at=reject_at, hold_at=hold_at, plain_hold_at=plain_hold_at)
    for key, (hold_at, plain_hold_at, reject_at) in DEFAULT_THRESHOLDS.items()
}
LANGUAGES = ("zh", "en")
# A score that comes without a language (a classifier that does not say) is judged as Chinese text: the
# primary market, and the thresholds every site had before the languages were told apart.
DEFAULT_LANGUAGE = "zh"


def score_name(key: str) -> str:
    """Return the score a policy key judges: "abuse" for "abuse_en", "spam" for "spam"."""
    name, _, language = key.rpartition("_")
    return name if name and language in LANGUAGES else key


@dataclass(frozen=True)
class SitePolicy:
    """One site's thresholds, by policy key ("abuse_zh", "abuse_en", "spam"); keys without an entry use the defaults."""

    policies: dict[str, Policy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> SitePolicy:
        """Build the policy from flat options such as `abuse_reject_at`, `abuse_en_hold_at` and `spam_hold_at`.

        A language's own option (`abuse_en_reject_at`) wins over the score's (`abuse_reject_at`), which
        sets both languages, as it did before they had thresholds of their own.
        """
        policies = {}
        for key, default in DEFAULT_POLICIES.items():
            name = score_name(key)
            reject_at = float(options.get(f"{key}_reject_at", options.get(f"{name}_reject_at", default.reject_at)))
            hold_at = float(options.get(f"{key}_hold_at", options.get(f"{name}_hold_at", default.hold_at)))
            if f"{key}_hold_at" not in options and key != name:
                # A site-wide hold threshold set when both languages shared one pair may pass a language's
                # own reject threshold (English rejects from 0.5); it then holds nothing in that language.
                hold_at = min(hold_at, reject_at)
            plain = options.get(f"{key}_plain_hold_at", options.get(f"{name}_plain_hold_at"))
            if plain is None and f"{key}_hold_at" not in options and f"{name}_hold_at" not in options:
                # A site that set a hold threshold of its own meant it for every comment; the default's
                # ordinary-comment hold goes with the default hold.
                plain = default.plain_hold_at
            # Kept between the two others, so a site that moves one threshold never breaks its policy.
            plain = None if plain is None else min(reject_at, max(hold_at, float(plain)))
            policies[key] = Policy(reject_at=reject_at, hold_at=hold_at, plain_hold_at=plain)
        return cls(policies)

    def policy(self, name: str, language: str = "") -> Policy:
        """Return the thresholds for one score name, for text in `language` where the score has per-language ones."""
        keys = (f"{name}_{language or DEFAULT_LANGUAGE}", name)
        # The site's own entries first, so that a site built with one "abuse" policy has it in every language.
        for table in (self.policies, DEFAULT_POLICIES):
            for key in keys:
                if key in table:
                    return table[key]
        raise KeyError(name)

    def judges(self, name: str) -> bool:
        """Tell whether this policy has thresholds for a score name."""
        return any(score_name(key) == name for key in (*self.policies, *DEFAULT_POLICIES))

    def judge(self, scores: dict[str, float], language: str = "",
              plain: bool = False) -> tuple[Action, list[dict[str, Any]]]:
        """Return the strongest action the scores of a text in `language` ask for, and a reason for each threshold passed.

        `plain` says the comment is ordinary in every other way (names no group, flagged by no word list).
        """
        strongest = Action.ALLOW
        reasons = []
        for name, score in sorted(scores.items()):
            if not self.judges(name):
                continue
            policy = self.policy(name, language)
            action = policy.action(score, plain)
            if action is Action.REJECT:
                reasons.append(reason("score.passed", score=name, value=round(score, 4), threshold=policy.reject_at,
                                      bound="reject"))
            elif action is Action.HOLD:
                reasons.append(reason("score.passed", score=name, value=round(score, 4),
                                      threshold=policy.hold_threshold(plain), bound="hold"))
            if action.rank > strongest.rank:
                strongest = action
        return strongest, reasons


@dataclass(frozen=True)
class PolicyDecision:
    """A comment's outcome under a site's policy, with the scores and reasons behind it.

    Each reason is a code with parameters and the filter that gave it, `{"filter": "classifier", "code":
    "score.passed", ...}` (service/reason_text.py).
    """

    outcome: Outcome
    scores: dict[str, float]
    reasons: tuple[dict[str, Any], ...]

    def reason_texts(self, language: str = "en") -> list[str]:
        """Return the reasons as sentences in `language`, each after its filter's name ("links: 4 links ...")."""
        return [f"{r.get('filter', '')}: {render({k: v for k, v in r.items() if k != 'filter'}, language)}"
                for r in self.reasons]

    def to_dict(self) -> dict[str, Any]:
        """Return the outcome as the JSON object the scoring command prints, its reasons in English."""
        return {
            "action": self.outcome.value,
            "scores": {k: round(v, 4) for k, v in sorted(self.scores.items())},
            "reasons": self.reason_texts(),
        }


_OUTCOME = {Action.REJECT: Outcome.REJECT, Action.HOLD: Outcome.HOLD}

# The spam probability reported for text outside the spam model's domain, from the rules' findings:
# contact details with advertising (reject), contact details alone (hold), too many links, one link.
_RULE_SPAM = {
    ("contact", Action.REJECT): 0.97, ("contact", Action.HOLD): 0.8, ("links", Action.HOLD): 0.6,
    ("contact", Action.FLAG): 0.2, ("links", Action.FLAG): 0.1,
}


def decide(decision: Decision, policy: SitePolicy | None = None) -> PolicyDecision:
    """Combine the pipeline's verdicts with a site's policy; the strongest action wins."""
    policy = policy or SitePolicy()
    strongest = Action.ALLOW
    scores: dict[str, float] = {}
    reasons: list[dict[str, Any]] = []
    rule_spam = max((_RULE_SPAM.get((v.filter, v.action), 0.0) for v in decision.verdicts), default=0.0)
    # A word-list match, even one that only flags, makes a comment more than ordinary.
    listed = any(v.filter == "wordlist" and v.action.rank >= Action.FLAG.rank for v in decision.verdicts)
    for verdict in decision.verdicts:
        named = dict(getattr(verdict, "scores", ()))
        if named:
            # Scored verdicts are judged again here, so a site's thresholds override the filter's defaults.
            unjudged = getattr(verdict, "unjudged", ())
            judged = {k: v for k, v in named.items() if k not in unjudged}
            if "spam" in unjudged:
                # Out of the model's domain (Chinese text): the spam score is what the rules found.
                named["spam"] = rule_spam
            scores.update(named)
            plain = not listed and not getattr(verdict, "named_groups", ())
            action, why = policy.judge(judged, getattr(verdict, "language", ""), plain)
            if why and getattr(verdict, "named_groups", ()):
                why.append(reason("classifier.names_group", groups=list(verdict.named_groups)))
            reasons.extend(_from(verdict.filter, r) for r in why)
        else:
            action = verdict.action
            if action.rank >= Action.HOLD.rank:
                reasons.extend(_from(verdict.filter, r) for r in verdict.reasons)
        if action.rank > strongest.rank:
            strongest = action
    return PolicyDecision(_OUTCOME.get(strongest, Outcome.APPROVE), scores, tuple(reasons))


def _from(filter_name: str, found: Any) -> dict[str, Any]:
    # A reason with the filter that gave it; an old-style sentence becomes {"text": ...}.
    if isinstance(found, dict):
        return {"filter": filter_name, **found}
    return {"filter": filter_name, "code": "text", "text": str(found)}
