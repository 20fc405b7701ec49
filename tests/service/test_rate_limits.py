"""Rate limits on comments and captchas (service/rate_limits.py), against the fixtures' real Redis."""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import select

from service.app import create_app
from service.config import Config
from service.models import Comment, Site
from service.rate_limits import DEFAULT_LIMITS, network_of
from service.sites import create_api_key, get_or_create_site
from tests.factories import console_post, login, make_user, post_comment


@pytest.fixture
def limited(config: Config) -> Iterator[Flask]:
    """Return the app with its rate limits on (the other tests' configuration turns them off)."""
    app = create_app(replace(config, rate_limits=True))
    yield app
    app.extensions["moderato.db"].dispose()


def _set_site_settings(app: Flask, **settings: object) -> None:
    """Merge settings into the default site's, as the console would, and drop the app's cached sites."""
    db = app.extensions["moderato.db"]
    site_id = get_or_create_site(db).id
    with db.write() as session:
        site = session.get(Site, site_id)
        site.settings = {**(site.settings or {}), **settings}
    app.extensions["moderato.sites"].clear()


def _comments(app: Flask) -> list[Comment]:
    with app.extensions["moderato.db"].read() as session:
        return list(session.scalars(select(Comment).order_by(Comment.id)))


def _client(app: Flask, address: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _api_post(client, key: str, **fields):  # type: ignore[no-untyped-def]
    body = {"thread": "/news/1.html", "author": "读者", "text": "这篇报道写得很好。", **fields}
    return client.post("/api/comments", json=body, headers={"Authorization": f"Bearer {key}"})


def test_a_reader_past_the_per_address_limit_gets_429_with_retry_after(limited):
    reader = _client(limited, "198.51.100.7")
    limit = DEFAULT_LIMITS["posts_per_ip_minute"]
    for i in range(limit):
        assert post_comment(reader, author=f"读者{i}").status_code == 202
    response = post_comment(reader, author="又一位读者")
    assert response.status_code == 429
    body = response.get_json()["error"]
    assert body["code"] == "rate_limited" and body["message"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert body["retry_after"] == int(response.headers["Retry-After"])
    assert len(_comments(limited)) == limit  # the refused comment was not stored
    # Another reader is not affected.
    assert post_comment(_client(limited, "198.51.100.8"), author="别人").status_code == 202


def test_an_address_network_is_limited_together_ipv4_by_24_and_ipv6_by_48(limited):
    _set_site_settings(limited, rate_posts_per_network_minute=3)
    for i in range(1, 4):
        assert post_comment(_client(limited, f"203.0.113.{i}"), author=f"甲{i}").status_code == 202
    refused = post_comment(_client(limited, "203.0.113.200"), author="甲4")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert post_comment(_client(limited, "203.0.114.1"), author="乙").status_code == 202  # the next /24

    for i, address in enumerate(("2001:db8:1:1::1", "2001:db8:1:2::1", "2001:db8:1:ffff::9")):
        assert post_comment(_client(limited, address), author=f"丙{i}").status_code == 202
    assert post_comment(_client(limited, "2001:db8:1:abcd::1"), author="丙4").status_code == 429
    assert post_comment(_client(limited, "2001:db8:2::1"), author="丁").status_code == 202  # the next /48


def test_networks_are_24_for_ipv4_48_for_ipv6_and_mapped_addresses_count_as_ipv4():
    assert network_of("192.0.2.77") == "192.0.2.0/24"
    assert network_of("2001:db8:aa:bb::1") == "2001:db8:aa::/48"
    assert network_of("::ffff:192.0.2.77") == "192.0.2.0/24"
    assert network_of("not an address") is None and network_of(None) is None


def test_one_author_is_limited_across_addresses(limited):
    _set_site_settings(limited, rate_posts_per_author_minute=2)
    assert post_comment(_client(limited, "192.0.2.1"), author="刷屏者").status_code == 202
    assert post_comment(_client(limited, "198.51.100.1"), author="刷屏者").status_code == 202
    assert post_comment(_client(limited, "203.0.113.1"), author="刷屏者").status_code == 429
    assert post_comment(_client(limited, "203.0.113.1"), author="别人").status_code == 202


def test_a_client_stopped_at_its_own_limit_does_not_use_up_the_thread(limited):
    _set_site_settings(limited, rate_posts_per_ip_minute=1, rate_posts_per_thread_minute=3)
    flooder = _client(limited, "192.0.2.9")
    assert post_comment(flooder, author="a").status_code == 202
    assert [post_comment(flooder, author=f"a{i}").status_code for i in range(5)] == [429] * 5
    assert post_comment(_client(limited, "198.51.100.9"), author="b").status_code == 202
    assert post_comment(_client(limited, "203.0.113.9"), author="c").status_code == 202
    # Three comments landed on the thread: now it is full, for everyone.
    assert post_comment(_client(limited, "100.64.0.9"), author="d").status_code == 429
    assert post_comment(_client(limited, "100.64.0.9"), author="d", thread="/news/other.html").status_code == 202


def test_the_site_limit_caps_everyone_together(limited):
    _set_site_settings(limited, rate_posts_per_site_minute=2)
    statuses = [post_comment(_client(limited, f"10.{i}.0.1"), author=f"r{i}", thread=f"/t/{i}").status_code
                for i in range(3)]
    assert statuses == [202, 202, 429]


def test_an_api_key_is_limited_per_key_not_per_connection_address(limited):
    _set_site_settings(limited, rate_posts_per_key_minute=2, rate_posts_per_ip_minute=1)
    db = limited.extensions["moderato.db"]
    first, second = create_api_key(db, "default"), create_api_key(db, "default")
    backend = _client(limited, "192.0.2.50")  # one back end's address for both keys
    statuses = [_api_post(backend, first, author=f"k{i}").status_code for i in range(3)]
    assert statuses == [202, 202, 429]  # past the key's limit, though the address allows only 1 a minute
    assert _api_post(backend, second, author="k-other").status_code == 202  # another key has its own count
    # The readers' addresses the back end passes are limited as readers' own.
    assert _api_post(backend, second, author="r1", reader_ip="198.51.100.60").status_code == 202
    refused = _api_post(backend, second, author="r2", reader_ip="198.51.100.60")
    assert refused.status_code == 429 and refused.headers["Retry-After"]


def test_captchas_are_limited_per_address(limited):
    _set_site_settings(limited, rate_captchas_per_ip_minute=3)
    reader = _client(limited, "192.0.2.77")
    assert [reader.get("/api/captcha").status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = reader.get("/api/captcha")
    assert refused.get_json()["error"]["code"] == "rate_limited" and "Retry-After" in refused.headers
    assert _client(limited, "198.51.100.77").get("/api/captcha").status_code == 200


def test_audio_captchas_are_limited_per_client(config):
    app = create_app(replace(config, rate_limits=True, audio_captchas_per_client=2, audio_captchas_per_second=0))
    try:
        reader = _client(app, "192.0.2.33")
        captcha = reader.get("/api/captcha").get_json()
        statuses = [reader.get(captcha["audio"]).status_code for _ in range(3)]  # cached after the first
        assert statuses == [200, 200, 429]
    finally:
        app.extensions["moderato.db"].dispose()


def test_audio_captchas_made_at_once_are_capped_for_everyone_but_cached_ones_are_served(config):
    app = create_app(replace(config, rate_limits=True, audio_captchas_per_second=1, audio_captchas_per_client=0))
    try:
        readers = [_client(app, f"192.0.2.{i}") for i in (1, 2)]
        audio = [reader.get("/api/captcha").get_json()["audio"] for reader in readers]
        start, responses = threading.Barrier(2), {}

        def fetch(i: int) -> None:
            start.wait()
            responses[i] = readers[i].get(audio[i])

        threads = [threading.Thread(target=fetch, args=(i,)) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        statuses = sorted(r.status_code for r in responses.values())
        assert statuses == [200, 429]  # two different readers, one new WAV a second between them
        refused = next(r for r in responses.values() if r.status_code == 429)
        assert refused.headers["Retry-After"] == "1" and refused.get_json()["error"]["code"] == "rate_limited"
        served = next(i for i, r in responses.items() if r.status_code == 200)
        again = readers[served].get(audio[served])  # already made: served from the cache, not counted
        assert again.status_code == 200 and again.data == responses[served].data
    finally:
        app.extensions["moderato.db"].dispose()


def test_the_limiter_fails_open_and_comments_are_stored_when_redis_is_down(limited, redis_server, caplog):
    _set_site_settings(limited, rate_posts_per_site_minute=1)
    key = create_api_key(limited.extensions["moderato.db"], "default")
    backend = _client(limited, "192.0.2.99")
    assert _api_post(backend, key, author="before").status_code == 202
    assert _api_post(backend, key, author="limited").status_code == 429  # the limit works while Redis is up
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="service.rate_limits"):
        statuses = [_api_post(backend, key, author=f"during{i}", reader_ip="198.51.100.99").status_code
                    for i in range(3)]
    assert statuses == [202, 202, 202]
    assert [c.author for c in _comments(limited)] == ["before", "during0", "during1", "during2"]
    assert all(c.status == "pending" for c in _comments(limited))  # the reconciler will queue them
    assert "rate limits unavailable" in caplog.text
    assert "192.0.2.99" not in caplog.text and "198.51.100.99" not in caplog.text  # no address is logged


def test_a_site_setting_saved_in_the_console_overrides_the_default(limited):
    client = _client(limited, "192.0.2.120")
    make_user(limited, "chief", role="admin")
    login(client, "chief")
    site_id = get_or_create_site(limited.extensions["moderato.db"]).id
    form = {"mode": "filters", "captcha": "always", "rate_posts_per_ip_minute": "2"}
    for bad in ("-1", "two", "1.5", "99999999"):
        refused = console_post(client, f"/console/sites/{site_id}/settings", {**form, "rate_posts_per_ip_minute": bad})
        assert refused.status_code == 400
    assert console_post(client, f"/console/sites/{site_id}/settings", form).status_code == 303
    page = client.get(f"/console/sites?site={site_id}").get_data(as_text=True)
    assert 'name="rate_posts_per_ip_minute" value="2"' in page
    assert [post_comment(client, author=f"x{i}").status_code for i in range(3)] == [202, 202, 429]
    # 0 turns a limit off; an emptied field drops the setting, so the default applies again.
    off = {**form, "rate_posts_per_ip_minute": "0", "rate_posts_per_author_minute": "0"}
    assert console_post(client, f"/console/sites/{site_id}/settings", off).status_code == 303
    assert post_comment(client, author="x9").status_code == 202
    emptied = {**form, "rate_posts_per_ip_minute": ""}
    assert console_post(client, f"/console/sites/{site_id}/settings", emptied).status_code == 303
    with limited.extensions["moderato.db"].read() as session:
        assert "rate_posts_per_ip_minute" not in session.get(Site, site_id).settings


def test_rate_limits_can_be_turned_off_for_load_tests(client):
    # The shared test configuration has RATE_LIMITS=0, as bench/stack.py does.
    attempts = DEFAULT_LIMITS["posts_per_ip_minute"] + 2
    statuses = [post_comment(client, author="同一人").status_code for _ in range(attempts)]
    assert set(statuses) == {202}


def test_an_ipv4_network_read_without_ipaddress_is_the_one_ipaddress_reads():
    """network_of reads a plain dotted quad itself (the usual case, and 12 µs cheaper); every address, valid or
    not, gets the network that the `ipaddress` module gives it."""
    import ipaddress
    import random

    def by_ipaddress(address: str) -> str | None:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return None
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return str(ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 48}", strict=False))

    rng = random.Random(12)
    addresses = [".".join(str(rng.randint(0, 255)) for _ in range(4)) for _ in range(2000)]
    addresses += ["0.0.0.0", "255.255.255.255", " 10.1.2.3 ", "10.1.2.3\n", "01.2.3.4", "1.2.3.04", "256.1.1.1",
                  "1.2.3", "1.2.3.4.5", "1..2.3", "１.2.3.4", "1.2.3.٤", "a.b.c.d", "::ffff:10.1.2.3", "2001:db8::1"]
    assert [network_of(a) for a in addresses] == [by_ipaddress(a) for a in addresses]
