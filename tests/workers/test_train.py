"""Tests for workers/train.py: the spam head's training set, on a tiny corpus written here."""
from __future__ import annotations

import numpy as np

from workers.datasets import Labelled
from workers.filters.normalise import normalise
from workers.train import train_spam

SPAM = ["WIN a free prize now, visit http://win.example.com/claim", "Claim your cash reward at http://prize.example",
        "FREE ringtones! Text WIN to 80086 or visit http://tones.example", "You won a holiday, call 09061701461 now"]
HAM = ["see you at lunch", "on my way home", "ok thanks, talk later", "can you call me tonight"]
TWEETS = ["@bob great game last night http://t.co/abc123", "@amy this article is worth a read http://t.co/xyz789",
          "@sam what a match #football http://t.co/k9k9k9", "lol @jo you are a clown http://t.co/q1q1q1"]
CHINESE = ["谢谢分享", "今天天气不错", "写得很好", "支持一下", "学到了"]


def test_spam_head_learns_tweets_of_every_class_as_ham() -> None:
    sms = Labelled(tuple(SPAM * 3 + HAM * 3), (1,) * 12 + (0,) * 12, "spam")
    # Davidson's labels are abuse labels: an offensive tweet is still not spam.
    tweets = Labelled(tuple(TWEETS * 3), (0, 0, 0, 1) * 3, "abuse")
    cold_train = Labelled(tuple(CHINESE), (0,) * len(CHINESE), "abuse")
    without = Labelled((), (), "abuse")
    head, cv, (sms_rows, tweet_rows) = train_spam(sms, tweets, cold_train, folds=2)
    alone, _, (_, no_rows) = train_spam(sms, without, cold_train, folds=2)
    assert cv.shape == (len(sms) + len(tweets) + len(CHINESE),)
    assert list(sms_rows) == list(range(24)) and list(tweet_rows) == list(range(24, 36)) and not len(no_rows)
    tweet = normalise("@kim lovely photos from the parade http://t.co/abc999").text
    assert head.probability(tweet) < alone.probability(tweet)
    assert head.probability(tweet) < 0.5
    assert head.probability(normalise("WIN a free prize, visit http://win.example.com").text) > 0.5
    assert np.all((cv >= 0) & (cv <= 1))
