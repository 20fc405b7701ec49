"""Tests of workers/pipeline.py: a batch judged at once decides as its comments judged one by one."""
from __future__ import annotations

from redis import Redis

from workers.filters.base import Action, CommentInput, allow
from workers.filters.flood import FloodFilter
from workers.filters.length import LengthFilter
from workers.pipeline import Decision, Pipeline

AD = "这个产品真的太好用了，强烈推荐大家购买，限时优惠只有今天，快来看看吧"
TEXTS = [AD, "今天天气很好，我们去公园散步吧", AD + "！！", AD + AD, AD, "【推荐】" + AD, AD, "写得不错"]


class _ExplodingFilter:
    """A filter with a bug that one comment's text triggers."""

    name = "test_exploding"

    def check(self, ctx):  # type: ignore[no-untyped-def]
        if "BOOM" in ctx.comment.text:
            raise ValueError("a bug in a filter")
        return allow(self.name)


def _pipeline() -> Pipeline:
    # Comments over 40 characters are rejected by the first filter, so the flood filter never records them.
    return Pipeline([LengthFilter(max_chars=40), FloodFilter(), _ExplodingFilter()])


def _comments(texts: list[str]) -> list[CommentInput]:
    return [CommentInput(text=text, comment_id=i + 1, site_id=1, thread=f"t{i % 3}", author_key="carol",
                         ip_hash="h3") for i, text in enumerate(texts)]


def test_a_batch_decides_as_its_comments_one_by_one(redis_client: Redis) -> None:
    comments = _comments(TEXTS)
    one_by_one = [_pipeline().run(comment, redis=redis_client) for comment in comments]
    redis_client.flushdb()
    assert _pipeline().run_many(comments, redis=redis_client) == one_by_one
    actions = [d.action for d in one_by_one]
    # The long copy is rejected before the flood filter, which never records it: the next copy is the third.
    assert actions[3] is Action.REJECT and [v.filter for v in one_by_one[3].verdicts] == ["length"]
    flood = next(v for v in one_by_one[4].verdicts if v.filter == "flood")
    assert [r["count"] for r in flood.reasons if r["code"] == "flood.duplicate"] == [3]
    assert actions[:3] == [Action.ALLOW, Action.ALLOW, Action.ALLOW] and actions[4:7] == [Action.HOLD] * 3


def test_a_comment_whose_filter_raises_gets_its_error_and_the_others_go_on(redis_client: Redis) -> None:
    outcomes = _pipeline().run_many(_comments(["好文章", "BOOM 一下", "写得不错"]), redis=redis_client)
    assert isinstance(outcomes[1], ValueError)
    assert all(isinstance(o, Decision) and o.action is Action.ALLOW for o in (outcomes[0], outcomes[2]))


def test_without_redis_a_batch_is_judged_without_the_history() -> None:
    outcomes = _pipeline().run_many(_comments([AD, AD]))
    assert [o.action for o in outcomes] == [Action.ALLOW, Action.ALLOW]  # type: ignore[union-attr]


def test_every_filter_decides_a_mixed_batch_as_one_by_one(redis_client: Redis) -> None:
    from workers.score import all_filter_names, build_pipeline

    phrases = ["这篇报道写得很好", "希望有关部门继续跟进", "老旧小区加装电梯是好事", "费用分摊要公开透明", "支持",
               "I agree with the article", "施工期间噪音太大", "期待后续报道"]
    spam = ["加微信 abc12345 领取优惠", "点击 http://spam.example.com 免费领取", "你就是个傻逼", "顶",
            "The city should build more bike lanes.", "qwrtpsdfghjklzxcvbnm qwrtpsdfg", "好" * 30]
    texts = ["，".join(phrases[(i + k) % len(phrases)] for k in range(1 + i % 4)) for i in range(40)] + spam * 3
    comments = [CommentInput(text=text, comment_id=i + 1, site_id=1, thread=f"/t/{i % 5}", author_key=f"r{i % 4}",
                             ip_hash=f"ip{i % 3}") for i, text in enumerate(texts)]
    pipeline = build_pipeline(all_filter_names(), {})
    one_by_one = [pipeline.run(comment, redis=redis_client) for comment in comments]
    redis_client.flushdb()
    batched = pipeline.run_many(comments[:30], redis=redis_client) + pipeline.run_many(comments[30:], redis=redis_client)
    assert batched == one_by_one
    # The batch met every kind of outcome, so the comparison covers early rejections and the flood's state.
    assert {d.action for d in one_by_one} == {Action.ALLOW, Action.HOLD, Action.REJECT}
