"""Importers on hand-written export files of each system (tests/data/imports), the dry run, re-runs,
`--moderate`, and round trips through Moderato's JSON and WordPress's WXR."""
from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from service.__main__ import cli
from service.config import Config
from service.db import Database
from service.imports.export import export_json, export_wxr
from service.imports.importer import READERS, plan_import, write_import
from service.imports.models import ImportedComment
from service.keys import hash_ip
from service.models import Comment, Site, Thread
from tests.conftest import TEST_SECRET

DATA = Path(__file__).resolve().parents[2] / "data" / "imports"
FILES = {"disqus": "disqus.xml", "wordpress": "wordpress.xml", "isso": "isso.sql", "waline": "waline.json",
         "twikoo": "twikoo.json", "artalk": "artalk.json"}


def export_file(system: str, tmp_path: Path) -> Path:
    """Return the system's sample export; Isso's database is built from its SQL with Isso's schema."""
    path = DATA / FILES[system]
    if system != "isso":
        return path
    db_path = tmp_path / "comments.db"
    conn = sqlite3.connect(db_path)
    conn.executescript(path.read_text(encoding="utf-8"))
    conn.commit()
    conn.close()
    return db_path


def run_import(config: Config, system: str, path: Path, site: str, moderate: bool = False,
               redis: Redis | None = None) -> int:
    """Import a file as the command does; return how many comments were written."""
    db = Database(config)
    try:
        plan = plan_import(db, system, site, READERS[system](path), moderate=moderate)
        return write_import(db, config, plan, redis).written
    finally:
        db.dispose()


def snapshot(config: Config, site: str, wxr: bool = False) -> Counter:
    """Return every comment of a site as what a reader and a moderator see, parents named by content.

    `wxr` compares what WXR can carry: no address (hash), times to the second, and a post title for
    every thread (the key where Moderato had none).
    """
    db = Database(config)
    try:
        with db.read() as session:
            rows = session.execute(
                select(Comment, Thread.key, Thread.title).join(Thread, Thread.id == Comment.thread_id)
                .join(Site, Site.id == Thread.site_id).where(Site.name == site)).all()
            by_id = {c.id: c for c, _key, _title in rows}
            result: Counter = Counter()
            for c, key, title in rows:
                parent = by_id[c.parent_id] if c.parent_id else None
                result[(key, (title or key) if wxr else title, c.author, c.email, c.text, c.status,
                        c.created_at.replace(microsecond=0) if wxr else c.created_at,
                        (parent.author, parent.text) if parent else None, None if wxr else c.ip_hash)] += 1
            return result
    finally:
        db.dispose()


def comments_of(config: Config, site: str) -> dict[str, Comment]:
    """Return a site's comments by text."""
    db = Database(config)
    try:
        with db.read() as session:
            found = session.scalars(select(Comment).join(Thread).join(Site).where(Site.name == site)).all()
            for comment in found:
                session.expunge(comment)
            return {c.text: c for c in found}
    finally:
        db.dispose()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


