"""The built-in word list on the console (service/builtin_words.py): visible, searchable, paged, switchable."""
from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import select

from service.builtin_words import builtin_words, search_builtin
from service.models import BuiltinWordOff, Comment
from tests.conftest import make_config
from tests.factories import console_post, login, make_user, post_comment


@pytest.fixture
def config(database_url, redis_client, redis_server, tmp_path):  # type: ignore[no-untyped-def]
    """The rule-based filters only, so what the word list does is certain."""
    return make_config(database_url, redis_server.url, tmp_path, moderator_token="",
                       filters=("length", "repetition", "links", "wordlist"))


def test_the_list_is_read_whole_searched_and_paged():
    rows = builtin_words()
    assert len(rows) > 30_000 and rows == tuple(sorted(rows, key=lambda w: w.term))
    found = search_builtin("傻逼")
    assert found.total >= 1 and all("傻逼" in w.term for w in found.rows)
    assert {w.category for w in search_builtin(category="gambling", per_page=500).rows} == {"gambling"}
    second = search_builtin(page=2, per_page=50)
    assert second.page == 2 and second.rows == rows[50:100] and second.pages == -(-len(rows) // 50)
    assert search_builtin(page=10**6).page == search_builtin(page=10**6).pages  # past the end: the last page


def test_the_web_side_reads_the_list_without_importing_workers():
    code = ("import sys; from service.app import create_app; import service.console, service.builtin_words as b; "
            "b.builtin_words(); print(sorted(m for m in sys.modules if m.split('.')[0] == 'workers'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_words_page_shows_the_built_in_list_beside_the_sites_entries(app, client):
    post_comment(client, text="第一条评论")  # creates the site
    make_user(app)
    login(client)
    console_post(client, "/console/words", {"site": 1, "term": "傻逼", "category": "abuse", "action": "hold"})
    page = client.get("/console/words?site=1&bq=傻逼").get_data(as_text=True)
    assert "Built-in word list" in page and '<code class="term">傻逼</code>' in page
    assert "also a site entry" in page  # the site's own entry of the same term
    page2 = client.get("/console/words?site=1&bpage=2").get_data(as_text=True)
    assert "Page 2 of" in page2 and f'<code class="term">{builtin_words()[50].term}</code>' in page2


def test_a_site_switches_a_built_in_entry_off_and_the_workers_follow(app, client, run_worker, worker_context):
    post_comment(client, text="第一条评论")  # creates the site
    make_user(app)
    login(client)
    assert console_post(client, "/console/words/builtin/off", {"site": 1, "term": "不是内置词条"}).status_code == 400
    answer = console_post(client, "/console/words/builtin/off",
                          {"site": 1, "term": "傻逼", "next": "/console/words?site=1&bq=傻逼#builtin"})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/console/words?site=1&bq=%E5%82%BB%E9%80%BC#builtin")
    page = client.get("/console/words?site=1&boff=1").get_data(as_text=True)
    assert "“傻逼” is switched off on this site." in page and "Switch on" in page and "switched 1 of them off" in page
    with app.extensions["moderato.db"].read() as session:
        assert session.scalars(select(BuiltinWordOff.term)).all() == ["傻逼"]
    # The worker builds the site's filter without the entry: the comment is not rejected for it.
    off = post_comment(client, text="你就是个傻逼").get_json()["id"]
    run_worker()
    _, options = worker_context.site_options(1)
    assert options["builtin_words_off"] == ["傻逼"]
    with app.extensions["moderato.db"].read() as session:
        assert session.get(Comment, off).status == "approved"
    assert "built-in word switched off" in client.get("/console/audit").get_data(as_text=True)
    console_post(client, "/console/words/builtin/on", {"site": 1, "term": "傻逼"})
    with app.extensions["moderato.db"].read() as session:
        assert session.scalars(select(BuiltinWordOff)).all() == []
