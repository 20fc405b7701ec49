"""A site's adapter learns from moderators' decisions and the filters' nobody overturned; it is switched on only if it
beats the shared model on the newest labelled comments without flagging more published ones."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from service.models import Comment, CommentStatus, ModerationAction, Site, Thread, utcnow
from service.moderation import moderate
from service.sites import create_api_key, get_or_create_site
from workers.datasets import DATA_DIR, cold, davidson, heldout_split, sms_spam
from workers.filters.base import Action, CommentInput
from workers.pipeline import Pipeline
from workers.retrain import retrain_site
from workers.tasks import moderate_batch
from workers.train import binary_figures

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


# --- A simulated site whose moderators only correct the filters' mistakes -------------------------------

SMS = DATA_DIR / "sms_spam" / "SMSSpamCollection"
COLD = DATA_DIR / "cold" / "dev.csv"
DAVIDSON = DATA_DIR / "davidson" / "labeled_data.csv"
EVERYDAY = DATA_DIR / "everyday_zh"


def _news_site(count: int, bad_share: float = 0.1, scam_share: float = 0.1) -> tuple[list[str], list[int]]:
    """Return a Chinese news site's comments in arrival order: fine ones (COLD dev's safe comments, which the
    shared model never learnt, and everyday chat), offensive ones (COLD dev) and a stock-tip scam the shared
    filters do not know (an everyday line with a scam line after it)."""
    rng = random.Random(13)
    data = cold("dev")
    offensive = [t for t, y in zip(data.texts, data.labels) if y]
    safe = [t for t, y in zip(data.texts, data.labels) if not y]
    everyday = [line for path in sorted(EVERYDAY.glob("*/texts.txt"))
                for line in path.read_text(encoding="utf-8").splitlines() if line]
    bad = rng.sample(offensive, round(count * bad_share))
    bad += [rng.choice(everyday) + "，" + rng.choice(SCAM) for _ in range(round(count * scam_share))]
    fine_count = count - len(bad)
    fine = rng.sample(safe, fine_count // 2) + rng.sample(everyday, fine_count - fine_count // 2)
    rows = [(t, 1) for t in bad] + [(t, 0) for t in fine]
    rng.shuffle(rows)
    return [t for t, _ in rows], [y for _, y in rows]


def _moderate_at(session, comment_id: int, status: CommentStatus, at) -> None:
    comment = moderate(session, comment_id, status, "mod")
    comment.decided_at = at
    session.flush()
    session.execute(update(ModerationAction).where(ModerationAction.comment_id == comment_id)
                    .values(created_at=at))


def _simulate_site(app, ctx, texts: list[str], labels: list[int], days: float = 36.0,
                   correct_share: float = 0.5) -> dict[str, int]:
    """Post the comments over `days` through the real filters; moderators decide the held queue, take
    down `correct_share` of the published bad ones and restore that share of the wrongly rejected ones."""
    rng = random.Random(5)
    db = app.extensions["moderato.db"]
    site = get_or_create_site(db, "portal")
    start = utcnow() - timedelta(days=days + 1)
    step = timedelta(days=days) / len(texts)
    with db.write() as session:
        threads = [Thread(site_id=site.id, key=f"/news/{n}.html") for n in range(40)]
        session.add_all(threads)
        session.flush()
        comments = [Comment(thread_id=threads[i % 40].id, author=f"reader{i}", text=text, token_hash="-",
                            reasons=[], created_at=start + i * step) for i, text in enumerate(texts)]
        session.add_all(comments)
        session.flush()
        ids = [c.id for c in comments]
    for n in range(0, len(ids), 100):
        moderate_batch(ids[n:n + 100], ctx)
    counts: dict[str, int] = {}
    with db.write() as session:
        for i, comment_id in enumerate(ids):
            comment = session.get(Comment, comment_id)
            comment.decided_at = comment.created_at + timedelta(minutes=1)
            bad, status = labels[i], comment.status
            counts[f"{status} {'bad' if bad else 'fine'}"] = counts.get(f"{status} {'bad' if bad else 'fine'}", 0) + 1
            later = comment.created_at + timedelta(hours=rng.uniform(1, 48))
            if status == CommentStatus.HELD.value:
                _moderate_at(session, comment_id, CommentStatus.REJECTED if bad else CommentStatus.APPROVED, later)
            elif status == CommentStatus.APPROVED.value and bad and rng.random() < correct_share:
                _moderate_at(session, comment_id, CommentStatus.REJECTED, later)  # reported, taken down
            elif status == CommentStatus.REJECTED.value and not bad and rng.random() < correct_share:
                _moderate_at(session, comment_id, CommentStatus.APPROVED, later)  # the author complained
    return counts


def _site_figures(ctx, texts: list[str], labels: list[int]) -> dict[str, float]:
    """Return how the site's pipeline, as configured now, treats new comments: bad ones caught, fine ones flagged."""
    with ctx.db.read() as session:
        settings = session.scalars(select(Site.settings).where(Site.name == "portal")).one() or {}
    options = {**ctx.base_options(), **settings}
    pipeline = Pipeline.from_options(tuple(options.get("filters") or ctx.config.filters), options)
    flagged = [pipeline.run(CommentInput(text=t, author="new reader")).action is not Action.ALLOW for t in texts]
    figures = binary_figures(labels, [1.0 if f else 0.0 for f in flagged])
    fine = [f for f, bad in zip(flagged, labels) if not bad]
    return {"macro_f1": round(figures["macro_f1"], 3), "bad_caught": round(figures["recall"], 3),
            "fine_flagged": round(sum(fine) / len(fine), 3)}


