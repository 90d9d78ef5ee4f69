"""`make test` runs the suite in pytest-xdist workers: each must get a Redis database of its own, or one
worker's per-test `flushdb` would empty another's queue mid-test."""

from __future__ import annotations

import os

import pytest

from tests.conftest import worker_redis_url


@pytest.mark.parametrize(
    ("url", "worker", "expected"),
    [
        ("redis://127.0.0.1:6379/0", None, "redis://127.0.0.1:6379/0"),
        ("redis://127.0.0.1:6379/0", "gw0", "redis://127.0.0.1:6379/1"),
        ("redis://127.0.0.1:6379/0", "gw1", "redis://127.0.0.1:6379/2"),
        ("redis://127.0.0.1:6379", "gw0", "redis://127.0.0.1:6379/1"),
        ("rediss://:pw@cache.example.test:6380/4", "gw2", "rediss://:pw@cache.example.test:6380/7"),
        ("redis://127.0.0.1:6379?db=3", "gw0", "redis://127.0.0.1:6379?db=4"),
        ("unix:///run/redis.sock", "gw1", "unix:///run/redis.sock?db=2"),
    ],
)
def test_each_worker_gets_the_redis_db_after_the_one_configured(url, worker, expected):
    assert worker_redis_url(url, worker) == expected


def test_a_worker_past_the_last_redis_db_is_refused_with_what_to_do():
    with pytest.raises(pytest.UsageError, match="lower db or run fewer workers"):
        worker_redis_url("redis://127.0.0.1:6379/14", "gw1")


def test_the_fixtures_and_the_processes_they_start_use_this_workers_redis(services):
    url = os.environ.get("REDIS_URL")
    kwargs = services.redis.connection_pool.connection_kwargs
    if url is None:  # the embedded Redis, in this worker's own instance folder (a per-worker temp dir)
        assert kwargs["path"].startswith(str(services.settings.instance_path))
        return
    # Subprocesses (`sitecoach worker`, the CLI) inherit os.environ: it names the same db as the fixtures.
    assert services.settings.redis_url == url
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    assert worker is None or kwargs["db"] >= int(worker.removeprefix("gw")) + 1
