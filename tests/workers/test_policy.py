"""Tests for workers/policy.py: thresholds and how they combine with the pipeline's verdicts."""
from __future__ import annotations

import pytest

from workers.filters.base import Action, Verdict
from workers.filters.classifier import ScoredVerdict
from workers.pipeline import Decision
from workers.policy import DEFAULT_POLICIES, Outcome, Policy, SitePolicy, decide


def scored(abuse: float, spam: float) -> ScoredVerdict:
    return ScoredVerdict("classifier", Action.ALLOW, max(abuse, spam), scores=(("abuse", abuse), ("spam", spam)))


def test_policy_maps_scores_to_actions_at_its_thresholds() -> None:
    policy = Policy(reject_at=0.9, hold_at=0.5)
    assert policy.action(0.95) is Action.REJECT
    assert policy.action(0.9) is Action.REJECT
    assert policy.action(0.6) is Action.HOLD
    assert policy.action(0.1) is Action.ALLOW


def test_policy_refuses_thresholds_in_the_wrong_order() -> None:
    with pytest.raises(ValueError):
        Policy(reject_at=0.3, hold_at=0.6)


def test_defaults_hold_before_they_reject() -> None:
    for policy in DEFAULT_POLICIES.values():
        assert 0 < policy.hold_at <= policy.reject_at <= 1


def test_site_thresholds_override_the_filter_action() -> None:
    decision = Decision(Action.REJECT, (scored(0.7, 0.0),))
    lenient = SitePolicy.from_options({"abuse_reject_at": 0.99, "abuse_hold_at": 0.8})
    assert decide(decision, lenient).outcome is Outcome.APPROVE
    strict = SitePolicy.from_options({"abuse_reject_at": 0.6, "abuse_hold_at": 0.3})
    result = decide(decision, strict)
    assert result.outcome is Outcome.REJECT
    assert result.reasons == ("classifier: abuse 0.70 >= 0.60",)


def test_rule_filter_hold_wins_over_a_clean_score() -> None:
    links = Verdict("links", Action.HOLD, 0.5, ("4 links (at most 2)",))
    result = decide(Decision(Action.HOLD, (links, scored(0.01, 0.02))))
    assert result.outcome is Outcome.HOLD
    assert result.to_dict() == {"action": "hold", "scores": {"abuse": 0.01, "spam": 0.02},
                                "reasons": ["links: 4 links (at most 2)"]}


def test_spam_score_alone_can_reject() -> None:
    assert decide(Decision(Action.ALLOW, (scored(0.0, 0.999),))).outcome is Outcome.REJECT


def test_flag_alone_approves() -> None:
    flagged = Verdict("links", Action.FLAG, 0.1, ("1 link(s)",))
    assert decide(Decision(Action.ALLOW, (flagged,))).outcome is Outcome.APPROVE