def _assert_improves_or_is_refused(result, before: dict[str, float], after: dict[str, float]) -> None:
    if result.activated:
        assert after["fine_flagged"] <= before["fine_flagged"] + 0.005
        assert after["macro_f1"] >= before["macro_f1"]
    else:
        assert after == before and result.reason


@pytest.mark.skipif(not (COLD.exists() and EVERYDAY.exists()), reason="needs ../shared/data/cold and everyday_zh")
def test_a_news_site_whose_moderators_only_correct_mistakes_gets_no_runaway_adapter(app, worker_context):
    # A scam the shared filters miss is 30% of the comments: most corrections are take-downs of published ones.
    texts, labels = _news_site(1400, bad_share=0.05, scam_share=0.3)
    history, future = slice(0, 1000), slice(1000, None)
    counts = _simulate_site(app, worker_context, texts[history], labels[history])
    before = _site_figures(worker_context, texts[future], labels[future])
    # As it was: moderators' corrections alone (nothing settles in 10,000 days). The adapter would flag
    # more of the site's newest published comments than the shared model, so it is refused.
    alone = retrain_site(worker_context, "portal", settle_days=10_000)
    assert alone.sources["settled"] == 0 and not alone.activated
    assert "newest published comments" in alone.reason
    assert alone.false_alarms["adapted"] > alone.false_alarms["base"]
    assert _site_figures(worker_context, texts[future], labels[future]) == before
    # With the filters' decisions nobody overturned within three days.
    result = retrain_site(worker_context, "portal")
    after = _site_figures(worker_context, texts[future], labels[future])
    print("\nsimulation", counts, "\ncorrections alone", alone.to_dict(), "\nretrain", result.to_dict(),
          "\nnew comments before", before, "after", after)
    assert result.sources["settled"] > result.sources["moderator"]
    _assert_improves_or_is_refused(result, before, after)
    assert result.activated and after["bad_caught"] > before["bad_caught"] + 0.1


def _english_site(count: int, bad_share: float = 0.15) -> tuple[list[str], list[int]]:
    """Return an English site's comments: SMS ham and Davidson's neither as fine, Davidson's abuse and SMS spam as bad (held-out rows)."""
    rng = random.Random(17)
    sms, tweets = sms_spam(), davidson()
    rows = []
    for data in (sms, tweets):
        _train, heldout = heldout_split(data)
        rows += [(data.texts[i], data.labels[i]) for i in heldout]
    fine = [r for r in rows if not r[1]]
    bad = [r for r in rows if r[1]]
    n_bad = round(count * bad_share)
    chosen = rng.sample(bad, n_bad) + rng.sample(fine, count - n_bad)
    rng.shuffle(chosen)
    return [t for t, _ in chosen], [y for _, y in chosen]


@pytest.mark.skipif(not (SMS.exists() and DAVIDSON.exists()), reason="needs ../shared/data/sms_spam and davidson")
def test_an_english_site_whose_moderators_only_correct_mistakes_gets_no_runaway_adapter(app, worker_context):
    texts, labels = _english_site(1400)
    history, future = slice(0, 1000), slice(1000, None)
    counts = _simulate_site(app, worker_context, texts[history], labels[history])
    before = _site_figures(worker_context, texts[future], labels[future])
    result = retrain_site(worker_context, "portal")
    after = _site_figures(worker_context, texts[future], labels[future])
    print("\nsimulation", counts, "\nretrain", result.to_dict(), "\nnew comments before", before, "after", after)
    _assert_improves_or_is_refused(result, before, after)
