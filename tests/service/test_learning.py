"""Labelled comments for retraining: moderators' decisions, and the filters' that nobody overturned."""
from __future__ import annotations

from datetime import timedelta

from service.learning import MODERATOR_WEIGHT, SETTLED_WEIGHT, recent_approved, training_examples
from service.models import Comment, ModerationAction, Report, Thread, utcnow
from service.sites import get_or_create_site


def _comment(session, thread_id: int, text: str, status: str, decided_by: str | None, days_ago: float) -> int:
    at = utcnow() - timedelta(days=days_ago)
    comment = Comment(thread_id=thread_id, author="读者", text=text, status=status, token_hash="-", reasons=[],
                      decided_by=decided_by, created_at=at, decided_at=at)
    session.add(comment)
    session.flush()
    return comment.id


def _site(app):  # type: ignore[no-untyped-def]
    db = app.extensions["moderato.db"]
    site = get_or_create_site(db, "portal")
    other = get_or_create_site(db, "other")
    with db.write() as session:
        thread, elsewhere = Thread(site_id=site.id, key="/1.html"), Thread(site_id=other.id, key="/1.html")
        session.add_all([thread, elsewhere])
        session.flush()
        ids = {
            "settled ok": _comment(session, thread.id, "published a week ago", "approved", "filters", 7),
            "settled bad": _comment(session, thread.id, "rejected a week ago", "rejected", "filters", 6),
            "too new": _comment(session, thread.id, "published yesterday", "approved", "filters", 1),
            "held": _comment(session, thread.id, "held a week ago", "held", "filters", 7),
            "banned": _comment(session, thread.id, "a banned author's", "rejected", "ban", 7),
            "reported": _comment(session, thread.id, "published, reported", "approved", "filters", 7),
            "taken down": _comment(session, thread.id, "published, then taken down", "rejected", "moderator", 5),
            "elsewhere": _comment(session, elsewhere.id, "another site's", "approved", "filters", 7),
        }
        session.add(Report(comment_id=ids["reported"], reason="spam", reporter_hash="r"))
        session.add(ModerationAction(comment_id=ids["taken down"], moderator="mod", previous_status="approved",
                                     new_status="rejected", created_at=utcnow() - timedelta(days=4)))
    return site.id, ids


def test_filter_decisions_nobody_overturned_for_three_days_are_labels_moderators_weigh_more(app):
    site_id, ids = _site(app)
    with app.extensions["moderato.db"].read() as session:
        examples = training_examples(session, site_id)
    assert [(e.comment_id, e.label, e.source, e.weight) for e in examples] == [
        (ids["settled ok"], "ok", "settled", SETTLED_WEIGHT),
        (ids["settled bad"], "bad", "settled", SETTLED_WEIGHT),
        (ids["taken down"], "bad", "moderator", MODERATOR_WEIGHT),
    ]


def test_settled_decisions_are_sampled_to_the_cap_and_wait_the_settling_time(app):
    site_id, ids = _site(app)
    with app.extensions["moderato.db"].read() as session:
        capped = training_examples(session, site_id, cap=1)
        newest = recent_approved(session, site_id, limit=2)
        longer = training_examples(session, site_id, settle_days=10)
    assert sum(e.source == "settled" for e in capped) == 1
    assert [e.source for e in longer] == ["moderator"]
    assert newest == ["published yesterday", "published, reported"]  # reports do not unpublish


def test_a_decision_undone_back_to_the_queue_is_no_longer_a_label(app):
    from service.learning import labelled_examples

    site_id, ids = _site(app)
    with app.extensions["moderato.db"].write() as session:
        session.add(ModerationAction(comment_id=ids["held"], moderator="mod", previous_status="held",
                                     new_status="approved", created_at=utcnow() - timedelta(minutes=2)))
        session.add(ModerationAction(comment_id=ids["held"], moderator="mod", previous_status="approved",
                                     new_status="held", created_at=utcnow() - timedelta(minutes=1)))
    with app.extensions["moderato.db"].read() as session:
        labelled = {e.comment_id for e in labelled_examples(session, site_id)}
    assert ids["held"] not in labelled and ids["taken down"] in labelled
