"""Tests for workers/filters/classifier.py: the shipped model, the filter, and the training code."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from workers.filters.base import Action, CommentInput, FilterContext
from workers.filters.classifier import (
    MODEL_PATH, ClassifierFilter, LinearClassifier, ScoredVerdict, despaced, features, is_chinese,
    load_classifier,
)
from workers.filters.normalise import normalise
from workers.policy import DEFAULT_POLICIES, Policy, SitePolicy
from workers.train import HeadSettings, train_head
from workers.filters.classifier import ZH_FEATURES
from service.reason_text import render

def english(reasons) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """Return a verdict's reasons as the English sentences the console shows."""
    return tuple(render(r) for r in reasons)



def check(text: str, flt: ClassifierFilter | None = None) -> ScoredVerdict:
    verdict = (flt or ClassifierFilter()).check(FilterContext(comment=CommentInput(text=text)))
    assert isinstance(verdict, ScoredVerdict)
    return verdict


def test_shipped_model_is_small_and_loads_once_per_process() -> None:
    assert MODEL_PATH.stat().st_size < 8_000_000
    assert load_classifier() is load_classifier()


def test_chinese_abuse_scores_far_above_a_friendly_comment() -> None:
    abusive = check("黑鬼都是垃圾，滚出中国").score_map()["abuse"]
    friendly = check("谢谢分享，这篇文章写得很清楚，学到了很多").score_map()["abuse"]
    assert abusive > 0.8
    assert friendly < 0.3


def test_english_abuse_and_spam_are_scored_by_the_english_models() -> None:
    insult = check("shut up you stupid bitch").score_map()
    spam = check("WINNER!! You have won a free prize. Call 09061701461 now to claim your cash reward").score_map()
    normal = check("Thanks for the write-up, see you at the meeting tomorrow").score_map()
    assert insult["abuse"] > 0.8
    assert spam["spam"] > 0.8
    assert normal["spam"] < 0.2 and normal["abuse"] < 0.5


def test_verdict_carries_both_scores_and_acts_on_the_thresholds() -> None:
    strict = ClassifierFilter(policy=SitePolicy({"abuse": Policy(reject_at=0.6, hold_at=0.3),
                                                 "spam": Policy(reject_at=0.99, hold_at=0.9)}))
    verdict = check("黑鬼都是垃圾，滚出中国", strict)
    assert verdict.action is Action.REJECT
    assert set(verdict.to_dict()["scores"]) == {"abuse", "spam"}
    assert english(verdict.reasons) and english(verdict.reasons)[0].startswith("abuse")
    assert check("谢谢分享，学到了很多", strict).action is Action.ALLOW


def test_filter_reads_thresholds_from_options() -> None:
    flt = ClassifierFilter.from_options({"abuse_reject_at": 0.99, "abuse_hold_at": 0.001})
    assert flt.policy.policy("abuse") == Policy(reject_at=0.99, hold_at=0.001)
    assert check("今天天气不错", flt).action is Action.HOLD


def test_language_routing_and_features() -> None:
    assert is_chinese("这是中文 with a few words")
    assert not is_chinese("plain English, 中")
    buckets = features("ab  c", ZH_FEATURES)  # whitespace collapses: 4 characters give 4+3+2+1 n-grams
    assert len(buckets) == 10
    assert list(buckets) == list(features("ab c", ZH_FEATURES))
    assert len(set(buckets.tolist())) == 10


def test_default_policy_is_the_one_chosen_when_the_shipped_model_was_trained() -> None:
    chosen = load_classifier().meta["report"]["policy"]
    for name, (reject_at, hold_at, *plain) in chosen.items():
        assert DEFAULT_POLICIES[name] == Policy(reject_at=reject_at, hold_at=hold_at,
                                                plain_hold_at=plain[0] if plain else None)


def test_tiny_training_run_learns_and_survives_a_save_and_load(tmp_path: Path) -> None:
    bad = ["你是垃圾", "滚开垃圾", "蠢货滚", "垃圾东西", "真蠢", "滚吧蠢货"] * 3
    good = ["谢谢你", "很好看", "写得好", "谢谢分享", "很有用", "好文章"] * 3
    texts = [normalise(t).text for t in bad + good]
    labels = [1] * len(bad) + [0] * len(good)
    head, cv = train_head("abuse_zh", texts, labels, HeadSettings(ZH_FEATURES, min_df=1), folds=2)
    assert cv.shape == (len(texts),)
    assert head.probability("垃圾蠢货") > head.probability("谢谢分享")
    model = LinearClassifier({"abuse_zh": head, "abuse_en": head, "spam": head})
    path = tmp_path / "model.npz"
    model.save(path)
    again = LinearClassifier.load(path)
    assert np.isclose(again.heads["abuse_zh"].probability("垃圾"), head.probability("垃圾"), atol=1e-4)


