"""The live queue's endpoint (service/console/queue.py): what changed since the page was drawn."""
from __future__ import annotations

import pytest

from tests.conftest import make_config
from tests.factories import console_post, login, make_user, post_comment

SPAMMY = "便宜 www.a.com www.b.com www.c.com www.d.com"


@pytest.fixture
def config(database_url, redis_client, redis_server, tmp_path):  # type: ignore[no-untyped-def]
    """The rule-based filters only, so which comments are held is certain."""
    return make_config(database_url, redis_server.url, tmp_path, moderator_token="",
                       filters=("length", "repetition", "links", "wordlist"))


def test_the_live_queue_reports_new_comments_and_decisions_made_elsewhere(app, client, run_worker):
    first, second = (post_comment(client, text=SPAMMY, author=f"读者{n}").get_json()["id"] for n in range(2))
    run_worker()
    make_user(app, "alice")
    make_user(app, "bob")
    login(client, "alice")
    queue = client.get("/console/queue").get_data(as_text=True)
    assert 'data-live="/console/queue/live"' in queue
    live = client.get(f"/console/queue/live?after={second}&ids={first},{second}").get_json()
    assert live == {"newer": False, "decided": []}

    bob = app.test_client()
    login(bob, "bob")
    console_post(bob, f"/console/comments/{first}/approve", {"expected_status": "held"})
    third = post_comment(client, text=SPAMMY, author="读者3").get_json()["id"]
    run_worker()
    live = client.get(f"/console/queue/live?after={second}&ids={first},{second}").get_json()
    assert live == {"newer": True, "decided": [{"id": first, "status": "approved", "by": "bob"}]}
    # The filters of the queue apply: a queue of one author hears of that author's comments only.
    assert client.get(f"/console/queue/live?author=读者0&after={second}").get_json()["newer"] is False
    assert client.get(f"/console/queue/live?after={third}").get_json()["newer"] is False
    assert client.get("/console/queue/live?status=nonsense").status_code == 400
    console_post(client, "/console/logout")
    assert client.get("/console/queue/live").status_code == 302  # to the sign-in page