# Per system: statuses, thread titles, a reply and its parent, an author's email, address and time.
EXPECTED = {
    "disqus": dict(
        statuses={"approved": 4, "rejected": 1, "deleted": 1},
        titles={"/2023/05/01/1.html": "城市地铁新线开通", "/2023/05/02/7.html?from=home": "Weather: a cold week ahead"},
        reply=("站台远是为了换乘。", "同意，第一天就坐了。\n就是站台有点远，详见 线路图 (https://news.example.cn/map)"),
        author=("终于开通了，上班方便多了！\n\n希望早晚高峰&周末都能加车。", "小明", "xiaoming@example.cn",
                "198.51.100.23", "2023-05-01T09:15:00+00:00")),
    "wordpress": dict(
        statuses={"approved": 2, "held": 1, "rejected": 1, "deleted": 1},
        titles={"/2023/04/jobs-fair/": "春季招聘会本周六举行", "/about/": "About us"},
        reply=("建议带 三份。", "请问需要带简历吗？\n要带几份？"),
        author=("地点在哪里？", "匿名", None, "198.51.100.33", "2023-04-29T04:00:00+00:00")),
    "isso": dict(
        statuses={"approved": 3, "held": 1, "deleted": 1},
        titles={"/tech/2022/rust-release.html": "Rust 发布新版本", "/tech/2022/python.html": None},
        reply=("等审核的回复", "是的，`cargo build` 快了一倍。\n第二行。"),
        author=("编译速度快了*很多*。", "张三", "zhangsan@example.cn", "198.51.100.0", "2022-07-01T08:00:00.5+00:00")),
    "waline": dict(
        statuses={"approved": 2, "held": 1, "rejected": 1},
        titles={"/opinion/2023/06/01/essay.html": None, "/": None},
        reply=("还有一个问题想问。", "[@读者甲](#11): 谢谢关注。"),
        author=("这个观点**很有意思**，期待后续报道。", "读者甲", "reader1@example.cn", "198.51.100.61",
                "2023-06-01T02:03:04+00:00")),
    "twikoo": dict(
        statuses={"approved": 2, "rejected": 1},
        titles={"/sports/2023/06/final.html": None},
        reply=("同感，最后十分钟\n简直窒息 <3", "这场比赛太精彩了！[赞]"),
        author=("这场比赛太精彩了！[赞]", "阿强", "aqiang@example.cn", "198.51.100.71", "2023-06-02T12:30:00+00:00")),
    "artalk": dict(
        statuses={"approved": 2, "held": 1},
        titles={"/city/2023/07/library.html": "市图书馆延长开放时间"},
        reply=("还在审核中的回答", "周末也延长吗？"),
        author=("图书馆延长开放时间，**好消息**！", "书虫", "shuchong@example.cn", "198.51.100.81",
                "2023-07-01T20:00:00+08:00")),
}


@pytest.mark.parametrize("system", sorted(FILES))
def test_each_systems_export_keeps_threads_nesting_authors_times_and_statuses_and_imports_once(
        config: Config, tmp_path: Path, system: str) -> None:
    path, expected = export_file(system, tmp_path), EXPECTED[system]
    written = run_import(config, system, path, "news")
    assert written == sum(expected["statuses"].values())
    comments = comments_of(config, "news")
    assert Counter(c.status for c in comments.values()) == expected["statuses"]
    db = Database(config)
    with db.read() as session:
        titles = dict(session.execute(select(Thread.key, Thread.title)).all())
    db.dispose()
    assert titles == expected["titles"]
    reply, parent = expected["reply"]
    assert comments[reply].parent_id == comments[parent].id
    text, author, email, address, when = expected["author"]
    assert (comments[text].author, comments[text].email) == (author, email)
    # The address is stored only as the keyed hash that submitted comments get.
    assert comments[text].ip_hash == hash_ip(TEST_SECRET, address)
    assert comments[text].created_at == at(when)
    assert all(c.decided_by == "import" for c in comments.values())

    # A second run of the same file adds nothing.
    assert run_import(config, system, path, "news") == 0
    assert len(comments_of(config, "news")) == written


@pytest.mark.parametrize("system", sorted(FILES))
def test_round_trip_through_json_and_wxr_into_fresh_sites_keeps_every_comment(
        config: Config, tmp_path: Path, system: str) -> None:
    run_import(config, system, export_file(system, tmp_path), "old")
    db = Database(config)
    (tmp_path / "old.json").write_text("".join(export_json(db, "old")), encoding="utf-8")
    (tmp_path / "old.xml").write_text("".join(export_wxr(db, "old", "https://news.example.cn")), encoding="utf-8")
    db.dispose()
    original = snapshot(config, "old")

    run_import(config, "moderato", tmp_path / "old.json", "from-json")
    assert snapshot(config, "from-json") == original
    run_import(config, "wordpress", tmp_path / "old.xml", "from-wxr")
    assert snapshot(config, "from-wxr", wxr=True) == snapshot(config, "old", wxr=True)


