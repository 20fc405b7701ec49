"""The embedded Redis keeps queued work across a restart (append-only file in the data folder)."""
from __future__ import annotations

from redis import Redis

from service.embedded_redis import EmbeddedRedis


def test_embedded_redis_keeps_data_across_a_restart(tmp_path):
    server = EmbeddedRedis(tmp_path / "redis").start()
    try:
        assert server.url.startswith("unix://")
        client = Redis.from_url(server.url)
        client.rpush("rq:queue:moderation", "job-1")
        client.close()
    finally:
        server.stop()
    assert (tmp_path / "redis" / "appendonlydir").exists() or (tmp_path / "redis" / "appendonly.aof").exists()
    server = EmbeddedRedis(tmp_path / "redis").start()
    try:
        client = Redis.from_url(server.url)
        assert client.lrange("rq:queue:moderation", 0, -1) == [b"job-1"]
        client.close()
    finally:
        server.stop()
