import threading
import time

from config import periodic


def test_jobs_run_and_a_failing_job_does_not_stop_the_others(monkeypatch):
    monkeypatch.setattr(periodic, "JOBS", {})
    calls = []
    periodic.register("b.ok", 60, lambda: calls.append("ok"))
    periodic.register("a.broken", 60, lambda: 1 / 0)
    results = periodic.run_once()
    assert calls == ["ok"]
    assert results["b.ok"] is None and results["a.broken"].startswith("ZeroDivisionError")


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
