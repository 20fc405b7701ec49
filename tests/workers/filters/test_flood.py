"""Tests of workers/filters/flood.py against a real Redis."""
from __future__ import annotations

from redis import Redis
from redis.connection import Connection

from workers.filters.base import Action, CommentInput, FilterContext, Verdict
from workers.filters.flood import FloodFilter, minhash, similarity
from workers.filters.normalise import normalise
from service.reason_text import render

AD = "这个产品真的太好用了，强烈推荐大家购买，限时优惠只有今天，快来看看吧"

def english(reasons) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """Return a verdict's reasons as the English sentences the console shows."""
    return tuple(render(r) for r in reasons)



def check(redis: Redis | None, text: str, comment_id: int, **fields: object) -> Verdict:
    """Run the flood filter over one comment with the given Redis."""
    options = fields.pop("options", {})
    comment = CommentInput(text=text, comment_id=comment_id, site_id=1, **fields)  # type: ignore[arg-type]
    return FloodFilter.from_options(options).check(FilterContext(comment, redis=redis))  # type: ignore[arg-type]


def test_without_redis_the_history_checks_are_skipped_and_said_so() -> None:
    verdict = check(None, AD, 1)
    assert verdict.action is Action.ALLOW
    assert english(verdict.reasons) == ("duplicate and rate checks skipped: no Redis",)


def test_near_copies_across_threads_are_held_then_rejected(redis_client: Redis) -> None:
    variants = [AD, AD + "！！", "【推荐】" + AD, AD.replace("真的", "真是")]
    actions = [check(redis_client, text, i, thread=f"t{i}").action for i, text in enumerate(variants)]
    assert actions == [Action.ALLOW, Action.FLAG, Action.HOLD, Action.HOLD]
    verdict = check(redis_client, AD, 99, thread="t99", options={"flood_duplicates_reject": 5})
    assert verdict.action is Action.REJECT
    assert "same text posted 5 times in 5 threads within 60 minutes" in english(verdict.reasons)
    assert [(s.start, s.end, s.label) for s in verdict.spans] == [(0, len(AD), "duplicate")]


def test_different_texts_do_not_count_as_copies(redis_client: Redis) -> None:
    texts = ["今天天气很好，我们去公园散步吧，顺便买点水果回来", "这篇文章分析得很透彻，作者对数据的解读很到位",
             "我不同意楼上的看法，政策的效果还要再观察几年", AD]
    assert {check(redis_client, t, i).action for i, t in enumerate(texts)} == {Action.ALLOW}


def test_a_retried_job_does_not_count_its_comment_twice(redis_client: Redis) -> None:
    for _ in range(5):
        verdict = check(redis_client, AD, 7, author_key="alice", ip_hash="h1",
                        options={"flood_author_limit": 1})
        assert verdict.action is Action.ALLOW
        assert english(verdict.reasons) == ()


def test_short_texts_repeat_innocently(redis_client: Redis) -> None:
    assert {check(redis_client, "顶", i).action for i in range(5)} == {Action.ALLOW}


def test_too_many_comments_from_one_author_are_held(redis_client: Redis) -> None:
    options = {"flood_author_limit": 3}
    texts = [f"第{n}条评论，内容各不相同，编号{n * 7919}" for n in range(5)]
    actions = [check(redis_client, t, n, author_key="bob", options=options).action for n, t in enumerate(texts)]
    assert actions[:3] == [Action.ALLOW] * 3
    assert actions[3:] == [Action.HOLD] * 2
    verdict = check(redis_client, "换个作者说一句完全不同的话", 50, author_key="carol", options=options)
    assert verdict.action is Action.ALLOW


def test_too_many_comments_from_one_address_are_held(redis_client: Redis) -> None:
    options = {"flood_ip_limit": 2}
    for n in range(2):
        check(redis_client, f"说一句不同的话，编号{n}号，谢谢", n, ip_hash="abc", author_key=f"u{n}", options=options)
    verdict = check(redis_client, "又一句不同的话，换了名字", 3, ip_hash="abc", author_key="u3", options=options)
    assert verdict.action is Action.HOLD
    assert "3 comments from this address within 10 minutes (at most 2)" in english(verdict.reasons)


def test_counts_are_kept_per_site(redis_client: Redis) -> None:
    for n in range(3):
        check(redis_client, AD, n)
    other_site = CommentInput(text=AD, comment_id=100, site_id=2)
    assert FloodFilter().check(FilterContext(other_site, redis=redis_client)).action is Action.ALLOW


def test_keys_expire_after_the_window(redis_client: Redis) -> None:
    check(redis_client, AD, 1, author_key="dave", options={"flood_window": 120, "flood_rate_window": 60})
    ttls = [redis_client.ttl(key) for key in redis_client.keys("moderato:flood:*")]
    assert ttls and all(0 < ttl <= 120 for ttl in ttls)


