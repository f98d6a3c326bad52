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
    deadline = time.monotonic() + 60
    while len(calls) < 4 and time.monotonic() < deadline:  # a condition, not a number of seconds
        time.sleep(0.01)
    stop.set()
    thread.join(60)
    assert not thread.is_alive()
    assert len(calls) >= 4
    assert all(later - earlier >= 0.05 for earlier, later in zip(calls, calls[1:]))  # never before its turn


def test_a_database_away_is_one_line_a_minute_not_a_traceback_every_turn(monkeypatch, caplog):
    from django.db.utils import OperationalError

    monkeypatch.setattr(periodic, "JOBS", {})
    monkeypatch.setattr(periodic, "_quiet_until", {})
    down = [True]

    def job():
        if down[0]:
            raise OperationalError("connection to server at \"127.0.0.1\", port 5432 failed: Connection refused\n"
                                   "\tIs the server running on that host?")

    periodic.register("records.reap", 1, job)
    with caplog.at_level("WARNING", logger="config.periodic"):
        for _ in range(5):
            assert periodic.run_once()["records.reap"].startswith("OperationalError")
    lines = [r for r in caplog.records if r.name == "config.periodic"]
    assert len(lines) == 1 and lines[0].exc_info is None
    assert "database unavailable" in lines[0].getMessage() and "Connection refused" in lines[0].getMessage()
    down[0] = False
    assert periodic.run_once()["records.reap"] is None
    down[0] = True
    caplog.clear()
    with caplog.at_level("WARNING", logger="config.periodic"):
        periodic.run_once()
    assert len([r for r in caplog.records if r.name == "config.periodic"]) == 1  # said again after it came back
