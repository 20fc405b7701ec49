"""Moderators' decisions teach a site's adapter, which must beat the shared model on newer decisions."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from service.models import Comment, CommentStatus, ModerationAction, Site, Thread, utcnow
from service.sites import create_api_key, get_or_create_site
from workers.retrain import retrain_site

FINE = ["这篇报道很及时", "希望相关部门尽快落实", "我们小区也在改造", "施工期间注意安全", "物业费会不会涨",
        "电梯装好以后方便多了", "感谢记者的深入调查", "停车位还是不够", "老人出行确实困难", "期待后续报道"]
# What this site's moderators keep rejecting: a stock-tip scam the shared model has never seen.
SCAM = ["内部消息稳赚不赔", "跟着老师买股票翻倍", "今天的牛股代码私信我", "带你炒股月入十万"]


def _decisions(app, count: int = 160) -> None:
    rng = random.Random(7)
    db = app.extensions["moderato.db"]
    site = get_or_create_site(db, "portal")
    start = utcnow() - timedelta(days=30)
    with db.write() as session:
        thread = Thread(site_id=site.id, key="/finance/1.html")
        session.add(thread)
        session.flush()
        for i in range(count):
            bad = rng.random() < 0.4
            text = "，".join(rng.sample(FINE, 2)) + ("，" + rng.choice(SCAM) if bad else "")
            status = CommentStatus.REJECTED if bad else CommentStatus.APPROVED
            comment = Comment(thread_id=thread.id, author=f"读者{i}", text=text, status=status.value,
                              token_hash="-", reasons=[], created_at=start + timedelta(minutes=i))
            session.add(comment)
            session.flush()
            session.add(ModerationAction(comment_id=comment.id, moderator="mod", previous_status="held",
                                         new_status=status.value, created_at=start + timedelta(minutes=i, seconds=30)))


def test_adapter_beats_the_shared_model_on_newer_decisions_and_is_switched_on(app, worker_context):
    _decisions(app)
    result = retrain_site(worker_context, "portal")
    assert result.examples == 160 and result.heldout == 32
    assert result.adapted["macro_f1"] > result.base["macro_f1"]
    assert result.adapted["recall"] > 0.9 and result.activated
    with app.extensions["moderato.db"].read() as session:
        settings = session.scalars(select(Site.settings).where(Site.name == "portal")).one()
    assert settings["classifier_adapter"] == result.path


def test_the_site_pipeline_then_holds_the_pattern_its_moderators_reject(app, client, worker_context, run_worker):
    _decisions(app)
    retrain_site(worker_context, "portal")
    key = create_api_key(app.extensions["moderato.db"], "portal")
    headers = {"Authorization": f"Bearer {key}"}
    scam = client.post("/api/comments", headers=headers, json={
        "thread": "/finance/2.html", "author": "新读者", "text": "物业费会不会涨，今天的牛股代码私信我"}).get_json()
    fine = client.post("/api/comments", headers=headers, json={
        "thread": "/finance/2.html", "author": "老读者", "text": "电梯装好以后方便多了，感谢记者的深入调查"}).get_json()
    run_worker()
    with app.extensions["moderato.db"].read() as session:
        assert session.get(Comment, scam["id"]).status in ("held", "rejected")
        assert session.get(Comment, fine["id"]).status == "approved"


def test_too_few_decisions_change_nothing(app, worker_context):
    _decisions(app, count=20)
    result = retrain_site(worker_context, "portal")
    assert not result.activated and "at least" in result.reason
