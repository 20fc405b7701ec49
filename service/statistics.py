"""The console's statistics and their charts, drawn as SVG on the server (no chart library, no script)."""
from __future__ import annotations

import statistics as stats
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from service.models import Comment, CommentStatus, Report, Thread, VerdictRecord, utcnow

OUTCOME_COLOURS = {"approved": "#2e7d32", "held": "#f9a825", "rejected": "#c62828", "deleted": "#616161",
                   "pending": "#1565c0"}
# Held comments by age: (upper limit in seconds, code); the page names each code in its language (age_<code>).
AGE_BUCKETS = ((3600, "lt_1h"), (6 * 3600, "1_6h"), (86400, "6_24h"), (3 * 86400, "1_3d"), (None, "gt_3d"))
# Days are counted in 15-minute steps of UTC time: every time zone's midnight falls on such a step.
_STEP = 900
UTC = ZoneInfo("UTC")


@dataclass
class Figures:
    """Numbers behind the statistics page."""

    days: list[str]
    zone: ZoneInfo
    per_day: dict[str, dict[str, int]]
    held_now: int
    oldest_held: datetime | None
    held_ages: dict[str, int]
    median_decision_seconds: float | None
    filter_hits: dict[str, int]
    reports_per_day: dict[str, int]
    extra: dict[str, Any] = field(default_factory=dict)


