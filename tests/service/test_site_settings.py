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
