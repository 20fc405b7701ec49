"""The author view (service/authors.py, service/console/authors.py): history, standing, bans and notes."""
from __future__ import annotations

import pytest

from tests.conftest import MODERATOR_TOKEN, make_config
from tests.factories import console_post, login, make_user, post_comment

SPAMMY = "便宜 www.a.com www.b.com www.c.com www.d.com"


@pytest.fixture
def config(database_url, redis_client, redis_server, tmp_path):  # type: ignore[no-untyped-def]
    """The rule-based filters only; the moderator token decides comments as another moderator would."""
    return make_config(database_url, redis_server.url, tmp_path, filters=("length", "repetition", "links", "wordlist"))


def test_the_author_page_shows_history_standing_bans_and_notes(app, client, run_worker):
    approved = post_comment(client, text="写得很好，谢谢分享", author="小李").get_json()["id"]
    held = post_comment(client, text=SPAMMY, author="小李").get_json()["id"]
    post_comment(client, text="别人的评论", author="小张")
    run_worker()
    make_user(app)
    login(client)
    assert console_post(client, "/console/bans", {"site": 1, "author_key": "小李", "duration": "hours",
                                                  "hours": "24", "reason": "广告"}).status_code == 303
    console_post(client, "/console/notes", {"comment": held, "about": "author", "text": "<i>多次发广告</i>"})
    page = client.get("/console/author?site=1&key=小李").get_data(as_text=True)
    assert "Author 小李" in page
    assert f'data-id="{held}"' in page and f'data-id="{approved}"' in page and "别人的评论" not in page
    assert 'class="count-approved">1<' in page and 'class="count-held">1<' in page
    assert "Banned until" in page and "广告" in page
    assert "&lt;i&gt;多次发广告&lt;/i&gt;" in page and "<i>多次" not in page
    assert "This site does not trust authors automatically." in page
    # The queue links each comment to its author's page and its hashed IP's page.
    queue = client.get("/console/queue").get_data(as_text=True)
    assert "/console/author?site=1&amp;key=%E5%B0%8F%E6%9D%8E" in queue and "/console/author?site=1&amp;ip=" in queue


def test_the_hashed_ip_page_lists_every_author_at_that_address(app, client, run_worker):
    post_comment(client, text="第一条评论内容", author="甲")
    post_comment(client, text="第二条评论内容", author="乙")
    run_worker()
    make_user(app)
    login(client)
    queue = client.get("/console/queue?status=approved").get_data(as_text=True)
    ip_hash = queue.split("/console/author?site=1&amp;ip=")[1].split('"')[0]
    page = client.get(f"/console/author?site=1&ip={ip_hash}").get_data(as_text=True)
    assert f"Hashed IP {ip_hash[:8]}" in page
    assert "key=%E7%94%B2" in page and "key=%E4%B9%99" in page
    assert "第一条评论内容" in page and "第二条评论内容" in page
    assert console_post(client, "/console/notes", {"site": 1, "about": "ip", "ip_hash": ip_hash,
                                                   "text": "同一地址多个昵称"}).status_code == 303
    assert "同一地址多个昵称" in client.get(f"/console/author?site=1&ip={ip_hash}").get_data(as_text=True)


def test_trust_is_shown_as_the_workers_apply_it_and_other_sites_are_refused(app, client, run_worker):
    first = post_comment(client, text="写得很好，谢谢分享", author="老读者").get_json()["id"]
    run_worker()
    make_user(app, "chief", role="admin")
    login(client, "chief")
    console_post(client, "/console/sites/1/settings", {"mode": "filters", "captcha": "always", "trust_after": "1"})
    page = client.get("/console/author?site=1&key=老读者").get_data(as_text=True)
    assert "Trusted: 1 or more approved comments" in page and f'data-id="{first}"' in page
    client.post(f"/api/moderation/comments/{first}/reject", json={},
                headers={"Authorization": f"Bearer {MODERATOR_TOKEN}"})
    assert "Not trusted yet" in client.get("/console/author?site=1&key=老读者").get_data(as_text=True)
    assert client.get("/console/author?site=1").status_code == 400
    assert client.get("/console/author?site=99&key=x").status_code in (403, 404)