def test_keyboard_mash_is_held() -> None:
    verdict = check(None, "asdkjfh qwrtzpl sdfghjk xcvbnm", 1)
    assert verdict.action is Action.HOLD
    assert any("gibberish" in r for r in english(verdict.reasons))


def test_english_prose_is_not_gibberish() -> None:
    assert check(None, "This article explains the problem rather clearly, thanks", 1).action is Action.ALLOW


def test_one_word_over_and_over_is_held() -> None:
    verdict = check(None, "顶 顶 顶 顶 顶 顶 顶 好", 1)
    assert verdict.action is Action.HOLD
    assert any("顶" in r for r in english(verdict.reasons))


def test_minhash_keeps_copies_close_and_different_texts_far() -> None:
    base = minhash(normalise(AD).compact)
    assert similarity(base, minhash(normalise(AD + "!!").compact)) == 1.0
    assert similarity(base, minhash(normalise(AD.replace("真的", "真是")).compact)) >= 0.6
    assert similarity(base, minhash(normalise("今天天气很好，我们去公园散步吧，顺便买点水果回来").compact)) < 0.2


def test_redis_outage_fails_open_with_a_reason() -> None:
    import socket

    from redis.backoff import NoBackoff
    from redis.retry import Retry

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = Redis(port=port, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    verdict = check(down, AD, 1, author_key="erin")
    assert verdict.action is Action.ALLOW
    assert english(verdict.reasons) == ("duplicate and rate checks skipped: ConnectionError",)
    down.close()


def test_a_long_ordinary_english_text_is_not_taken_for_repetition() -> None:
    # About thirty distinct characters in 400: under a tenth, but prose, not 顶顶顶 (held-out SMS ham).
    text = ("I can't keep going through this. It was never my intention to run you out, but if you choose to do "
            "that rather than keep the room clean so I don't have to say no to visitors, then maybe that's the "
            "best choice. Yes, I wanted you to be embarrassed, so maybe you'd feel for once how I feel when I "
            "have a friend who wants to drop by and I have to say no. I've tried everything.")
    assert check(None, text, 1).action is Action.ALLOW
    assert check(None, "顶" * 25, 2).action is Action.HOLD


def _contexts(redis: Redis | None, texts: list[str], first_id: int, **fields: object) -> list[FilterContext]:
    return [FilterContext(CommentInput(text=text, comment_id=first_id + i, site_id=1, thread=f"t{i}",  # type: ignore[arg-type]
                                       **fields), redis=redis) for i, text in enumerate(texts)]


def test_prepared_calls_give_the_verdicts_of_calls_one_by_one(redis_client: Redis, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    texts = [AD, AD + "！！", "今天天气很好，我们去公园散步吧，顺便买点水果回来", "【推荐】" + AD, AD.replace("真的", "真是"),
             "顶", AD]
    flood = FloodFilter.from_options({"flood_author_limit": 4})
    one_by_one = [flood.check(ctx) for ctx in _contexts(redis_client, texts, 100, author_key="bob", ip_hash="h2")]
    redis_client.flushdb()
    batch = _contexts(redis_client, texts, 100, author_key="bob", ip_hash="h2")
    evalsha_before = redis_client.info("commandstats")["cmdstat_evalsha"]["calls"]
    sent = []
    send = Connection.send_packed_command
    monkeypatch.setattr(Connection, "send_packed_command", lambda self, *a, **k: sent.append(1) or send(self, *a, **k))
    flood.prepare(batch)
    monkeypatch.undo()
    assert redis_client.info("commandstats")["cmdstat_evalsha"]["calls"] - evalsha_before == len(texts)
    assert 1 <= len(sent) <= 2  # the pipeline, and SCRIPT EXISTS before it: not a round trip per comment
    assert [flood.check(ctx) for ctx in batch] == one_by_one
    # Each comment seen after those before it: copies build up, and the author's rate is passed at the fifth.
    assert [v.action for v in one_by_one] == [Action.ALLOW, Action.FLAG, Action.ALLOW, Action.HOLD, Action.HOLD,
                                             Action.HOLD, Action.HOLD]
    assert all(not ctx.prepared for ctx in batch)  # each reply read once


def test_a_redis_outage_fails_prepared_checks_open_too() -> None:
    import socket

    from redis.backoff import NoBackoff
    from redis.retry import Retry

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = Redis(port=port, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    flood = FloodFilter()
    batch = _contexts(down, [AD, AD], 1, author_key="erin")
    flood.prepare(batch)
    for ctx in batch:
        verdict = flood.check(ctx)
        assert verdict.action is Action.ALLOW
        assert english(verdict.reasons) == ("duplicate and rate checks skipped: ConnectionError",)
    down.close()