def _steps(session: Session, column: Any) -> Any:
    """Return a SQL expression for the 15-minute step of UTC time a timestamp falls in."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite keeps naive UTC text (service.models.UTCDateTime); strftime('%s') reads it as UTC.
        return cast(func.strftime("%s", column), Integer) / _STEP
    return func.floor(func.extract("epoch", column) / _STEP)


def _local_day(step: Any, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(int(step) * _STEP, timezone.utc).astimezone(zone).strftime("%Y-%m-%d")


def collect(session: Session, allowed: tuple[int, ...] | None, site_id: int | None, days: int = 30,
            zone: ZoneInfo = UTC) -> Figures:
    """Count the last `days` days of comments, decisions, filter hits and reports on the visible sites.

    Days run from midnight to midnight in `zone` (the site's time zone), not in UTC.
    """
    now = utcnow()
    first = (now.astimezone(zone) - timedelta(days=days - 1)).date()
    since = datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(timezone.utc)
    day_list = [(first + timedelta(days=i)).strftime("%Y-%m-%d") for i in range(days)]

    def scoped(query: Any) -> Any:
        if allowed is not None:
            query = query.where(Thread.site_id.in_(allowed))
        if site_id is not None:
            query = query.where(Thread.site_id == site_id)
        return query

    per_day: dict[str, dict[str, int]] = {d: {} for d in day_list}
    step = _steps(session, Comment.created_at)
    rows = session.execute(scoped(
        select(step, Comment.status, func.count(Comment.id)).join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.created_at >= since).group_by(step, Comment.status)
    ))
    for at, status, count in rows:
        counts = per_day.setdefault(_local_day(at, zone), {})
        counts[status] = counts.get(status, 0) + int(count)

    held = list(session.scalars(scoped(
        select(Comment.created_at).join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.status == CommentStatus.HELD.value)
    )))
    held_ages = {label: 0 for _limit, label in AGE_BUCKETS}
    for created in held:
        age = (now - created).total_seconds()
        for limit, label in AGE_BUCKETS:
            if limit is None or age < limit:
                held_ages[label] += 1
                break

    decided = session.execute(scoped(
        select(Comment.created_at, Comment.decided_at).join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.decided_at.is_not(None), Comment.decided_at >= since).limit(20000)
    )).all()
    durations = [(d - c).total_seconds() for c, d in decided if d is not None and c is not None]

    hits = dict(session.execute(scoped(
        select(VerdictRecord.filter, func.count(VerdictRecord.id))
        .join(Comment, Comment.id == VerdictRecord.comment_id).join(Thread, Thread.id == Comment.thread_id)
        .where(VerdictRecord.action != "allow", VerdictRecord.created_at >= since).group_by(VerdictRecord.filter)
    )).all())

    report_step = _steps(session, Report.created_at)
    reports = {d: 0 for d in day_list}
    for at, count in session.execute(scoped(
        select(report_step, func.count(Report.id)).join(Comment, Comment.id == Report.comment_id)
        .join(Thread, Thread.id == Comment.thread_id).where(Report.created_at >= since).group_by(report_step)
    )):
        day = _local_day(at, zone)
        if day in reports:
            reports[day] += int(count)

    return Figures(
        days=day_list, zone=zone, per_day={d: per_day.get(d, {}) for d in day_list}, held_now=len(held),
        oldest_held=min(held) if held else None, held_ages=held_ages,
        median_decision_seconds=stats.median(durations) if durations else None,
        filter_hits=dict(sorted(((k, int(v)) for k, v in hits.items()), key=lambda kv: -kv[1])),
        reports_per_day=reports,
    )


def stacked_bars(labels: list[str], series: dict[str, list[int]], colours: dict[str, str], title: str,
                 width: int = 720, height: int = 220) -> Markup:
    """Return an SVG stacked bar chart; every text in it is escaped."""
    pad_left, pad_bottom, pad_top = 40, 40, 10
    plot_w, plot_h = width - pad_left - 10, height - pad_bottom - pad_top
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    peak = max(totals + [1])
    bar_w = plot_w / max(len(labels), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line x1="{pad_left}" y1="{pad_top + plot_h}" x2="{width - 10}" y2="{pad_top + plot_h}" '
             f'stroke="#999"/>',
             f'<text x="{pad_left - 4}" y="{pad_top + 10}" text-anchor="end" font-size="10">{peak}</text>',
             f'<text x="{pad_left - 4}" y="{pad_top + plot_h}" text-anchor="end" font-size="10">0</text>']
    for i, label in enumerate(labels):
        y = pad_top + plot_h
        x = pad_left + i * bar_w
        for name, values in series.items():
            value = values[i]
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            parts.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" '
                         f'fill="{colours.get(name, "#555")}"><title>{escape(label)} {escape(name)}: {value}'
                         f'</title></rect>')
        if len(labels) <= 12 or i % max(len(labels) // 6, 1) == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - pad_bottom + 14}" font-size="10" '
                         f'text-anchor="middle">{escape(label[5:] if len(label) == 10 else label)}</text>')
    legend_x = pad_left
    for name in series:
        parts.append(f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" '
                     f'fill="{colours.get(name, "#555")}"/><text x="{legend_x + 14}" y="{height - 5}" '
                     f'font-size="11">{escape(name)}</text>')
        legend_x += 14 + 9 * len(name) + 16
    parts.append("</svg>")
    return Markup("".join(parts))


def render_charts(figures: Figures, t: Callable[[str], str],
                  filter_name: Callable[[str], str] = str) -> dict[str, Markup]:
    """Return the page's charts as SVG markup, every label in the page's language."""
    outcomes = [s.value for s in CommentStatus]
    series = {t(o): [figures.per_day[d].get(o, 0) for d in figures.days] for o in outcomes}
    colours = {t(o): OUTCOME_COLOURS[o] for o in outcomes}
    hits = list(figures.filter_hits.items())
    return {
        "per_day": stacked_bars(figures.days, series, colours, t("per_day")),
        "held_ages": stacked_bars([t(f"age_{code}") for code in figures.held_ages],
                                  {t("held"): list(figures.held_ages.values())},
                                  {t("held"): OUTCOME_COLOURS["held"]}, t("held_now"), width=400),
        "filter_hits": stacked_bars([filter_name(k) for k, _v in hits] or ["-"],
                                    {t("hits"): [v for _k, v in hits] or [0]}, {t("hits"): "#6a1b9a"},
                                    t("filter_hits"), width=400),
        "reports_per_day": stacked_bars(figures.days, {t("nav_reports"): list(figures.reports_per_day.values())},
                                        {t("nav_reports"): "#ef6c00"}, t("reports_per_day")),
    }
