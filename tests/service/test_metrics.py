"""Operators' figures at /metrics, with a real Redis, real workers and real databases."""
from __future__ import annotations

import re

from tests.conftest import MODERATOR_TOKEN
from tests.factories import login, make_user, post_comment

ADMIN = {"Authorization": f"Bearer {MODERATOR_TOKEN}"}


def _figures(client) -> dict[str, float]:  # type: ignore[no-untyped-def]
    response = client.get("/metrics", headers=ADMIN)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    figures = {}
    for line in response.get_data(as_text=True).splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            figures[name] = float(value)
    return figures


def test_metrics_follow_a_comment_from_pending_to_decided(app, client, run_worker):
    ids = [post_comment(client, text=f"第{n}条：支持加装电梯").get_json()["id"] for n in range(2)]
    app.extensions["moderato.batcher"].flush()
    before = _figures(client)
    assert before['moderato_comments_waiting{status="pending"}'] == 2
    assert before["moderato_queue_jobs"] >= 1 and before["moderato_redis_up"] == 1
    assert before["moderato_oldest_pending_seconds"] >= 0

    run_worker()
    after = _figures(client)
    assert after['moderato_comments_waiting{status="pending"}'] == 0
    assert after["moderato_queue_jobs"] == 0 and after["moderato_failed_jobs"] == 0
    decided_by_filters = {k: v for k, v in after.items()
                          if k.startswith("moderato_decisions_total") and 'decided_by="filters"' in k}
    assert sum(decided_by_filters.values()) == len(ids)

    response = client.post(f"/api/moderation/comments/{ids[0]}/reject", headers=ADMIN)
    assert response.status_code == 200
    assert _figures(client)['moderato_decisions_total{status="rejected",decided_by="moderator"}'] == 1


def test_metrics_answer_admins_only(app, client):
    response = client.get("/metrics")
    assert response.status_code == 401 and response.get_json()["error"]["code"]
    make_user(app, "mod", role="moderator")
    login(client, "mod")
    assert client.get("/metrics").status_code == 403


def test_metrics_refuse_a_site_limited_admin(app, client):
    from service.models import Site

    with app.extensions["moderato.db"].write() as session:
        site = Site(name="other", origins=[], settings={})
        session.add(site)
        session.flush()
        site_id = site.id
    make_user(app, "site-admin", role="admin", site_ids=[site_id])
    login(client, "site-admin")
    response = client.get("/metrics")
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    make_user(app, "root-admin", role="admin")
    login(client, "root-admin")
    assert client.get("/metrics").status_code == 200


def test_metrics_are_in_the_exposition_format(client):
    body = client.get("/metrics", headers=ADMIN).get_data(as_text=True)
    sample = re.compile(r'^[a-z_]+(\{[a-z_]+="[a-z]+"(,[a-z_]+="[a-z_]+")*\})? -?[0-9.e+]+$')
    for line in body.splitlines():
        assert line.startswith(("# HELP ", "# TYPE ")) or sample.match(line), line
