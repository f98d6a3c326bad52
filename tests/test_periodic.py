import threading
import time

import pytest

from config import periodic


@pytest.fixture(autouse=True)
def no_database(monkeypatch):
    """These jobs touch no database: keep the test database's connection (held by earlier tests) as it is."""
    released = []
    monkeypatch.setattr(periodic, "release_connections", lambda: released.append(1))
    return released


def test_jobs_run_and_a_failing_job_does_not_stop_the_others(monkeypatch, no_database):
    monkeypatch.setattr(periodic, "JOBS", {})
    calls = []
    periodic.register("b.ok", 60, lambda: calls.append("ok"))
    periodic.register("a.broken", 60, lambda: 1 / 0)
    results = periodic.run_once()
    assert calls == ["ok"]
    assert results["b.ok"] is None and results["a.broken"].startswith("ZeroDivisionError")
    assert len(no_database) == 2  # connections are released after every job, failed or not


def test_loop_runs_each_job_at_its_interval(monkeypatch):
    monkeypatch.setattr(periodic, "JOBS", {})
    calls = []
    periodic.register("fast", 0.05, lambda: calls.append(time.monotonic()))
    stop = threading.Event()
    thread = threading.Thread(target=periodic.loop, args=(stop, 0.01))
    thread.start()
    time.sleep(0.3)
    stop.set()
    thread.join(2)
    assert not thread.is_alive()
    assert 3 <= len(calls) <= 8
