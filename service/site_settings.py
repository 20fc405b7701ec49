"""What each of a site's moderation settings means: its default and the label and effect the console shows.

The defaults of the score thresholds live here, where the console can show them; `workers/policy.py` builds
its DEFAULT_POLICIES from them (workers import from service, never the reverse). `python -m workers.train`
chooses them and records them in the model file; a test keeps the two equal.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# (hold_at, plain_hold_at, reject_at) per score and language; plain_hold_at None means hold_at.
DEFAULT_THRESHOLDS: dict[str, tuple[float, float | None, float]] = {
    "abuse_zh": (0.28, 0.64, 0.99),
    "abuse_en": (0.47, None, 0.95),
    "spam": (0.5, None, 0.5),
}


@dataclass(frozen=True)
class ThresholdSetting:
    """A threshold a site may set: its key, the policies it applies to, and which bound it is."""

    key: str
    policies: tuple[str, ...]  # keys of DEFAULT_THRESHOLDS
    bound: str  # "hold", "plain_hold" or "reject"

    def defaults(self) -> list[tuple[str, float]]:
        """Return the default per policy it applies to, e.g. [("abuse_zh", 0.4), ("abuse_en", 0.47)]."""
        result = []
        for policy in self.policies:
            hold, plain, reject = DEFAULT_THRESHOLDS[policy]
            value = {"hold": hold, "plain_hold": hold if plain is None else plain, "reject": reject}[self.bound]
            result.append((policy, value))
        return result


THRESHOLD_SETTINGS: tuple[ThresholdSetting, ...] = (
    ThresholdSetting("abuse_hold_at", ("abuse_zh", "abuse_en"), "hold"),
    ThresholdSetting("abuse_reject_at", ("abuse_zh", "abuse_en"), "reject"),
    ThresholdSetting("abuse_plain_hold_at", ("abuse_zh", "abuse_en"), "plain_hold"),
    ThresholdSetting("abuse_zh_hold_at", ("abuse_zh",), "hold"),
    ThresholdSetting("abuse_zh_reject_at", ("abuse_zh",), "reject"),
    ThresholdSetting("abuse_zh_plain_hold_at", ("abuse_zh",), "plain_hold"),
    ThresholdSetting("abuse_en_hold_at", ("abuse_en",), "hold"),
    ThresholdSetting("abuse_en_reject_at", ("abuse_en",), "reject"),
    ThresholdSetting("spam_hold_at", ("spam",), "hold"),
    ThresholdSetting("spam_reject_at", ("spam",), "reject"),
)
THRESHOLD_KEYS = tuple(s.key for s in THRESHOLD_SETTINGS)


# A site's time zone (`timezone`, an IANA name): the console shows the site's times in it and its daily
# statistics cut at its midnight. Without one, the console language decides: Beijing time for zh-CN.
TIMEZONE_KEY = "timezone"
_LANGUAGE_ZONES = {"zh-CN": "Asia/Shanghai"}


def default_timezone(language: str) -> str:
    """Return the time zone a site gets when none is set, from the console language (UTC but for zh-CN)."""
    return _LANGUAGE_ZONES.get(language, "UTC")


def valid_timezone(name: str) -> bool:
    """Tell whether `name` is a time zone the standard library knows (tzdata where the system has none)."""
    if not name or name != name.strip() or ".." in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def site_timezone(settings: dict | None, console_language: str) -> ZoneInfo:
    """Return a site's time zone: its own setting, else the console language's default."""
    name = str((settings or {}).get(TIMEZONE_KEY) or "")
    return ZoneInfo(name if valid_timezone(name) else default_timezone(console_language))


def zone_label(zone: ZoneInfo, when: datetime) -> str:
    """Return the label of a time shown in `zone`: "UTC", "UTC+8", "UTC+5:30" (its offset at that moment)."""
    offset = when.astimezone(zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if minutes == 0:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")