def test_spaced_out_text_is_scored_without_its_separators():
    from workers.evasion import separators
    from workers.filters.base import CommentInput, FilterContext
    from workers.filters.classifier import ClassifierFilter, spaced_out_share
    from workers.filters.normalise import normalise

    original = "主要是黑人里面的突嘴龅牙像猴子不好看，白人长这样也不好看"
    spaced = separators(original, seed=3)
    assert spaced_out_share(normalise(spaced)) >= 0.6
    assert spaced_out_share(normalise(original)) < 0.6
    flt = ClassifierFilter()
    plain = dict(flt.check(FilterContext(comment=CommentInput(text=original))).scores)["abuse"]
    evasive = dict(flt.check(FilterContext(comment=CommentInput(text=spaced))).scores)["abuse"]
    assert plain >= 0.5 and evasive >= 0.5


def test_each_text_is_judged_by_the_thresholds_of_its_language() -> None:
    chinese, english = check("今天天气不错"), check("K tell me anything about you.")
    assert (chinese.language, english.language) == ("zh", "en")
    # Thresholds that hold anything in one language and approve anything in the other.
    zh_strict = ClassifierFilter.from_options({"abuse_zh_hold_at": 0.0, "abuse_en_hold_at": 1.0,
                                               "abuse_en_reject_at": 1.0, "spam_hold_at": 1.0, "spam_reject_at": 1.0})
    assert check("今天天气不错", zh_strict).action is Action.HOLD
    assert check("K tell me anything about you.", zh_strict).action is Action.ALLOW
    en_strict = ClassifierFilter.from_options({"abuse_en_hold_at": 0.0, "abuse_zh_hold_at": 1.0,
                                               "abuse_zh_reject_at": 1.0, "spam_hold_at": 1.0, "spam_reject_at": 1.0})
    assert check("今天天气不错", en_strict).action is Action.ALLOW
    assert check("K tell me anything about you.", en_strict).action is Action.HOLD
    assert render(check("K tell me anything about you.", en_strict).reasons[0]).startswith("abuse")


def test_everyday_english_is_approved_by_the_default_thresholds() -> None:
    for text in ("K tell me anything about you.", "Ok lar... Joking wif u oni...",
                 "Thanks for the write-up, see you at the meeting tomorrow"):
        assert check(text).action is Action.ALLOW, text


TWEETS = ("@maria_k Great piece on the council vote, thanks for sharing http://t.co/x7Kq2LmP9a #localnews",
          "@CityLibrary the new opening hours start on Monday: http://t.co/Hs3nIFMueK")
SMS_SPAM = ("WINNER!! As a valued network customer you have been selected to receive a £900 prize reward! "
            "To claim call 09061701461. Claim code KL341. Valid 12 hours only.",
            "FREE entry in 2 a wkly comp to win FA Cup final tkts 21st May 2005. Text FA to 87121 to receive "
            "entry question(std txt rate)T&C's apply")


def test_tweet_style_comment_with_a_mention_and_a_link_is_not_rejected_as_spam() -> None:
    spam = DEFAULT_POLICIES["spam"]
    for text in TWEETS:
        verdict = check(text)
        assert verdict.score_map()["spam"] < spam.hold_at, text
        assert not any(reason.startswith("spam") for reason in english(verdict.reasons)), text
        assert verdict.action is not Action.REJECT, text


def test_typical_sms_spam_is_still_rejected_as_spam() -> None:
    for text in SMS_SPAM:
        verdict = check(text)
        assert verdict.action is Action.REJECT, text
        assert any(reason.startswith("spam") for reason in english(verdict.reasons)), text


def test_spaced_out_latin_text_keeps_its_words_apart() -> None:
    assert despaced(normalise("s*t*u*p*i*d b*i*t*c*h")) == "stupid bitch"
    assert despaced(normalise("s t u p i d")) == "stupid"  # spaces as separators: the words run together
    assert despaced(normalise("傻 * 逼")) == "傻逼"


def test_spaced_out_english_abuse_is_scored_as_the_words_it_spells() -> None:
    plain = check("you are a stupid bitch")
    spaced = check("y-o-u a-r-e a s-t-u-p-i-d b-i-t-c-h")
    assert plain.action is not Action.ALLOW
    assert spaced.action is plain.action
