"""Periodic jobs of the worker: an app registers a job in its AppConfig.ready() with

    from config import periodic
    periodic.register("search.flush_outbox", 5, flush_outbox)      # every 5 seconds

`run_worker` runs the due jobs in one background thread of its top-level process (and each job once
with --batch). A failing job is logged and tried again at its next turn; it never stops the worker. While the
database is away (a restart), each job says so in one line once a minute instead of a traceback every turn.
"""
import logging
import threading
import time

from django.db import close_old_connections
from django.db.utils import InterfaceError, OperationalError

log = logging.getLogger(__name__)
JOBS = {}
QUIET_SECONDS = 60  # a job's repeated "database unavailable" line at most this often
_quiet_until = {}
release_connections = close_old_connections  # between turns, as the task worker does


def register(name, seconds, func):
    JOBS[name] = (seconds, func)


def run_once(names=None):
    """Run every registered job (or those named) now; return {name: error or None}."""
    results = {}
    for name, (_, func) in sorted(JOBS.items()):
        if names is None or name in names:
            results[name] = _call(name, func)
    return results


def _call(name, func):
    try:
        func()
        _quiet_until.pop(name, None)
        return None
    except (OperationalError, InterfaceError) as exc:  # the database is away: said once a minute, no traceback
        now = time.monotonic()
        if now >= _quiet_until.get(name, 0.0):
            log.warning("periodic job %s: database unavailable (%s); retried at its next turn", name,
                        str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
            _quiet_until[name] = now + QUIET_SECONDS
        return f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # a job's failure must not stop the others or the worker
        log.exception("periodic job %s failed", name)
        return f"{type(exc).__name__}: {exc}"
    finally:
        release_connections()


def loop(stop, tick=1.0):
    due = {name: 0.0 for name in JOBS}
    while not stop.is_set():
        now = time.monotonic()
        for name, (seconds, func) in sorted(JOBS.items()):
            if now >= due.get(name, 0.0):
                _call(name, func)
                due[name] = time.monotonic() + seconds
        stop.wait(tick)


def start():
    """Start the job thread; returns the Event that stops it."""
    stop = threading.Event()
    threading.Thread(target=loop, args=(stop,), name="periodic-jobs", daemon=True).start()
    return stop
