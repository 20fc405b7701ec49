"""Moderators' notes (service/notes.py, service/console/notes.py): on comments and authors, escaped, audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from service.models import ModeratorNote, Site
from tests.conftest import make_config
from tests.factories import console_post, login, make_user, post_comment

SPAMMY = "便宜 www.a.com www.b.com www.c.com www.d.com"
HOSTILE = '<script>alert(1)</script> "spam ring"'


@pytest.fixture
def config(database_url, redis_client, redis_server, tmp_path):  # type: ignore[no-untyped-def]
    """The rule-based filters only, so which comments are held is certain."""
    return make_config(database_url, redis_server.url, tmp_path, moderator_token="",
                       filters=("length", "repetition", "links", "wordlist"))


def _held(client, run_worker, **fields) -> int:  # type: ignore[no-untyped-def]
    comment_id = post_comment(client, text=SPAMMY, **fields).get_json()["id"]
    run_worker()
    return comment_id


def test_notes_on_a_comment_and_its_author_show_escaped_in_the_queue_and_the_audit_log(app, client, run_worker):
    first = _held(client, run_worker, author="老王")
    second = _held(client, run_worker, author="老王")
    make_user(app)
    login(client)
    answer = console_post(client, "/console/notes", {"comment": first, "about": "comment", "text": HOSTILE,
                                                     "next": "/console/queue"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/console/queue")
    console_post(client, "/console/notes", {"comment": second, "about": "author", "text": "老用户，常发广告"})
    page = client.get("/console/queue").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "Note saved." in page
    # The author's note shows beside both of their comments; the comment's note beside that comment only.
    items = {cid: page.split(f'id="c{cid}"')[1].split('<li class="item"')[0] for cid in (first, second)}
    assert "老用户，常发广告" in items[first] and "老用户，常发广告" in items[second]
    assert "alert(1)" in items[first].split('class="actions"')[0] and "alert(1)" not in items[second]
    audit = client.get("/console/audit").get_data(as_text=True)
    assert "老用户，常发广告" in audit and "&lt;script&gt;" in audit and "<script>alert" not in audit
    assert "author 老王" in audit and f"comment #{first}" in audit
    with app.extensions["moderato.db"].read() as session:
        notes = list(session.scalars(select(ModeratorNote).order_by(ModeratorNote.id)))
    assert [(n.comment_id, n.author_key, n.moderator) for n in notes] == [(first, None, "mod"), (None, "老王", "mod")]


def test_a_note_needs_the_csrf_token_text_and_a_site_of_the_moderator(app, client, run_worker):
    held = _held(client, run_worker)
    with app.extensions["moderato.db"].write() as session:
        other = Site(name="other", origins=[], settings={})
        session.add(other)
        session.flush()
        other_id = other.id
    make_user(app)
    make_user(app, "elsewhere", site_ids=[other_id])
    login(client)
    no_token = client.post("/console/notes", data={"comment": held, "text": "x"},
                           headers={"Origin": "http://localhost"})
    assert no_token.status_code == 403
    assert console_post(client, "/console/notes", {"comment": held, "text": "   "}).status_code == 400
    assert console_post(client, "/console/notes", {"comment": held, "about": "nobody", "text": "x"}).status_code == 400
    assert console_post(client, "/console/notes", {"comment": 999999, "text": "x"}).status_code == 404
    console_post(client, "/console/logout")
    login(client, "elsewhere")
    assert console_post(client, "/console/notes", {"comment": held, "text": "x"}).status_code == 403
    assert console_post(client, "/console/notes", {"site": 1, "about": "author", "author_key": "读者",
                                                   "text": "x"}).status_code == 403
    with app.extensions["moderato.db"].read() as session:
        assert session.scalars(select(ModeratorNote)).all() == []
