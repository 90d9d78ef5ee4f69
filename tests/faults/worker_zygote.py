"""A launcher of real `sitecoach worker` processes that has paid the imports once: each "start" line on
stdin forks a child that becomes a worker in its own session (so `kill -9` of its process group takes any
work-horse with it), and the child's pid is printed back. A fresh interpreter importing the app costs
about a second of CPU per worker; the kill test replaces 50 killed workers, so it forks them from here.

Only imports happen before the fork: no database, Redis or socket is opened, so nothing is shared.

    python tests/faults/worker_zygote.py < commands   # "start 0" (SimpleWorker) or "start 1" (WORKER_FORK)
"""

from __future__ import annotations

import os
import signal
import sys

import rq  # noqa: F401  - the imports a worker pays at start, paid once here

import sitecoach.jobs.tasks  # noqa: F401
import sitecoach.wiring  # noqa: F401
from sitecoach.cli import main


def _become_worker(fork_mode: str) -> None:
    """In the forked child: a new session, the default SIGCHLD (RQ waits for its work-horses), then run."""
    os.setsid()
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # the launcher's command pipe is not the worker's
    os.dup2(2, 1)  # stdout is the launcher's pid channel: the worker logs to stderr (the test's log)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.environ["WORKER_FORK"] = fork_mode
    code = 0
    try:
        main.main(args=["worker"], prog_name="sitecoach")
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:  # noqa: BLE001 - a worker that crashes says why in the log, then exits
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    """Read "start MODE" lines until stdin closes; answer each with the new worker's pid."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed workers are reaped by the kernel, no zombies
    for line in sys.stdin:
        command, _, mode = line.strip().partition(" ")
        if command != "start":
            continue
        pid = os.fork()
        if pid == 0:
            _become_worker(mode or "0")
        print(pid, flush=True)


if __name__ == "__main__":
    serve()
