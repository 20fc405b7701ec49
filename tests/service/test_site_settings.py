"""The console's description of site settings agrees with what the workers apply."""
from __future__ import annotations

from service.console import THRESHOLD_KEYS as CONSOLE_KEYS
from service.site_settings import DEFAULT_THRESHOLDS, THRESHOLD_SETTINGS
from workers.policy import DEFAULT_POLICIES


def test_the_defaults_the_console_shows_are_the_workers_defaults():
    assert set(DEFAULT_THRESHOLDS) == set(DEFAULT_POLICIES)
    for key, (hold, plain, reject) in DEFAULT_THRESHOLDS.items():
        policy = DEFAULT_POLICIES[key]
        assert (policy.hold_at, policy.plain_hold_at, policy.reject_at) == (hold, plain, reject)


def test_every_threshold_the_console_saves_is_described():
    assert {s.key for s in THRESHOLD_SETTINGS} == set(CONSOLE_KEYS)
    assert dict(THRESHOLD_SETTINGS[0].defaults()) == {"abuse_zh": DEFAULT_POLICIES["abuse_zh"].hold_at,
                                                      "abuse_en": DEFAULT_POLICIES["abuse_en"].hold_at}


def test_a_sites_time_zone_defaults_from_the_console_language_and_labels_its_offset():
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from service.site_settings import site_timezone, valid_timezone, zone_label

    assert site_timezone({}, "zh-CN").key == "Asia/Shanghai" and site_timezone(None, "en").key == "UTC"
    assert site_timezone({"timezone": "Europe/Berlin"}, "zh-CN").key == "Europe/Berlin"
    assert site_timezone({"timezone": "Mars/Olympus"}, "zh-CN").key == "Asia/Shanghai"
    assert not valid_timezone("../etc/passwd") and not valid_timezone("") and valid_timezone("UTC")
    winter, summer = datetime(2026, 1, 15, tzinfo=timezone.utc), datetime(2026, 7, 15, tzinfo=timezone.utc)
    assert zone_label(ZoneInfo("Asia/Shanghai"), winter) == "UTC+8"
    assert (zone_label(ZoneInfo("Europe/Berlin"), winter), zone_label(ZoneInfo("Europe/Berlin"), summer)) == \
        ("UTC+1", "UTC+2")
    assert zone_label(ZoneInfo("Asia/Kolkata"), winter) == "UTC+5:30"
    assert zone_label(ZoneInfo("America/St_Johns"), winter) == "UTC-3:30"
    assert zone_label(ZoneInfo("UTC"), winter) == "UTC"