def test_wxr_export_is_wordpress_shaped_and_escapes_typed_markup(config: Config, tmp_path: Path) -> None:
    run_import(config, "twikoo", export_file("twikoo", tmp_path), "news")
    db = Database(config)
    wxr = "".join(export_wxr(db, "news", "https://news.example.cn"))
    db.dispose()
    assert "<wp:wxr_version>1.2</wp:wxr_version>" in wxr
    assert "<link>https://news.example.cn/sports/2023/06/final.html</link>" in wxr
    assert "<wp:comment_approved>spam</wp:comment_approved>" in wxr
    # "<3" typed by a reader is text to WordPress, not markup: HTML-escaped, then XML-escaped.
    assert "简直窒息 &amp;lt;3" in wxr


def test_dry_run_prints_counts_per_thread_and_status_and_writes_nothing(config: Config) -> None:
    env = {"DATABASE_URL": config.database_url, "REDIS_URL": config.redis_url, "SECRET_KEY": TEST_SECRET,
           "DATA_DIR": config.data_dir}
    result = CliRunner().invoke(cli, ["import", "--from", "wordpress", str(DATA / "wordpress.xml"), "--site", "news",
                                      "--dry-run"], env=env)
    assert result.exit_code == 0, result.output
    assert "/2023/04/jobs-fair/ (春季招聘会本周六举行): approved 2, held 1, rejected 1" in result.output
    assert "comments to write: 5 (approved 2, deleted 1, held 1, rejected 1)" in result.output
    assert "dry run: nothing was written" in result.output
    db = Database(config)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Comment)) == 0
        assert session.scalar(select(func.count()).select_from(Site).where(Site.name == "news")) == 0
    db.dispose()

    result = CliRunner().invoke(cli, ["import", "--from", "wordpress", str(DATA / "wordpress.xml"), "--site", "news"],
                                env=env)
    assert result.exit_code == 0, result.output
    assert "written: 5 comments in 2 threads" in result.output
    exported = CliRunner().invoke(cli, ["export", "--site", "news"], env=env)
    assert exported.exit_code == 0, exported.output
    threads = json.loads(exported.output)["threads"]
    assert sum(len(t["comments"]) for t in threads) == 5


def test_a_file_of_another_system_is_refused_with_its_reason(config: Config) -> None:
    env = {"DATABASE_URL": config.database_url, "SECRET_KEY": TEST_SECRET, "DATA_DIR": config.data_dir}
    result = CliRunner().invoke(cli, ["import", "--from", "disqus", str(DATA / "wordpress.xml"), "--site", "news"],
                                env=env)
    assert result.exit_code == 1
    assert "not a Disqus export" in result.output


def test_moderate_stores_comments_pending_and_the_workers_decide_them(
        config: Config, redis_client: Redis, run_worker, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_import(config, "artalk", export_file("artalk", tmp_path), "news", moderate=True, redis=redis_client)
    comments = comments_of(config, "news")
    assert {c.status for c in comments.values()} == {"pending"}
    assert Queue(config.queue_name, connection=redis_client).count == 1  # one batch job, as for the web's batcher
    run_worker()
    decided = comments_of(config, "news")
    assert all(c.status in ("approved", "held", "rejected") for c in decided.values())
    assert decided["周末也延长吗？"].status == "approved"


def test_imported_comments_are_served_nested_in_their_thread(config: Config, app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_import(config, "disqus", export_file("disqus", tmp_path), "news")
    page = app.test_client().get("/api/threads/2023/05/01/1.html/comments?site=news").get_json()
    assert page["total"] == 3 and page["title"] == "城市地铁新线开通"
    first = page["comments"][0]
    assert first["author"] == "小明"
    assert first["replies"][0]["author"] == "李华"
    assert first["replies"][0]["replies"][0]["text"] == "站台远是为了换乘。"


def test_mapping_rows_name_each_source_id_once(config: Config, tmp_path: Path) -> None:
    run_import(config, "waline", export_file("waline", tmp_path), "news")
    db = Database(config)
    with db.read() as session:
        ids = session.scalars(select(ImportedComment.source_id).where(ImportedComment.source == "waline")).all()
    db.dispose()
    assert sorted(ids) == ["11", "12", "13", "14"]
