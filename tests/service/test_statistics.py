"""The console's statistics: days cut at the site's midnight, not at UTC's."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from service.models import Comment, Thread, utcnow
from service.sites import get_or_create_site
from service.statistics import collect

BEIJING = ZoneInfo("Asia/Shanghai")


def test_daily_counts_cut_at_the_sites_midnight(app):  # type: ignore[no-untyped-def]
    db = app.extensions["moderato.db"]
    site = get_or_create_site(db, "portal")
    # Yesterday's midnight in Beijing is 16:00 UTC the day before: half an hour either side is one UTC day,
    # but two Beijing days.
    local = utcnow().astimezone(BEIJING) - timedelta(days=1)
    midnight = datetime(local.year, local.month, local.day, tzinfo=BEIJING)
    with db.write() as session:
        thread = Thread(site_id=site.id, key="/1.html")
        session.add(thread)
        session.flush()
        for at in (midnight - timedelta(minutes=30), midnight + timedelta(minutes=30)):
            session.add(Comment(thread_id=thread.id, author="读者", text="好", status="approved", token_hash="-",
                                reasons=[], created_at=at.astimezone(timezone.utc)))
    before, after = (midnight - timedelta(days=1)).strftime("%Y-%m-%d"), midnight.strftime("%Y-%m-%d")
    with db.read() as session:
        beijing = collect(session, None, None, zone=BEIJING)
        utc = collect(session, None, None)
    assert beijing.per_day[before] == {"approved": 1} and beijing.per_day[after] == {"approved": 1}
    assert beijing.days[-1] == utcnow().astimezone(BEIJING).strftime("%Y-%m-%d")
    utc_day = (midnight - timedelta(minutes=30)).astimezone(timezone.utc).strftime("%Y-%m-%d")
    assert utc.per_day[utc_day] == {"approved": 2}
