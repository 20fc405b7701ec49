"""The readers' mail jobs (workers/reader_mail.py), called directly with a recording mailer."""
from __future__ import annotations

from service.models import Comment
from tests.conftest import MODERATOR_TOKEN
from tests.factories import make_reader, post_comment
from workers.reader_mail import send_reply_notice, send_verification

MOD = {"Authorization": f"Bearer {MODERATOR_TOKEN}"}


class Recorder:
    """A mailer that keeps what it is asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str, dict]] = []

    def send(self, to: str, subject: str, body: str, headers: dict | None = None) -> None:
        """Keep the mail."""
        self.sent.append((to, subject, body, headers or {}))


def _approved(client, **fields) -> int:  # type: ignore[no-untyped-def]
    comment_id = post_comment(client, **fields).get_json()["id"]
    assert client.post(f"/api/moderation/comments/{comment_id}/approve", headers=MOD).status_code == 200
    return comment_id


def test_a_reply_notice_job_run_twice_mails_once(client, worker_context):
    parent = _approved(client, email="a@example.com", notify_replies=True)
    reply = _approved(client, author="乙", parent=parent)
    mailer = Recorder()
    assert send_reply_notice(reply, context=worker_context, mailer=mailer) == "sent"
    assert send_reply_notice(reply, context=worker_context, mailer=mailer) == "already-sent"
    assert [m[0] for m in mailer.sent] == ["a@example.com"]


def test_no_notice_for_ones_own_reply_nor_for_a_reply_not_approved(client, worker_context):
    parent = _approved(client, email="a@example.com", notify_replies=True)
    own = _approved(client, author="甲", email="A@example.com", parent=parent)
    waiting = post_comment(client, author="乙", parent=parent).get_json()["id"]
    mailer = Recorder()
    assert send_reply_notice(own, context=worker_context, mailer=mailer) == "own-reply"
    assert send_reply_notice(waiting, context=worker_context, mailer=mailer) == "not-approved"
    assert mailer.sent == []


def test_no_notice_to_a_reader_who_did_not_ask(client, worker_context):
    parent = _approved(client, email="a@example.com")
    reply = _approved(client, author="乙", parent=parent)
    assert send_reply_notice(reply, context=worker_context, mailer=Recorder()) == "not-subscribed"


def test_a_verified_account_gets_no_second_verification_mail(app, worker_context):
    reader_id = make_reader(app, verified=True)
    assert send_verification(reader_id, context=worker_context, mailer=Recorder()) == "already-verified"
    unverified = make_reader(app, email="new@example.com", verified=False, language="en")
    mailer = Recorder()
    assert send_verification(unverified, "http://comments.example", context=worker_context, mailer=mailer) == "sent"
    [(to, subject, body, _headers)] = mailer.sent
    assert to == "new@example.com" and subject == "Please verify the email of your comment account"
    assert "http://comments.example/readers/verify?t=" in body


def test_erased_parent_gets_no_notice(app, client, worker_context):
    parent = _approved(client, email="a@example.com", notify_replies=True)
    reply = _approved(client, author="乙", parent=parent)
    with app.extensions["moderato.db"].write() as session:
        session.get(Comment, parent).reply_notice_lang = None
    assert send_reply_notice(reply, context=worker_context, mailer=Recorder()) == "not-subscribed"
