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
    assert tuple(result.reason_texts()) == ("classifier: abuse 0.70 >= 0.60",)


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


def scored_in(language: str, abuse: float) -> ScoredVerdict:
    # Naming a group, so that the hold threshold (not the ordinary comment's) applies.
    return ScoredVerdict("classifier", Action.ALLOW, abuse, scores=(("abuse", abuse), ("spam", 0.0)),
                         language=language, named_groups=("group",))


def test_chinese_and_english_texts_of_the_same_score_are_judged_by_their_own_thresholds() -> None:
    zh, en = DEFAULT_POLICIES["abuse_zh"], DEFAULT_POLICIES["abuse_en"]
    assert zh != en
    # A score between the two languages' hold thresholds holds one language's text and not the other's.
    score = (zh.hold_at + en.hold_at) / 2
    outcomes = {language: decide(Decision(Action.ALLOW, (scored_in(language, score),))).outcome
                for language in ("zh", "en")}
    stricter = "zh" if zh.hold_at < en.hold_at else "en"
    assert outcomes[stricter] is Outcome.HOLD
    assert outcomes["en" if stricter == "zh" else "zh"] is Outcome.APPROVE


def test_site_sets_one_language_thresholds_without_touching_the_other() -> None:
    policy = SitePolicy.from_options({"abuse_en_hold_at": 0.6, "abuse_en_reject_at": 0.95,
                                      "abuse_zh_hold_at": 0.2, "abuse_zh_reject_at": 0.7})
    decision = Decision(Action.ALLOW, (scored_in("en", 0.65),))
    assert tuple(decide(decision, policy).reason_texts()) == ("classifier: abuse 0.65 >= 0.60", "classifier: names a group: group")
    assert decide(decision, policy).outcome is Outcome.HOLD
    assert decide(Decision(Action.ALLOW, (scored_in("zh", 0.65),)), policy).outcome is Outcome.HOLD
    assert decide(Decision(Action.ALLOW, (scored_in("zh", 0.75),)), policy).outcome is Outcome.REJECT
    assert decide(Decision(Action.ALLOW, (scored_in("en", 0.75),)), policy).outcome is Outcome.HOLD
    only_en = SitePolicy.from_options({"abuse_en_hold_at": 0.6, "abuse_en_reject_at": 0.95})
    assert only_en.policy("abuse", "zh") == DEFAULT_POLICIES["abuse_zh"]


def test_site_wide_abuse_thresholds_set_both_languages_and_a_language_option_wins() -> None:
    policy = SitePolicy.from_options({"abuse_reject_at": 0.9, "abuse_hold_at": 0.4, "abuse_en_hold_at": 0.7})
    assert policy.policy("abuse", "zh") == Policy(reject_at=0.9, hold_at=0.4)
    assert policy.policy("abuse", "en") == Policy(reject_at=0.9, hold_at=0.7)
    assert decide(Decision(Action.ALLOW, (scored_in("zh", 0.5),)), policy).outcome is Outcome.HOLD
    assert decide(Decision(Action.ALLOW, (scored_in("en", 0.5),)), policy).outcome is Outcome.APPROVE


def test_a_score_without_a_language_is_judged_by_the_chinese_thresholds() -> None:
    policy = SitePolicy.from_options({"abuse_zh_hold_at": 0.3, "abuse_en_hold_at": 0.45})
    assert decide(Decision(Action.ALLOW, (scored(0.5, 0.0),)), policy).outcome is Outcome.HOLD


def test_an_old_site_wide_hold_threshold_above_the_english_reject_threshold_still_builds() -> None:
    policy = SitePolicy.from_options({"abuse_hold_at": 0.7})
    assert policy.policy("abuse", "zh") == Policy(reject_at=DEFAULT_POLICIES["abuse_zh"].reject_at, hold_at=0.7)
    english = DEFAULT_POLICIES["abuse_en"].reject_at
    assert policy.policy("abuse", "en") == Policy(reject_at=english, hold_at=min(0.7, english))
    with pytest.raises(ValueError):
        SitePolicy.from_options({"abuse_en_hold_at": 0.9, "abuse_en_reject_at": 0.5})


def test_an_ordinary_comment_is_held_only_from_the_plain_threshold() -> None:
    policy = Policy(reject_at=0.9, hold_at=0.3, plain_hold_at=0.7)
    assert policy.action(0.5) is Action.HOLD
    assert policy.action(0.5, plain=True) is Action.ALLOW
    assert policy.action(0.75, plain=True) is Action.HOLD
    assert policy.action(0.95, plain=True) is Action.REJECT
    with pytest.raises(ValueError):
        Policy(reject_at=0.9, hold_at=0.5, plain_hold_at=0.4)


def test_naming_a_group_or_a_word_list_flag_makes_a_comment_more_than_ordinary() -> None:
    site = SitePolicy({"abuse": Policy(reject_at=0.9, hold_at=0.3, plain_hold_at=0.7),
                       "spam": Policy(reject_at=0.9, hold_at=0.9)})
    plain = ScoredVerdict("classifier", Action.ALLOW, 0.5, scores=(("abuse", 0.5), ("spam", 0.0)))
    assert decide(Decision(Action.ALLOW, (plain,)), site).outcome is Outcome.APPROVE
    aimed = ScoredVerdict("classifier", Action.ALLOW, 0.5, scores=(("abuse", 0.5), ("spam", 0.0)),
                          named_groups=("河南人",))
    result = decide(Decision(Action.ALLOW, (aimed,)), site)
    assert result.outcome is Outcome.HOLD
    assert tuple(result.reason_texts()) == ("classifier: abuse 0.50 >= 0.30", "classifier: names a group: 河南人")
    listed = Verdict("wordlist", Action.FLAG, 0.2, ("abuse word 垃圾 (flag)",))
    assert decide(Decision(Action.ALLOW, (listed, plain)), site).outcome is Outcome.HOLD


def test_site_options_keep_the_plain_hold_between_the_other_two() -> None:
    default = DEFAULT_POLICIES["abuse_zh"]
    assert default.plain_hold_at is not None and default.hold_at < default.plain_hold_at
    assert SitePolicy.from_options({}).policy("abuse", "zh") == default
    # A site's own hold threshold is meant for every comment.
    moved = SitePolicy.from_options({"abuse_zh_hold_at": 0.3}).policy("abuse", "zh")
    assert moved.hold_threshold(plain=True) == moved.hold_threshold() == 0.3
    own = SitePolicy.from_options({"abuse_zh_plain_hold_at": 0.99, "abuse_zh_reject_at": 0.95}).policy("abuse", "zh")
    assert own.plain_hold_at == 0.95
    low = SitePolicy.from_options({"abuse_plain_hold_at": 0.0}).policy("abuse", "zh")
    assert low.plain_hold_at == low.hold_at
